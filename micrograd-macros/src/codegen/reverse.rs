//! The reverse sweep of programs with loops, branches, arrays or storage.
//!
//! Each region is reversed as: recompute the forward values its local
//! derivatives read (popping the saved ones), declare the adjoints of its
//! instructions at 0, then visit its statements from last to first. A loop
//! runs its iterations backwards; a branch pops its saved outcome. Every
//! adjoint accumulates with `+=`. A stored value and the instructions only
//! it reads are reversed right after the store, under one test of the
//! store's adjoint (unless they are one or two instructions whose local
//! derivatives are finite: a relu, a bias), and the other instructions
//! whose local derivative reads a value test their own: an adjoint of
//! exactly 0 (a value overwritten before it was read) passes nothing on,
//! so it cannot turn an infinite local derivative into `0 * inf = NaN`.
//! See [`crate::diff::Plan`] for what is saved and why.

use super::forward::{Forward, Mode, range, tape_slot};
use super::straight::contribution;
use super::{array_fill, captures, f64_ty, grads_value, index, int, name, operand, used_consts};
use crate::diff::{Plan, plan};
use crate::ir::{ArrayInit, IntExpr, IntOp, Kind, Operand, ParamTy, Program, Stmt, Target};
use crate::rules::{self, Local};
use proc_macro2::TokenStream;
use proc_macro2::{Literal, Span};
use quote::format_ident;
use quote::{ToTokens, quote};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The most instructions a store tree may have to be reversed without a
/// test of its adjoint against 0, when none of them needs one.
const SHORT_TREE: usize = 2;

/// The `move` closure for a program with control flow or storage.
pub fn closure(program: &Program, seed: Option<&syn::Ident>) -> TokenStream {
    let one = match seed {
        Some(s) => s.to_token_stream(),
        None => quote!(1.0),
    };
    let plan = plan(program);
    let fwd = Forward {
        program,
        plan: &plan,
        mode: Mode::Grad,
    };
    let params = (0..program.params.len()).map(|i| super::param_decl(program, i));
    let f64_ty = f64_ty();
    let seed_decl = seed.map(|s| quote!(, #s: #f64_ty));
    let grads_ty = super::grads_ty(program);
    let captured = captures(program, &used_consts(program, &plan.live));
    let declarations = fwd.declarations();
    let rev = Reverse {
        program,
        plan: &plan,
        fwd: &fwd,
        carry_slot: RefCell::new(HashMap::new()),
        always: RefCell::new(HashSet::new()),
        uses: program.use_counts(),
        depth: std::cell::Cell::new(0),
        one: one.clone(),
    };
    // The forward sweep; a fused loop reverses each iteration as it goes.
    let mut forward = TokenStream::new();
    let mut fused_locals = HashSet::new();
    for stmt in &program.body {
        match stmt {
            Stmt::For(l) if plan.fused[l.id].is_some() => {
                let reads = rev.fused_reads(l);
                forward.extend(rev.fused_loop(l, &reads));
                fused_locals.extend(reads.locals);
            }
            _ => forward.extend(fwd.stmts(std::slice::from_ref(stmt))),
        }
    }
    // Adjoints of parameters and storage, for the whole reverse sweep.
    let mut adjoints = TokenStream::new();
    for i in 0..program.params.len() {
        let g = name("gp", i);
        let zeros = param_zeros(program, i);
        adjoints.extend(quote!(let mut #g = #zeros;));
    }
    for (k, var) in program.vars.iter().enumerate() {
        if plan.live.vars[k] && var.active && !fused_locals.contains(&k) {
            let g = name("gx", k);
            let zeros = array_fill(&var.dims, quote!(0.0f64));
            adjoints.extend(quote!(let mut #g = #zeros;));
        }
    }
    if let Operand::Param(i) = program.output {
        let g = name("gp", i);
        adjoints.extend(quote!(#g += #one;));
    }
    let backward = rev.region(&program.body, true);
    let value = operand(program, program.output);
    let grads = (0..program.params.len())
        .map(|i| name("gp", i).into_token_stream())
        .collect();
    let grads = grads_value(program, grads);
    let give_back = fwd.give_back();
    quote! {
        move |#(#params),* #seed_decl| -> (#f64_ty, #grads_ty) {
            #captured
            #declarations
            #forward
            #adjoints
            #backward
            #give_back
            (#value, #grads)
        }
    }
}

/// A zero adjoint of parameter `i`'s shape.
fn param_zeros(program: &Program, i: usize) -> TokenStream {
    let f64_ty = f64_ty();
    match &program.params[i].ty {
        ParamTy::Scalar => quote!(0.0 as #f64_ty),
        ParamTy::Array(dims) => array_fill(dims, quote!(0.0f64)),
        ParamTy::Slice => {
            let p = name("p", i);
            quote!(::std::vec![0.0f64; #p.len()])
        }
    }
}

/// What a fused loop's body reverses into (see [`crate::diff::fuse`]).
struct FusedReads {
    /// Parameters the body reads.
    params: Vec<usize>,
    /// Storage from before the loop that the body reads (never writes).
    outer_vars: Vec<usize>,
    /// Values from before the loop, with adjoints, that the body reads.
    outer_insts: Vec<usize>,
    /// The body's own storage (everything it writes but the sum).
    locals: Vec<usize>,
}

struct Reverse<'a> {
    program: &'a Program,
    plan: &'a Plan,
    fwd: &'a Forward<'a>,
    /// Loads whose adjoint goes to a carried sum instead of the gradient
    /// array (see [`Reverse::carried`]), by instruction.
    carry_slot: RefCell<HashMap<usize, syn::Ident>>,
    /// Stored values whose adjoint is known to be nonzero where their tree
    /// is reversed (see [`Reverse::single_guard`]): no test.
    always: RefCell<HashSet<usize>>,
    /// How many times each instruction is read: as an operand, a stored
    /// value, an array element, a compared value or the output.
    uses: Vec<usize>,
    /// How many loops enclose the statement being reversed.
    depth: std::cell::Cell<usize>,
    /// The output's adjoint: 1, or a pullback's seed.
    one: TokenStream,
}

/// Loads of one parameter array in a loop body at `i + c` for several
/// constants `c` (`x[i]` and `x[i + 1]` in Rosenbrock), with the same
/// other indices.
struct CarryGroup {
    param: usize,
    /// The indices before the last, the same in every iteration.
    outer: Vec<IntExpr>,
    /// The offsets `c`, ascending, with the loads at each.
    offsets: BTreeMap<u64, Vec<usize>>,
}

impl Reverse<'_> {
    fn has_adjoint(&self, i: usize) -> bool {
        self.plan.live.insts[i] && self.program.insts[i].active && self.plan.in_region[i]
    }

    /// Recompute (except at the top, whose forward values are in scope),
    /// declare the region's adjoints, then reverse its statements.
    fn region(&self, stmts: &[Stmt], top: bool) -> TokenStream {
        let mut out = TokenStream::new();
        if !top {
            for stmt in stmts {
                match stmt {
                    Stmt::Int(..) => out.extend(self.fwd.stmts(std::slice::from_ref(stmt))),
                    Stmt::Inst(i) if self.plan.needed[*i] => {
                        out.extend(match self.plan.taped[*i] {
                            Some(s) => {
                                let (t, v) = (name("t", s), name("v", *i));
                                let f64_ty = f64_ty();
                                match (&self.plan.site_dims[s], self.plan.sites[s]) {
                                    (Some(dims), _) => {
                                        let slot = tape_slot(dims);
                                        quote!(let #v: #f64_ty = #t[#slot];)
                                    }
                                    (None, 0) => quote!(let #v: #f64_ty = #t;),
                                    (None, _) => {
                                        quote!(let #v: #f64_ty = #t.pop().unwrap_or_default();)
                                    }
                                }
                            }
                            None => self.fwd.inst(*i),
                        });
                    }
                    _ => {}
                }
            }
        }
        for stmt in stmts {
            if let Stmt::Inst(i) = stmt {
                if self.has_adjoint(*i) {
                    let g = name("g", *i);
                    // -0.0, not 0.0: `-0.0 + x` is `x` for every x, so the
                    // first `+=` compiles to a move; `0.0 + x` is not (it
                    // turns -0.0 into 0.0) and would cost an add per value.
                    let seed = if top && self.program.output == Operand::Inst(*i) {
                        self.one.clone()
                    } else {
                        quote!(-0.0)
                    };
                    out.extend(quote!(let mut #g: ::core::primitive::f64 = #seed;));
                }
            }
        }
        // Each store's value tree (see `store_tree`) is reversed right
        // after the store, under one test of its adjoint.
        let mut in_tree = HashSet::new();
        for stmt in stmts.iter().rev() {
            if let Stmt::Inst(i) = stmt {
                if in_tree.contains(i) {
                    continue;
                }
            }
            if !self.plan.has_reverse(self.program, stmt) {
                continue;
            }
            out.extend(self.stmt(stmt));
            if let Stmt::Store {
                value: Operand::Inst(v),
                ..
            } = stmt
            {
                let tree = self.store_tree(stmts, *v);
                if tree.is_empty() {
                    continue;
                }
                let mut body = TokenStream::new();
                for i in tree.iter().rev() {
                    body.extend(self.inst_with(*i, false));
                    in_tree.insert(*i);
                }
                let g = name("g", *v);
                // The test keeps `0 * inf` out where a local derivative can
                // be infinite, and skips a long tree's work; a short tree of
                // finite derivatives (a relu, a bias) costs less than the
                // test and its branch.
                let test = tree.len() > SHORT_TREE || tree.iter().any(|i| self.tests_zero(*i));
                out.extend(if self.always.borrow().contains(v) || !test {
                    body
                } else {
                    quote!(if #g != 0.0 { #body })
                });
            }
        }
        out
    }

    /// The instructions of `stmts` that only the store of `value` reads,
    /// directly or through each other (`value` itself and, in `s += w[i] *
    /// x[i]`, the product and the loads), in source order. Their adjoints
    /// all come from that store, so when the store's adjoint is exactly 0
    /// (the stored value was overwritten before anything read it) one test
    /// skips them all, and a local derivative that is infinite there (an
    /// `exp` that overflowed) cannot make `0 * inf = NaN`; inside the tree
    /// no instruction needs a test of its own.
    fn store_tree(&self, stmts: &[Stmt], value: usize) -> Vec<usize> {
        let region: HashSet<usize> = stmts
            .iter()
            .filter_map(|s| match s {
                Stmt::Inst(i) => Some(*i),
                _ => None,
            })
            .collect();
        if !region.contains(&value) || self.uses[value] != 1 || !self.has_adjoint(value) {
            return Vec::new();
        }
        // A load of storage moves with the tree only if nothing stores to
        // that storage between it and the store (its adjoint belongs to the
        // value it read, which a store in between would reset).
        let position = |i: usize| {
            stmts
                .iter()
                .position(|s| matches!(s, Stmt::Inst(j) if *j == i))
        };
        let store_at = stmts
            .iter()
            .position(|s| matches!(s, Stmt::Store { value: Operand::Inst(j), .. } if *j == value));
        let movable = |j: usize| match &self.program.insts[j].kind {
            Kind::Load(place) => match (place.target, position(j), store_at) {
                (Target::Var(v), Some(from), Some(to)) => {
                    !stmts[from + 1..to].iter().any(|s| stores_to(s, v))
                }
                (Target::Var(_), _, _) => false,
                _ => true,
            },
            _ => true,
        };
        // Reads of each instruction from inside the tree, grown from the
        // stored value down to its operands in reverse source order.
        let mut tree = HashSet::from([value]);
        let mut reads_in_tree: HashMap<usize, usize> = HashMap::new();
        for stmt in stmts.iter().rev() {
            let Stmt::Inst(i) = stmt else { continue };
            if !tree.contains(i) {
                continue;
            }
            for o in self.program.insts[*i].operands() {
                if let Operand::Inst(j) = o {
                    *reads_in_tree.entry(j).or_default() += 1;
                    if region.contains(&j)
                        && reads_in_tree[&j] == self.uses[j]
                        && self.has_adjoint(j)
                        && movable(j)
                    {
                        tree.insert(j);
                    }
                }
            }
        }
        stmts
            .iter()
            .filter_map(|s| match s {
                Stmt::Inst(i) if tree.contains(i) => Some(*i),
                _ => None,
            })
            .collect()
    }

    /// The adjoint of an operand, if it has one.
    fn target(&self, o: Operand) -> Option<TokenStream> {
        match o {
            Operand::Param(i) => Some(name("gp", i).into_token_stream()),
            Operand::Inst(i) if self.has_adjoint(i) => Some(name("g", i).into_token_stream()),
            _ => None,
        }
    }

    fn stmt(&self, stmt: &Stmt) -> TokenStream {
        let program = self.program;
        match stmt {
            Stmt::Inst(i) => self.inst(*i),
            Stmt::Int(..) => TokenStream::new(),
            Stmt::Store { place, value } => {
                let Target::Var(v) = place.target else {
                    return TokenStream::new();
                };
                let idx = index(&place.index);
                // Storage that is restored gets back what the store overwrote.
                let restore = if self.plan.restores(v, stmt) {
                    let (x, r) = (name("x", v), name("rs", v));
                    quote!(#x #idx = #r.pop().unwrap_or_default();)
                } else {
                    TokenStream::new()
                };
                if !program.vars[v].active {
                    return restore;
                }
                let gx = name("gx", v);
                let pass = match self.target(*value) {
                    Some(t) => quote!(#t += #gx #idx;),
                    None => TokenStream::new(),
                };
                // -0.0, the identity of `+`: the load of the same storage
                // just before (`s` in `s += ...`) then adds its adjoint back
                // as a move, not as an add on the chain between iterations.
                if self.plan.settled.contains(&std::ptr::from_ref(stmt)) {
                    return quote!(#pass #restore);
                }
                quote!(#pass #gx #idx = -0.0; #restore)
            }
            Stmt::Init { var, init } => {
                let dims = &program.vars[*var].dims;
                let restore = if self.plan.restore[*var] {
                    let (x, r) = (name("x", *var), name("ri", *var));
                    let zeros = array_fill(dims, quote!(0.0f64));
                    quote!(#x = #r.pop().unwrap_or(#zeros);)
                } else {
                    TokenStream::new()
                };
                if !program.vars[*var].active {
                    return restore;
                }
                let gx = name("gx", *var);
                let mut out = TokenStream::new();
                self.init(init, &gx.to_token_stream(), &mut out);
                let zeros = array_fill(dims, quote!(0.0f64));
                quote!(#out #gx = #zeros; #restore)
            }
            Stmt::For(l) if self.plan.fused[l.id].is_some() => self.fused_scale(l),
            Stmt::For(l) => {
                let i = name("i", l.var);
                let range = range(l, !l.rev);
                let groups = self.carried(l);
                let guard = self.single_guard(l, &groups);
                if let Some((_, value, true)) = guard {
                    self.always.borrow_mut().insert(value);
                }
                let mut before = TokenStream::new();
                let mut flush = TokenStream::new();
                let mut after = TokenStream::new();
                for (k, group) in groups.iter().enumerate() {
                    let (c1, ck) = (
                        *group.offsets.keys().next().unwrap_or(&0),
                        *group.offsets.keys().last().unwrap_or(&0),
                    );
                    let m = (ck - c1) as usize;
                    let slot = |d: usize| {
                        format_ident!("__mg_carry{}_{}_{}", l.id, k, d, span = Span::mixed_site())
                    };
                    for (c, loads) in &group.offsets {
                        for inst in loads {
                            self.carry_slot
                                .borrow_mut()
                                .insert(*inst, slot((c - c1) as usize));
                        }
                    }
                    let gp = name("gp", group.param);
                    let outer = index(&group.outer);
                    // A loop that runs once per call and holds every read of
                    // the parameter writes each gradient element exactly
                    // once, to the zero it started at: `=` instead of `+=`.
                    let sole = self.depth.get() == 0 && self.reads_only_here(group);
                    let write = if sole { quote!(=) } else { quote!(+=) };
                    // Written, the sum is normalised to +0.0 (`-0.0 + 0.0`).
                    let norm = if sole {
                        quote!(+ 0.0)
                    } else {
                        TokenStream::new()
                    };
                    let slots: Vec<_> = (0..=m).map(slot).collect();
                    before.extend(quote!(#(let mut #slots: ::core::primitive::f64 = -0.0;)*));
                    // Element i + ck is complete: no later (lower) i reads it.
                    let (last, ck_lit) = (&slots[m], Literal::u64_unsuffixed(ck));
                    flush.extend(quote!(#gp #outer [#i + #ck_lit] #write #last #norm;));
                    for d in (1..=m).rev() {
                        let (to, from) = (&slots[d], &slots[d - 1]);
                        flush.extend(quote!(#to = #from;));
                    }
                    let first = &slots[0];
                    flush.extend(quote!(#first = -0.0;));
                    // After the last (lowest) iteration, slot d holds element
                    // start + c1 + d - 1; an empty loop leaves only -0.0.
                    let start = int(&l.start);
                    for (d, s) in slots.iter().enumerate().skip(1) {
                        let off = Literal::u64_unsuffixed(c1 + d as u64 - 1);
                        after
                            .extend(quote!(if #s != 0.0 { #gp #outer [#start + #off] #write #s; }));
                    }
                }
                self.depth.set(self.depth.get() + 1);
                let body = self.region(&l.body, false);
                self.depth.set(self.depth.get() - 1);
                let reversed = quote!(#before for #i in #range { #body #flush } #after);
                // A loop whose one piece of reverse work is a store tree
                // under the test of one scalar's adjoint (`z += w[i] *
                // h[i]`) does nothing at all when that adjoint is 0 on
                // entry (each iteration would test it, pass nothing and
                // leave it 0): test it once, before the loop. A neuron
                // that relu switched off skips its inner loop this way.
                match guard {
                    Some((v, _, _)) => {
                        let gx = name("gx", v);
                        quote!(if #gx != 0.0 { #reversed })
                    }
                    None => reversed,
                }
            }
            Stmt::If(b) => {
                let t = name("b", b.id);
                let outcome = match (&self.plan.branch_dims[b.id], self.plan.branch_sites[b.id]) {
                    (Some(dims), _) => {
                        let slot = tape_slot(dims);
                        quote!(#t[#slot])
                    }
                    (None, Some(0)) => quote!(#t),
                    (None, _) => quote!(#t.pop().unwrap_or_default()),
                };
                let then = self.region(&b.then, false);
                let els = self.region(&b.els, false);
                quote!(if #outcome { #then } else { #els })
            }
        }
    }

    /// What loop `l`'s body reads from outside it and what storage is its
    /// own: the adjoints its fused reverse sweep writes.
    fn fused_reads(&self, l: &crate::ir::For) -> FusedReads {
        let program = self.program;
        let mut defined = HashSet::new();
        let mut written = HashSet::new();
        crate::ir::walk_all(&l.body, &mut |s| match s {
            Stmt::Inst(i) => {
                defined.insert(*i);
            }
            Stmt::Store { place, .. } => {
                if let Target::Var(v) = place.target {
                    written.insert(v);
                }
            }
            Stmt::Init { var, .. } => {
                written.insert(*var);
            }
            _ => {}
        });
        let mut params = Vec::new();
        let mut outer_vars = Vec::new();
        let mut outer_insts = Vec::new();
        let mut read = |o: Operand| match o {
            Operand::Param(p) if !params.contains(&p) => params.push(p),
            Operand::Inst(j)
                if !defined.contains(&j) && self.has_adjoint(j) && !outer_insts.contains(&j) =>
            {
                outer_insts.push(j)
            }
            _ => {}
        };
        let mut targets = Vec::new();
        crate::ir::walk_all(&l.body, &mut |s| match s {
            Stmt::Inst(i) => {
                program.insts[*i].operands().into_iter().for_each(&mut read);
                match &program.insts[*i].kind {
                    Kind::Load(place) => targets.push(place.target),
                    Kind::Call { args, .. } => targets.extend(array_targets(args)),
                    _ => {}
                }
            }
            Stmt::Store { value, .. } => read(*value),
            Stmt::Init { init, .. } => {
                let mut elems = Vec::new();
                init.elems(&mut elems);
                elems.into_iter().for_each(&mut read);
                if let ArrayInit::Call { args, .. } = init {
                    targets.extend(array_targets(args));
                }
            }
            _ => {}
        });
        for t in targets {
            match t {
                Target::Param(p) if !params.contains(&p) => params.push(p),
                Target::Var(v)
                    if !written.contains(&v)
                        && !outer_vars.contains(&v)
                        && self.plan.live.vars[v]
                        && program.vars[v].active =>
                {
                    outer_vars.push(v)
                }
                _ => {}
            }
        }
        let acc = self.plan.fused[l.id];
        let mut locals: Vec<usize> = written.into_iter().filter(|v| Some(*v) != acc).collect();
        locals.sort_unstable();
        params.sort_unstable();
        FusedReads {
            params,
            outer_vars,
            outer_insts,
            locals,
        }
    }

    /// Loop `l` with its forward and reverse sweeps fused: each iteration
    /// runs forward, then backward from its sum's adjoint seeded with 1,
    /// into local adjoints that [`Self::fused_scale`] scales by the sum's
    /// adjoint when the reverse sweep reaches the loop. The local adjoints
    /// are declared under the names the body's reverse code writes, in a
    /// block that hands them out under names of their own.
    fn fused_loop(&self, l: &crate::ir::For, reads: &FusedReads) -> TokenStream {
        let program = self.program;
        let Some(acc) = self.plan.fused[l.id] else {
            return TokenStream::new();
        };
        let mut decls = TokenStream::new();
        let mut out = Vec::new();
        for &p in &reads.params {
            let (g, zeros) = (name("gp", p), param_zeros(program, p));
            decls.extend(quote!(let mut #g = #zeros;));
            out.push(g);
        }
        for &v in &reads.outer_vars {
            let (g, zeros) = (
                name("gx", v),
                array_fill(&program.vars[v].dims, quote!(0.0f64)),
            );
            decls.extend(quote!(let mut #g = #zeros;));
            out.push(g);
        }
        for &j in &reads.outer_insts {
            let g = name("g", j);
            decls.extend(quote!(let mut #g: ::core::primitive::f64 = -0.0;));
            out.push(g);
        }
        for &v in &reads.locals {
            if self.plan.live.vars[v] && program.vars[v].active {
                let (g, zeros) = (
                    name("gx", v),
                    array_fill(&program.vars[v].dims, quote!(0.0f64)),
                );
                decls.extend(quote!(let mut #g = #zeros;));
            }
        }
        let g_acc = name("gx", acc);
        let i = name("i", l.var);
        let range = range(l, l.rev);
        let forward = self.fwd.stmts(&l.body);
        self.depth.set(self.depth.get() + 1);
        let backward = self.region(&l.body, true);
        self.depth.set(self.depth.get() - 1);
        let locals: Vec<syn::Ident> = out.iter().map(|g| fused_local(g, l.id)).collect();
        quote! {
            let (#(#locals,)*) = {
                #decls
                let mut #g_acc: ::core::primitive::f64 = 1.0;
                for #i in #range {
                    #forward
                    #g_acc = 1.0;
                    #backward
                }
                (#(#out,)*)
            };
        }
    }

    /// At a fused loop's place in the reverse sweep: its local adjoints,
    /// scaled by the adjoint of its sum (which passes the loop unchanged),
    /// join the others. Where the sum's adjoint is infinite, a local
    /// adjoint of exactly 0 (the sum does not depend on that input) adds
    /// nothing rather than `0 * inf = NaN`; a NaN adjoint reaches every
    /// input, as unfused.
    fn fused_scale(&self, l: &crate::ir::For) -> TokenStream {
        let program = self.program;
        let Some(acc) = self.plan.fused[l.id] else {
            return TokenStream::new();
        };
        let reads = self.fused_reads(l);
        let a = name("sum", l.id);
        let finite = name("finite", l.id);
        let add = |g: &syn::Ident, dims: usize, scalar: bool| {
            let local = fused_local(g, l.id);
            if scalar {
                return quote!(if #finite || #local != 0.0 { #g += #a * #local; });
            }
            let flat = (1..dims).map(|_| quote!(.as_flattened_mut()));
            let flat_local = (1..dims).map(|_| quote!(.as_flattened()));
            let (gk, lk) = (name("gk", l.id), name("lk", l.id));
            quote! {
                for (#gk, #lk) in #g #(#flat)* .iter_mut().zip(#local #(#flat_local)* .iter()) {
                    if #finite || *#lk != 0.0 { *#gk += #a * *#lk; }
                }
            }
        };
        let mut body = TokenStream::new();
        for &p in &reads.params {
            let g = name("gp", p);
            body.extend(match &program.params[p].ty {
                ParamTy::Scalar => add(&g, 0, true),
                ParamTy::Array(dims) => add(&g, dims.len(), false),
                ParamTy::Slice => add(&g, 1, false),
            });
        }
        for &v in &reads.outer_vars {
            let dims = program.vars[v].dims.len();
            body.extend(add(&name("gx", v), dims, dims == 0));
        }
        for &j in &reads.outer_insts {
            body.extend(add(&name("g", j), 0, true));
        }
        let g_acc = name("gx", acc);
        quote! {
            if #g_acc != 0.0 {
                let #a: ::core::primitive::f64 = #g_acc;
                let #finite = !#a.is_infinite();
                #body
            }
        }
    }

    /// The scalar storage whose adjoint guards all of loop `l`'s reverse
    /// work, if one does: the body is straight-line, one store in it has
    /// reverse work (to scalar storage, restoring nothing), every other
    /// instruction with reverse work is in that store's tree (reversed
    /// under the test of its adjoint, see [`Reverse::region`]), nothing in
    /// the body is popped from a tape, and no adjoint is carried. With the
    /// storage, the stored value, and whether the store passes its adjoint
    /// on unchanged up to sign (`z = z + t`, `z = z - t`: the body's one
    /// load of `z`, read only by that `+` or `-`): then the adjoint, tested
    /// nonzero before the loop, stays nonzero in every iteration, and the
    /// tree needs no test inside.
    fn single_guard(
        &self,
        l: &crate::ir::For,
        groups: &[CarryGroup],
    ) -> Option<(usize, usize, bool)> {
        if !groups.is_empty() {
            return None;
        }
        let mut store = None;
        for stmt in &l.body {
            match stmt {
                Stmt::Inst(i) if self.plan.taped[*i].is_some() => return None,
                Stmt::Inst(_) | Stmt::Int(..) => {}
                Stmt::Store { place, value } if self.plan.has_reverse(self.program, stmt) => {
                    let (Target::Var(v), Operand::Inst(val), None) = (place.target, value, store)
                    else {
                        return None;
                    };
                    let scalar = self.program.vars[v].dims.is_empty();
                    if !scalar || self.plan.restores(v, stmt) || !self.program.vars[v].active {
                        return None;
                    }
                    store = Some((v, *val));
                }
                Stmt::Store { .. } => {}
                _ => return None,
            }
        }
        let (v, val) = store?;
        let tree = self.store_tree(&l.body, val);
        let all_in_tree = l.body.iter().all(|stmt| match stmt {
            Stmt::Inst(i) => !self.plan.has_reverse(self.program, stmt) || tree.contains(i),
            _ => true,
        });
        if tree.is_empty() || !all_in_tree {
            return None;
        }
        let loads_of_v: Vec<usize> = l
            .body
            .iter()
            .filter_map(|stmt| match stmt {
                Stmt::Inst(i) => match &self.program.insts[*i].kind {
                    Kind::Load(p) if p.target == Target::Var(v) => Some(*i),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let pass = match (&self.program.insts[val].kind, loads_of_v.as_slice()) {
            (Kind::Op { op, args }, [load]) => {
                let sum = matches!(op, crate::ir::Op::Add | crate::ir::Op::Sub);
                sum && self.uses[*load] == 1
                    && args[..2].contains(&Operand::Inst(*load))
                    && args[0] != args[1]
            }
            _ => false,
        };
        Some((v, val, pass))
    }

    /// The loads of loop `l`'s body (its own statements) that read a
    /// parameter array at `i + c` for two or more constants `c`, `i` the
    /// loop variable, everything else in the index fixed. Their adjoints
    /// are summed in registers carried from one reversed iteration to the
    /// next, and each gradient element is written once, when complete,
    /// instead of being updated in memory by consecutive iterations (which
    /// makes each iteration wait for the previous one's store; measured 2x
    /// on Rosenbrock). Loops reversed upwards (`.rev()` in the source) are
    /// left as they are.
    fn carried(&self, l: &crate::ir::For) -> Vec<CarryGroup> {
        if l.rev {
            return Vec::new();
        }
        let mut inner_ints = vec![l.var];
        crate::ir::walk(&l.body, &mut |s| {
            if let Stmt::Int(id, _) = s {
                inner_ints.push(*id);
            }
        });
        let mut groups: Vec<CarryGroup> = Vec::new();
        for stmt in &l.body {
            let Stmt::Inst(i) = stmt else { continue };
            let Kind::Load(place) = &self.program.insts[*i].kind else {
                continue;
            };
            let (Target::Param(p), Some((last, outer))) = (place.target, place.index.split_last())
            else {
                continue;
            };
            if !self.has_adjoint(*i) || outer.iter().any(|e| uses_any(e, &inner_ints)) {
                continue;
            }
            let Some(c) = offset_from(last, l.var) else {
                continue;
            };
            let key = format!("{outer:?}");
            match groups
                .iter_mut()
                .find(|g| g.param == p && format!("{:?}", g.outer) == key)
            {
                Some(g) => g.offsets.entry(c).or_default().push(*i),
                None => groups.push(CarryGroup {
                    param: p,
                    outer: outer.to_vec(),
                    offsets: BTreeMap::from([(c, vec![*i])]),
                }),
            }
        }
        // One offset gains nothing: each element is complete after its
        // own iteration. Spans are kept small (one register per offset).
        groups.retain(|g| {
            g.offsets.len() >= 2
                && g.offsets.keys().last().copied().unwrap_or(0)
                    - g.offsets.keys().next().copied().unwrap_or(0)
                    <= 8
        });
        groups
    }

    /// Whether `group`'s loads are the only reads of its parameter with an
    /// adjoint anywhere in the program (and its outer index is none, so
    /// they cover whole rows of distinct elements).
    fn reads_only_here(&self, group: &CarryGroup) -> bool {
        let mine: HashSet<usize> = group.offsets.values().flatten().copied().collect();
        group.outer.is_empty() && self.program.insts.iter().enumerate().all(|(i, inst)| {
            mine.contains(&i)
                || !self.has_adjoint(i)
                || !matches!(&inst.kind, Kind::Load(p) if p.target == Target::Param(group.param))
        })
    }

    /// Whether instruction `i`'s reverse code must not run on an adjoint of
    /// exactly 0: a local derivative that can be infinite for finite
    /// operands (`rules::guards_zero`), or a call of a pullback.
    fn tests_zero(&self, i: usize) -> bool {
        match &self.program.insts[i].kind {
            Kind::Op { op, .. } => rules::guards_zero(*op),
            Kind::PowiBy { .. } | Kind::Call { .. } => true,
            Kind::Load(_) | Kind::FromInt(_) => false,
        }
    }

    /// The contributions of one instruction to its operands' adjoints,
    /// skipped when its adjoint is exactly 0 (see the module docs).
    fn inst(&self, i: usize) -> TokenStream {
        self.inst_with(i, true)
    }

    /// [`Self::inst`], with the test of the adjoint against 0 only when
    /// `guard` (a store tree has one test for all its instructions).
    fn inst_with(&self, i: usize, guard: bool) -> TokenStream {
        let program = self.program;
        let inst = &program.insts[i];
        let g = name("g", i).into_token_stream();
        let guards = match &inst.kind {
            Kind::Op { op, .. } => rules::guards_zero(*op),
            _ => true,
        };
        let (locals, operands): (Vec<Local>, Vec<Operand>) = match &inst.kind {
            Kind::Op { op, args } => {
                let tokens = args.map(|a| operand(program, a));
                let y = name("v", i).into_token_stream();
                let rule = rules::rule(*op, &tokens, &y);
                let n = op.arity();
                (rule.local.into_iter().take(n).collect(), args[..n].to_vec())
            }
            Kind::PowiBy { base, exp } => {
                let x = operand(program, *base);
                let n = int(exp);
                let rule = rules::powi_by(&x, &quote!(((#n) as i32)));
                (rule.local.into_iter().take(1).collect(), vec![*base])
            }
            Kind::Load(place) => {
                if let Some(slot) = self.carry_slot.borrow().get(&i) {
                    return quote!(#slot += #g;);
                }
                let src = match place.target {
                    Target::Var(v) => name("gx", v),
                    Target::Param(p) => name("gp", p),
                    Target::Data(_) => return TokenStream::new(),
                };
                let idx = index(&place.index);
                return quote!(#src #idx += #g;);
            }
            Kind::FromInt(_) => return TokenStream::new(),
            // The callee's pullback at this call's adjoint (the callee's
            // own reverse code, with its own tests of a zero adjoint);
            // skipped, call and all, when the adjoint is exactly 0.
            Kind::Call { callee, args } => {
                let grads = name("G", i).into_token_stream();
                let body = super::call::contributions(args, &grads, &|o| self.target(o));
                if body.is_empty() {
                    return TokenStream::new();
                }
                let a = super::call::f64_args(program, args, &|o| operand(program, o));
                let call = super::call::vjp_call(*callee, &a, &g, inst.span);
                let body = quote!(let #grads = #call; #body);
                return if guard {
                    quote!(if #g != 0.0 { #body })
                } else {
                    body
                };
            }
        };
        let mut guarded = false;
        let mut body = TokenStream::new();
        for (local, o) in locals.into_iter().zip(operands) {
            let Some(target) = self.target(o) else {
                continue;
            };
            if matches!(local, Local::Zero) {
                continue;
            }
            // `0 * inf = NaN` needs a local derivative that can be infinite
            // for finite operands (`OPS.md`; the `Value` engine tests the
            // same ops).
            guarded |= matches!(&local, Local::Expr(_)) && guards;
            body.extend(match local {
                Local::MinusOne => quote!(#target -= #g;),
                local => {
                    let c = contribution(g.clone(), local);
                    quote!(#target += #c;)
                }
            });
        }
        if guarded && guard {
            quote!(if #g != 0.0 { #body })
        } else {
            body
        }
    }

    /// `g += gx[path]` for each active element of an array initializer.
    fn init(&self, init: &ArrayInit, path: &TokenStream, out: &mut TokenStream) {
        super::init_adjoints(
            init,
            path,
            out,
            0,
            &|o| self.target(o),
            &|init, path, out| {
                // The callee's pullback at the array's adjoint (`path`, the
                // whole adjoint array, of the result's shape), at the same
                // arguments (recomputed like any value the reverse reads).
                let ArrayInit::Call { callee, args, span } = init else {
                    return;
                };
                let program = self.program;
                let grads = format_ident!("__mg_GA", span = Span::mixed_site());
                let grads_t = grads.to_token_stream();
                let body = super::call::contributions(args, &grads_t, &|o| self.target(o));
                if body.is_empty() {
                    return;
                }
                let a = super::call::f64_args(program, args, &|o| operand(program, o));
                let call = super::call::vjp_array_call(*callee, &a, path, *span);
                out.extend(quote!({ let #grads = #call; #body }));
            },
        );
    }
}

/// `c` when `e` is the loop variable `var` plus a literal `c` (or alone).
fn offset_from(e: &IntExpr, var: usize) -> Option<u64> {
    match e {
        IntExpr::Int(v) if *v == var => Some(0),
        IntExpr::Bin(IntOp::Add, a, b) => match (&**a, &**b) {
            (IntExpr::Int(v), IntExpr::Lit(c)) | (IntExpr::Lit(c), IntExpr::Int(v))
                if *v == var =>
            {
                Some(*c)
            }
            _ => None,
        },
        _ => None,
    }
}

/// Whether `e` reads any of the integers `ids`.
fn uses_any(e: &IntExpr, ids: &[usize]) -> bool {
    match e {
        IntExpr::Int(v) => ids.contains(v),
        IntExpr::Lit(_) | IntExpr::Captured(_) => false,
        IntExpr::Len(_, index) => index.iter().any(|e| uses_any(e, ids)),
        IntExpr::Bin(_, a, b) => uses_any(a, ids) || uses_any(b, ids),
    }
}

/// Whether `stmt` (or anything inside it) writes storage `v`.
fn stores_to(stmt: &Stmt, v: usize) -> bool {
    let mut found = false;
    crate::ir::walk(std::slice::from_ref(stmt), &mut |s| match s {
        Stmt::Store { place, .. } => found |= place.target == Target::Var(v),
        Stmt::Init { var, .. } => found |= *var == v,
        _ => {}
    });
    found
}

/// The array arguments of a call.
fn array_targets(args: &[crate::ir::CallArg]) -> impl Iterator<Item = Target> + '_ {
    args.iter().filter_map(|a| match a {
        crate::ir::CallArg::Array { target, .. } => Some(*target),
        crate::ir::CallArg::Scalar(_) => None,
    })
}

/// The name a fused loop hands one of its local adjoints out under.
fn fused_local(adjoint: &syn::Ident, loop_id: usize) -> syn::Ident {
    format_ident!("{}_l{}", adjoint, loop_id, span = Span::mixed_site())
}
