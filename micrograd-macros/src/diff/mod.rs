//! The reverse sweep: which adjoint contributions the backward code makes,
//! in which order, and which forward values it needs.
//!
//! Two plans. [`backward`] is for straight-line programs (scalar
//! parameters, no loops or branches): instructions are visited from last
//! to first; each live, active instruction
//! that has an adjoint passes `g * local` to each of its active operands,
//! once per edge (`a * a` has two edges). The first contribution to a value
//! declares its adjoint, the later ones accumulate with `+=`, so there is no
//! `0.0 + ...` and no zero-initialised adjoint that is never used. Constants
//! and values that depend only on constants get no adjoint at all.

use crate::ir::{Kind, Operand, Program, Stmt, Target};
use crate::rules;
use std::collections::HashSet;

pub mod fuse;

/// How one contribution is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    /// `let g = contribution;`, or `let mut g = ...` when more follow.
    Declare { mutable: bool },
    /// `g += contribution;`
    Accumulate,
}

/// One edge of the reverse sweep: instruction `inst` passes `g * local`
/// for its operand number `arg` to `target`.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    pub inst: usize,
    pub arg: usize,
    pub target: Operand,
    pub write: Write,
}

/// The whole backward pass.
pub struct Backward {
    /// Contributions in execution order.
    pub steps: Vec<Step>,
    /// For each parameter, whether any contribution reached it (otherwise
    /// its gradient is the constant 0).
    pub param_reached: Vec<bool>,
    /// Which instructions the output depends on.
    pub live: Vec<bool>,
}

/// Plans the reverse sweep of `program`.
pub fn backward(program: &Program) -> Backward {
    let live = program.live().insts;
    let n = program.insts.len();
    // Adjoint presence: the output is seeded with 1.
    let mut inst_reached = vec![false; n];
    let mut param_reached = vec![false; program.params.len()];
    if let Operand::Inst(i) = program.output {
        inst_reached[i] = program.insts[i].active;
    }
    let mut edges = Vec::new();
    for i in (0..n).rev() {
        let inst = &program.insts[i];
        if !live[i] || !inst.active || !inst_reached[i] {
            continue;
        }
        let edges_of: Vec<(usize, Operand)> = match &inst.kind {
            Kind::Op { op, args } => args[..op.arity()]
                .iter()
                .enumerate()
                .filter(|(arg, _)| rules::has_local(*op, *arg))
                .map(|(arg, t)| (arg, *t))
                .collect(),
            // A call's argument k gets `g * grads.k` (straight-line
            // programs pass scalars only).
            Kind::Call { args, .. } => args
                .iter()
                .enumerate()
                .filter_map(|(k, a)| match a {
                    crate::ir::CallArg::Scalar(o) => Some((k, *o)),
                    crate::ir::CallArg::Array { .. } => None,
                })
                .collect(),
            _ => continue,
        };
        for (arg, target) in edges_of {
            if !program.is_active(target) {
                continue;
            }
            match target {
                Operand::Inst(j) => inst_reached[j] = true,
                Operand::Param(p) => param_reached[p] = true,
                Operand::Const(_) => continue,
            }
            edges.push((i, arg, target));
        }
    }
    // Count contributions per target to declare `mut` only where needed.
    let mut count = std::collections::HashMap::<Operand, usize>::new();
    for &(_, _, target) in &edges {
        *count.entry(target).or_default() += 1;
    }
    let mut seen = std::collections::HashSet::<Operand>::new();
    let steps = edges
        .into_iter()
        .map(|(inst, arg, target)| {
            let write = if seen.insert(target) {
                Write::Declare {
                    mutable: count[&target] > 1,
                }
            } else {
                Write::Accumulate
            };
            Step {
                inst,
                arg,
                target,
                write,
            }
        })
        .collect();
    Backward {
        steps,
        param_reached,
        live,
    }
}

/// The plan of a program with loops, branches, arrays or storage.
///
/// The scheme (after Tapenade's and Clad's, with recomputation):
/// - the forward sweep runs the program as written; the reverse sweep
///   runs each region (the body, a loop body, a branch) backwards, each
///   loop from its last iteration to its first;
/// - before a region's statements are reversed, the forward values its
///   local derivatives read (`needed`) are recomputed from values that
///   are still there: parameters, constants, integers, and storage that
///   nothing overwrites later;
/// - a load of storage that something may overwrite after it (a variable
///   updated in a loop, `y *= y`) is the one value that cannot be
///   recomputed: the forward sweep saves it on a tape (`sites`) right after
///   reading it, and the reverse sweep pops it back (last in, first out;
///   inside loops with literal bounds the tape is a fixed array with a slot
///   per iteration, `site_dims`); or, when the storage's stores run in
///   fewer loops than such a load,
///   each store saves what it overwrites and the reverse sweep restores it
///   as it passes the store (`restore`), which makes the load recomputable;
/// - the outcome of a branch that has reverse work is saved the same way
///   (`branch_sites`), so the reverse sweep takes exactly the branch the
///   forward sweep took and never evaluates the other one;
/// - values of the top-level region stay in scope from the forward sweep,
///   so nothing there is recomputed or saved;
/// - a top-level loop whose iterations meet only in one sum, and for which
///   the above would push on a stack, is fused (`fused`, see [`fuse`]):
///   each iteration is reversed right after it runs, so its body is a
///   top-level region of its own and its loops count from there.
pub struct Plan {
    pub live: crate::ir::Liveness,
    /// Forward values that some local derivative of the reverse sweep reads.
    pub needed: Vec<bool>,
    /// For each instruction, the tape it is saved on, if any.
    pub taped: Vec<Option<usize>>,
    /// Each value tape by its loop depth (0: a plain variable suffices).
    pub sites: Vec<usize>,
    /// For each branch (`If::id`): the loop depth of its outcome tape, when
    /// the branch has reverse work.
    pub branch_sites: Vec<Option<usize>>,
    /// Instructions of regions (not of conditions), whose adjoints exist.
    pub in_region: Vec<bool>,
    /// Storage whose stores save the value they overwrite and put it back
    /// when the reverse sweep passes them, so that its loads can be
    /// recomputed instead of saved (see [`plan`]).
    pub restore: Vec<bool>,
    /// Stores to restored storage that need not save what they overwrite
    /// (see [`covered_stores`]), by address: the plan is made for one
    /// `Program`, which codegen only reads.
    pub covered: HashSet<*const Stmt>,
    /// Restored storage with element stores that save (not all covered):
    /// these need the stack of overwritten elements.
    pub saves_elements: Vec<bool>,
    /// Element stores whose adjoint need not be reset to 0 when they are
    /// reversed (see [`settled_stores`]), by address.
    pub settled: HashSet<*const Stmt>,
    /// For each loop (`For::id`), the sum it accumulates when its forward
    /// and reverse sweeps are fused (see [`fuse`]). Inside a fused loop,
    /// loop depths count from its body, whose values are in scope when
    /// it is reversed, as the top region's are.
    pub fused: Vec<Option<usize>>,
    /// For each value tape, the loops it is indexed by when they all have
    /// literal bounds (see [`Dim`]): a fixed array instead of a stack.
    pub site_dims: Vec<Option<Vec<Dim>>>,
    /// The same for each branch's outcome tape, by `If::id`.
    pub branch_dims: Vec<Option<Vec<Dim>>>,
}

/// One loop of a tape kept as a fixed array: `for var in start..start +
/// len` (written with literals). A value saved inside such loops has one
/// slot per iteration, at the iteration numbers in mixed radix (outermost
/// first), so the reverse sweep reads it back in any order and nothing is
/// pushed or popped: the saved values of a layer's neurons are an array,
/// as in hand-written code.
#[derive(Clone, Debug)]
pub struct Dim {
    pub var: usize,
    pub start: u64,
    pub len: u64,
}

/// The most slots one tape may keep as a fixed array (on the stack), and
/// all of them together: 8 KiB and 64 KiB of `f64`s.
const SLOTS_PER_TAPE: u64 = 1024;
const SLOTS_IN_ALL: u64 = 8192;

impl Plan {
    /// Whether `stmt`, a store to storage `v`, saves what it overwrites
    /// and puts it back in the reverse sweep.
    pub fn restores(&self, v: usize, stmt: &Stmt) -> bool {
        self.restore[v] && !self.covered.contains(&std::ptr::from_ref(stmt))
    }
}

impl Plan {
    /// Whether the forward sweep pushes anything on a stack for the
    /// reverse sweep in these loop bodies: a value or a branch outcome
    /// (unless its tape is a fixed array), or what a store overwrites.
    fn pushes_in(&self, stmts: &[Stmt]) -> bool {
        let mut pushes = false;
        crate::ir::walk(stmts, &mut |s| {
            pushes |= match s {
                Stmt::Inst(i) => self.taped[*i].is_some_and(|t| self.site_dims[t].is_none()),
                Stmt::If(b) => {
                    self.branch_sites[b.id].is_some() && self.branch_dims[b.id].is_none()
                }
                Stmt::Store { place, .. } => match place.target {
                    Target::Var(v) => self.restores(v, s),
                    _ => false,
                },
                Stmt::Init { var, .. } => self.restore[*var],
                _ => false,
            }
        });
        pushes
    }

    /// Whether a statement has anything to do in the reverse sweep.
    pub fn has_reverse(&self, program: &Program, stmt: &Stmt) -> bool {
        match stmt {
            Stmt::Inst(i) => {
                self.live.insts[*i]
                    && program.insts[*i].active
                    && !matches!(program.insts[*i].kind, Kind::FromInt(_))
            }
            Stmt::Int(..) => false,
            Stmt::Store { place, .. } => match place.target {
                Target::Var(v) => self.live.vars[v] && (program.vars[v].active || self.restore[v]),
                _ => false,
            },
            Stmt::Init { var, .. } => {
                self.live.vars[*var] && (program.vars[*var].active || self.restore[*var])
            }
            Stmt::For(l) => l.body.iter().any(|s| self.has_reverse(program, s)),
            Stmt::If(b) => b
                .then
                .iter()
                .chain(&b.els)
                .any(|s| self.has_reverse(program, s)),
        }
    }
}

/// Plans the reverse sweep of a program with control flow or storage.
pub fn plan(program: &Program) -> Plan {
    // Fusing pays where the general scheme pushes on a stack inside the
    // loop (values, branch outcomes, overwritten storage); a loop it
    // reverses by recomputation, or with fixed arrays, stays as it is.
    let general = plan_with(program, vec![None; program.loops]);
    let mut fused = fuse::fusions(program);
    for stmt in &program.body {
        if let Stmt::For(l) = stmt {
            if !general.pushes_in(&l.body) {
                fused[l.id] = None;
            }
        }
    }
    if fused.iter().all(Option::is_none) {
        return general;
    }
    loop {
        let plan = plan_with(program, fused.clone());
        // A sum whose stores save what they overwrite (for some read of it
        // elsewhere) would be put back by the fused reverse sweep while the
        // forward sweep still adds to it: that loop keeps the general
        // scheme.
        let mut changed = false;
        for f in &mut fused {
            if f.is_some_and(|acc| plan.restore[acc]) {
                *f = None;
                changed = true;
            }
        }
        if !changed {
            return plan;
        }
    }
}

/// [`plan`] with these loops fused (accumulators by loop id).
fn plan_with(program: &Program, fused: Vec<Option<usize>>) -> Plan {
    let live = program.live();
    let n = program.insts.len();
    let mut in_region = vec![false; n];
    crate::ir::walk(&program.body, &mut |s| {
        if let Stmt::Inst(i) = s {
            in_region[*i] = true;
        }
    });
    // Values read by local derivatives, then everything needed to
    // recompute those.
    let mut needed = vec![false; n];
    let mut work = Vec::new();
    for (i, inst) in program.insts.iter().enumerate() {
        if !live.insts[i] || !inst.active || !in_region[i] {
            continue;
        }
        match &inst.kind {
            Kind::Op { op, args } => {
                for (arg, target) in args[..op.arity()].iter().enumerate() {
                    if !program.is_active(*target) || !rules::has_local(*op, arg) {
                        continue;
                    }
                    let reads = rules::reads(*op, arg);
                    for (k, operand) in args.iter().enumerate().take(op.arity()) {
                        if reads[k] {
                            work.push(*operand);
                        }
                    }
                    if reads[3] {
                        work.push(Operand::Inst(i));
                    }
                }
            }
            Kind::PowiBy { base, .. } => work.push(*base),
            // The reverse sweep calls the callee's pullback at the same
            // arguments.
            Kind::Call { .. } => work.extend(inst.operands()),
            Kind::Load(_) | Kind::FromInt(_) => {}
        }
    }
    // A call that returns an array is reversed at its `let`: the pullback
    // reads the same arguments.
    crate::ir::walk(&program.body, &mut |s| {
        if let Stmt::Init {
            var,
            init: init @ crate::ir::ArrayInit::Call { .. },
        } = s
        {
            if live.vars[*var] && program.vars[*var].active {
                init.elems(&mut work);
            }
        }
    });
    while let Some(o) = work.pop() {
        if let Operand::Inst(j) = o {
            if !needed[j] {
                needed[j] = true;
                work.extend(program.insts[j].operands());
            }
        }
    }
    // Which loads something may overwrite after them: a store later in
    // source order, or an earlier one inside a loop that also holds the
    // load (it runs again on the next iteration).
    let mut scan = Scan {
        program,
        fused: &fused,
        position: 0,
        loops: Vec::new(),
        context: None,
        stores: Vec::new(),
        loads: Vec::new(),
        region_ends: vec![0],
        top_regions: vec![0],
    };
    scan.stmts(&program.body, 0);
    scan.region_ends[0] = scan.position;
    let mut plan = Plan {
        live,
        needed,
        taped: vec![None; n],
        sites: Vec::new(),
        branch_sites: vec![None; program.branches],
        in_region,
        restore: vec![false; program.vars.len()],
        covered: HashSet::new(),
        saves_elements: vec![false; program.vars.len()],
        settled: HashSet::new(),
        // Set once the scan, which reads it, is done.
        fused: Vec::new(),
        site_dims: Vec::new(),
        branch_dims: vec![None; program.branches],
    };
    let mut covered = HashSet::new();
    covered_stores(program, &program.body, &mut covered);
    settled_stores(program, &program.body, &mut plan.settled);
    // Such a load is recomputable after all if nothing stores to its
    // storage between it and the end of its region: with every store to
    // that storage undone as the reverse sweep passes it (`restore`), the
    // storage holds at the region's reverse exactly what the load read
    // (a layer's outputs, stored in one loop and read in the next). Else
    // the load itself is saved (`s` read before `s = s * x`).
    // Restoring costs a push per store executed, saving a load a push per
    // load executed: storage is restored when its stores sit in fewer
    // loops than some load that restoring makes recomputable (a layer's
    // outputs, stored once per neuron and read once per neuron of the
    // next layer), and then every such load of it is recomputed.
    // Covered stores (see `covered_stores`) cost nothing when restoring.
    let mut store_depth = vec![0; program.vars.len()];
    for st in scan.stores.iter().filter(|st| !covered.contains(&st.stmt)) {
        store_depth[st.var] = store_depth[st.var].max(st.loops.len());
    }
    let mut candidates = Vec::new();
    for load in &scan.loads {
        if load.top || !plan.needed[load.inst] {
            continue;
        }
        // A load in a fused loop's body is reversed before anything after
        // the loop runs, and nothing before the loop writes the body's own
        // storage: only the body's stores count. A load elsewhere counts
        // them all (a fused loop's stores to its sum overwrite what a loop
        // before it read).
        let clobbered = scan.stores.iter().any(|st| {
            st.var == load.var
                && (load.context.is_none() || st.context == load.context)
                && (st.position > load.position || st.loops.iter().any(|l| load.loops.contains(l)))
        });
        if !clobbered {
            continue;
        }
        let end = scan.region_ends[load.region];
        let restorable = !scan
            .stores
            .iter()
            .any(|st| st.var == load.var && st.position > load.position && st.position <= end);
        if restorable && store_depth[load.var] < load.loops.len() {
            plan.restore[load.var] = true;
        }
        candidates.push((load.inst, load.var, &load.loops, restorable));
    }
    let mut clobbered_loads = Vec::new();
    for (inst, var, loops, restorable) in candidates {
        if !(restorable && plan.restore[var]) {
            clobbered_loads.push((inst, loops));
        }
    }
    let mut budget = SLOTS_IN_ALL;
    for (inst, loops) in clobbered_loads {
        let depth = loops.len();
        plan.site_dims.push(fixed_dims(program, loops, &mut budget));
        plan.taped[inst] = Some(plan.sites.len());
        plan.sites.push(depth);
    }
    for st in &scan.stores {
        if plan.restore[st.var] && !st.init && !covered.contains(&st.stmt) {
            plan.saves_elements[st.var] = true;
        }
    }
    plan.covered = covered;
    plan.fused = fused;
    // Branch outcomes, now that it is known which stores restore.
    let mut depth = Vec::new();
    branch_depths(program, &program.body, &mut depth, &mut plan, &mut budget);
    plan
}

/// The loops of a tape (ids, outermost first) when they all have literal
/// bounds and their iterations fit the budget: the tape is then a fixed
/// array (see [`Dim`]). `None` for a tape outside loops (a plain variable)
/// and for one that stays a stack.
fn fixed_dims(program: &Program, loops: &[usize], budget: &mut u64) -> Option<Vec<Dim>> {
    if loops.is_empty() {
        return None;
    }
    let mut dims = Vec::new();
    let mut slots: u64 = 1;
    for id in loops {
        let mut found = None;
        crate::ir::walk(&program.body, &mut |s| {
            if let Stmt::For(l) = s {
                if l.id == *id {
                    found = Some(l);
                }
            }
        });
        let l = found?;
        let (crate::ir::IntExpr::Lit(start), crate::ir::IntExpr::Lit(end)) = (&l.start, &l.end)
        else {
            return None;
        };
        let end = if l.inclusive {
            end.checked_add(1)?
        } else {
            *end
        };
        let len = end.saturating_sub(*start);
        slots = slots.checked_mul(len)?;
        dims.push(Dim {
            var: l.var,
            start: *start,
            len,
        });
    }
    if slots > SLOTS_PER_TAPE || slots > *budget {
        return None;
    }
    *budget -= slots;
    Some(dims)
}

/// Stores that need not save what they overwrite when their storage is
/// restored: those after an initialisation of the whole array (`let mut
/// h = [0.0; 16];`) in the same region, with no load of the storage from
/// the initialisation to the statement holding the store (`h[j] =
/// relu(z)` in the loop after it). The reverse sweep reaches the
/// initialisation before any load that read the storage before the store,
/// and the initialisation puts the whole array back; until then nothing
/// reads what the store overwrote. The loads after the loop (the next
/// layer's reads of `h`) are reversed before the store, while it is still
/// in place. Saves a push and a pop per layer output.
fn covered_stores(program: &Program, stmts: &[Stmt], covered: &mut HashSet<*const Stmt>) {
    for (k, stmt) in stmts.iter().enumerate() {
        if let Stmt::Init { var, .. } = stmt {
            for later in &stmts[k + 1..] {
                if loads(program, *var, later) {
                    break;
                }
                if matches!(later, Stmt::Init { var: w, .. } if w == var) {
                    break;
                }
                crate::ir::walk(std::slice::from_ref(later), &mut |s| {
                    if matches!(s, Stmt::Store { place, .. } if place.target == Target::Var(*var)) {
                        covered.insert(std::ptr::from_ref(s));
                    }
                });
            }
        }
        match stmt {
            Stmt::For(l) => covered_stores(program, &l.body, covered),
            Stmt::If(b) => {
                covered_stores(program, &b.then, covered);
                covered_stores(program, &b.els, covered);
            }
            _ => {}
        }
    }
}

/// Element stores `h[j] = ..` whose reverse need not reset `h[j]`'s
/// adjoint after passing it on: the store is the only one to `h` in the
/// body of a loop over `j` (its index is exactly the loop variable, so no
/// two iterations write the same element), and that loop comes after an
/// initialisation of the whole array from constants (`let mut h = [0.0;
/// 16];`) in the same region with no read or other write of `h` in
/// between. Going backwards from the store, nothing reads that element's
/// adjoint again before the initialisation's reverse, which reads none of
/// it (its elements are constants) and zeroes the whole array's adjoint.
/// Saves a store per element (per neuron of a layer).
fn settled_stores(program: &Program, stmts: &[Stmt], settled: &mut HashSet<*const Stmt>) {
    for (k, stmt) in stmts.iter().enumerate() {
        if let Stmt::Init { var, init } = stmt {
            let mut elems = Vec::new();
            init.elems(&mut elems);
            let constant = !matches!(init, crate::ir::ArrayInit::Call { .. })
                && elems.iter().all(|o| !program.is_active(*o));
            let first = stmts[k + 1..]
                .iter()
                .find(|s| fuse::touches(program, *var, s));
            if let (true, Some(Stmt::For(l))) = (constant, first) {
                if let Some(store) = sole_store_at(program, *var, l) {
                    settled.insert(store);
                }
            }
        }
        match stmt {
            Stmt::For(l) => settled_stores(program, &l.body, settled),
            Stmt::If(b) => {
                settled_stores(program, &b.then, settled);
                settled_stores(program, &b.els, settled);
            }
            _ => {}
        }
    }
}

/// The store `v[i] = ..` directly in loop `l`'s body, `i` its variable,
/// when it is the body's only access to `v` other than loads after it.
fn sole_store_at(program: &Program, v: usize, l: &crate::ir::For) -> Option<*const Stmt> {
    let mut found = None;
    for stmt in &l.body {
        match stmt {
            Stmt::Store { place, .. } if place.target == Target::Var(v) => {
                let at_var =
                    matches!(place.index.as_slice(), [crate::ir::IntExpr::Int(i)] if *i == l.var);
                if found.is_some() || !at_var {
                    return None;
                }
                found = Some(std::ptr::from_ref(stmt));
            }
            _ if fuse::touches(program, v, stmt) && found.is_none() => return None,
            _ if fuse::touches(program, v, stmt) && !loads_only(v, stmt) => return None,
            _ => {}
        }
    }
    found
}

/// Whether every access of `stmt` to storage `v` is a load.
fn loads_only(v: usize, stmt: &Stmt) -> bool {
    let mut writes = false;
    crate::ir::walk_all(std::slice::from_ref(stmt), &mut |s| {
        writes |= matches!(s, Stmt::Store { place, .. } if place.target == Target::Var(v))
            || matches!(s, Stmt::Init { var, .. } if *var == v);
    });
    !writes
}

/// Whether `stmt` or anything inside it (conditions included) loads
/// storage `v`.
fn loads(program: &Program, v: usize, stmt: &Stmt) -> bool {
    let mut found = false;
    crate::ir::walk_all(std::slice::from_ref(stmt), &mut |s| {
        found |= fuse::is_load_of(program, v, s);
    });
    found
}

/// Sets the outcome tape of each branch with reverse work, by loop depth
/// (counted from the body of a fused loop).
fn branch_depths(
    program: &Program,
    stmts: &[Stmt],
    loops: &mut Vec<usize>,
    plan: &mut Plan,
    budget: &mut u64,
) {
    for stmt in stmts {
        match stmt {
            Stmt::For(l) => {
                let fused = plan.fused[l.id].is_some();
                if !fused {
                    loops.push(l.id);
                }
                branch_depths(program, &l.body, loops, plan, budget);
                if !fused {
                    loops.pop();
                }
            }
            Stmt::If(b) => {
                if plan.has_reverse(program, stmt) {
                    plan.branch_sites[b.id] = Some(loops.len());
                    plan.branch_dims[b.id] = fixed_dims(program, loops, budget);
                }
                branch_depths(program, &b.then, loops, plan, budget);
                branch_depths(program, &b.els, loops, plan, budget);
            }
            _ => {}
        }
    }
}

struct StoreAt {
    var: usize,
    position: usize,
    loops: Vec<usize>,
    stmt: *const Stmt,
    /// An initialisation of the whole array, not an element store.
    init: bool,
    /// The fused loop the store is in, if any.
    context: Option<usize>,
}

struct LoadAt {
    inst: usize,
    var: usize,
    position: usize,
    loops: Vec<usize>,
    /// In the top region or a fused loop's body: its value stays in scope.
    top: bool,
    /// The region (an index into `Scan::region_ends`) the load is in.
    region: usize,
    context: Option<usize>,
}

/// One walk in source order: positions of stores and loads of storage,
/// with their enclosing loops (from the body of a fused loop) and regions.
struct Scan<'a> {
    program: &'a Program,
    fused: &'a [Option<usize>],
    position: usize,
    loops: Vec<usize>,
    /// The fused loop being walked, if any.
    context: Option<usize>,
    stores: Vec<StoreAt>,
    loads: Vec<LoadAt>,
    /// The last position inside each region (0 is the body).
    region_ends: Vec<usize>,
    /// The regions whose values stay in scope for their reverse sweep:
    /// the body and the bodies of fused loops.
    top_regions: Vec<usize>,
}

impl Scan<'_> {
    fn stmts(&mut self, stmts: &[Stmt], region: usize) {
        for stmt in stmts {
            self.position += 1;
            match stmt {
                Stmt::Inst(i) => {
                    if let Kind::Load(place) = &self.program.insts[*i].kind {
                        if let Target::Var(v) = place.target {
                            self.loads.push(LoadAt {
                                inst: *i,
                                var: v,
                                position: self.position,
                                loops: self.loops.clone(),
                                top: self.top_regions.contains(&region),
                                region,
                                context: self.context,
                            });
                        }
                    }
                }
                Stmt::Store { place, .. } => {
                    if let Target::Var(v) = place.target {
                        self.store(v, stmt);
                    }
                }
                Stmt::Init { var, .. } => self.store(*var, stmt),
                Stmt::Int(..) => {}
                Stmt::For(l) => {
                    if self.fused[l.id].is_some() {
                        self.context = Some(l.id);
                        self.top_regions.push(self.region_ends.len());
                        self.region(&l.body);
                        self.context = None;
                    } else {
                        self.loops.push(l.id);
                        self.region(&l.body);
                        self.loops.pop();
                    }
                }
                Stmt::If(b) => {
                    self.region(&b.then);
                    self.region(&b.els);
                }
            }
        }
    }

    fn store(&mut self, var: usize, stmt: &Stmt) {
        self.stores.push(StoreAt {
            var,
            position: self.position,
            loops: self.loops.clone(),
            stmt: std::ptr::from_ref(stmt),
            init: matches!(stmt, Stmt::Init { .. }),
            context: self.context,
        });
    }

    fn region(&mut self, stmts: &[Stmt]) {
        let id = self.region_ends.len();
        self.region_ends.push(0);
        self.stmts(stmts, id);
        self.region_ends[id] = self.position;
    }
}
