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
///   reading it, and the reverse sweep pops it back (last in, first out);
///   or, when the storage's stores run in fewer loops than such a load,
///   each store saves what it overwrites and the reverse sweep restores it
///   as it passes the store (`restore`), which makes the load recomputable;
/// - the outcome of a branch that has reverse work is saved the same way
///   (`branch_sites`), so the reverse sweep takes exactly the branch the
///   forward sweep took and never evaluates the other one;
/// - values of the top-level region stay in scope from the forward sweep,
///   so nothing there is recomputed or saved.
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
}

impl Plan {
    /// Whether `stmt`, a store to storage `v`, saves what it overwrites
    /// and puts it back in the reverse sweep.
    pub fn restores(&self, v: usize, stmt: &Stmt) -> bool {
        self.restore[v] && !self.covered.contains(&std::ptr::from_ref(stmt))
    }
}

impl Plan {
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
        position: 0,
        loops: Vec::new(),
        stores: Vec::new(),
        loads: Vec::new(),
        region_ends: vec![0],
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
    };
    let mut covered = HashSet::new();
    covered_stores(program, &program.body, &mut covered);
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
        let clobbered = scan.stores.iter().any(|st| {
            st.var == load.var
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
        candidates.push((load.inst, load.var, load.loops.len(), restorable));
    }
    let mut clobbered_loads = Vec::new();
    for (inst, var, depth, restorable) in candidates {
        if !(restorable && plan.restore[var]) {
            clobbered_loads.push((inst, depth));
        }
    }
    for (inst, depth) in clobbered_loads {
        plan.taped[inst] = Some(plan.sites.len());
        plan.sites.push(depth);
    }
    for st in &scan.stores {
        if plan.restore[st.var] && !st.init && !covered.contains(&st.stmt) {
            plan.saves_elements[st.var] = true;
        }
    }
    plan.covered = covered;
    // Branch outcomes, now that it is known which stores restore.
    let mut depth = Vec::new();
    branch_depths(program, &program.body, &mut depth, &mut plan);
    plan
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

/// Whether `stmt` or anything inside it (conditions included) loads
/// storage `v`.
fn loads(program: &Program, v: usize, stmt: &Stmt) -> bool {
    let mut found = false;
    let mut visit = |s: &Stmt| {
        found |= matches!(s, Stmt::Inst(i)
            if matches!(&program.insts[*i].kind, Kind::Load(p) if p.target == Target::Var(v)));
    };
    crate::ir::walk(std::slice::from_ref(stmt), &mut visit);
    let mut conds = Vec::new();
    crate::ir::walk(std::slice::from_ref(stmt), &mut |s| {
        if let Stmt::If(b) = s {
            conds.push(&b.cond);
        }
    });
    for cond in conds {
        crate::ir::cond_stmts(cond, &mut visit);
    }
    found
}

/// Sets the outcome tape of each branch with reverse work, by loop depth.
fn branch_depths(program: &Program, stmts: &[Stmt], loops: &mut Vec<usize>, plan: &mut Plan) {
    for stmt in stmts {
        match stmt {
            Stmt::For(l) => {
                loops.push(l.id);
                branch_depths(program, &l.body, loops, plan);
                loops.pop();
            }
            Stmt::If(b) => {
                if plan.has_reverse(program, stmt) {
                    plan.branch_sites[b.id] = Some(loops.len());
                }
                branch_depths(program, &b.then, loops, plan);
                branch_depths(program, &b.els, loops, plan);
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
}

struct LoadAt {
    inst: usize,
    var: usize,
    position: usize,
    loops: Vec<usize>,
    top: bool,
    /// The region (an index into `Scan::region_ends`) the load is in.
    region: usize,
}

/// One walk in source order: positions of stores and loads of storage,
/// with their enclosing loops and regions.
struct Scan<'a> {
    program: &'a Program,
    position: usize,
    loops: Vec<usize>,
    stores: Vec<StoreAt>,
    loads: Vec<LoadAt>,
    /// The last position inside each region (0 is the body).
    region_ends: Vec<usize>,
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
                                top: region == 0,
                                region,
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
                    self.loops.push(l.id);
                    self.region(&l.body);
                    self.loops.pop();
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
        });
    }

    fn region(&mut self, stmts: &[Stmt]) {
        let id = self.region_ends.len();
        self.region_ends.push(0);
        self.stmts(stmts, id);
        self.region_ends[id] = self.position;
    }
}
