//! Loops whose iterations meet only in one sum: their forward and reverse
//! sweeps are fused, iteration by iteration.
//!
//! A top-level loop such as a training loss over data points,
//!
//! ```text
//! let mut loss = 0.0;
//! for k in 0..xs.len() { let mut h = [..]; ...; loss += term_k; }
//! ```
//!
//! computes `loss_end = loss_start + sum_k term_k`, where each `term_k`
//! depends on the parameters and on values from before the loop, but on
//! nothing an earlier iteration wrote. Then, with `a` the adjoint of
//! `loss_end` (known only when the reverse sweep reaches the loop), each
//! input `u` the body reads gets `a * sum_k d term_k / du`: the sum of the
//! iterations' gradients with seed 1, scaled once by `a`. So each
//! iteration can be reversed right after it runs forward, with seed 1, into
//! local adjoints, and the reverse sweep only scales them when it reaches
//! the loop (derived here; Tapenade reverses loops marked as having
//! independent iterations, `$AD II-LOOP`, iteration by iteration too:
//! Hascoët and Pascual, "The Tapenade automatic differentiation tool",
//! ACM TOMS 39(3), 2013). Nothing of one iteration is kept for the reverse
//! sweep: an iteration's values are still in scope when it is reversed,
//! what it saves fits a fixed array (see `Plan::site_dims`), and its local
//! arrays are never put back.
//!
//! The loop qualifies when, besides the sum, every storage it writes is
//! its own: not used outside the loop, and written whole (`let mut h =
//! [..]`, `let mut z = ..`) before anything reads it in an iteration, so
//! nothing flows from one iteration to the next. The sum is one scalar,
//! read in the body only to add to it (`loss += t`, `loss = loss + t`,
//! `loss -= t`, also inside branches and inner loops). Anything else keeps
//! the general scheme, which is also correct, only slower: among the sums
//! it does not recognise are `s += if c { a } else { b }` (the `if`
//! value's storage is first written in a branch), `s = s + t + t * t`
//! (the read of `s` is not an operand of the stored sum) and `let u = s;
//! s = u + t`.
//!
//! A read of the sum elsewhere is unaffected: before the loop it is saved
//! or recomputed as the fused loop's stores require (the loop overwrites
//! the sum later); after it, the sum holds its final value, as unfused.

use crate::ir::{Kind, Op, Operand, Program, Stmt, Target};

/// The accumulator of each top-level loop that is fused, by loop id.
pub fn fusions(program: &Program) -> Vec<Option<usize>> {
    let live = program.live();
    let uses = program.use_counts();
    let mut out = vec![None; program.loops];
    for stmt in &program.body {
        if let Stmt::For(l) = stmt {
            out[l.id] = accumulator(program, &live, &uses, stmt, &l.body);
        }
    }
    out
}

/// The one sum of the loop `stmt` (with body `body`), when it qualifies.
fn accumulator(
    program: &Program,
    live: &crate::ir::Liveness,
    uses: &[usize],
    stmt: &Stmt,
    body: &[Stmt],
) -> Option<usize> {
    let mut written = Vec::new();
    crate::ir::walk(body, &mut |s| {
        let v = match s {
            Stmt::Store { place, .. } => match place.target {
                Target::Var(v) => v,
                _ => return,
            },
            Stmt::Init { var, .. } => *var,
            _ => return,
        };
        if !written.contains(&v) {
            written.push(v);
        }
    });
    let outside = |v: usize| {
        program
            .body
            .iter()
            .any(|s| !std::ptr::eq(s, stmt) && touches(program, v, s))
    };
    let mut acc = None;
    for &v in &written {
        if program.out_array == Some(Target::Var(v)) {
            return None;
        }
        if outside(v) {
            if acc.is_some() {
                return None;
            }
            acc = Some(v);
        } else if !local(program, v, body) {
            return None;
        }
    }
    let acc = acc?;
    let var = &program.vars[acc];
    let sums_only = var.dims.is_empty() && var.active && live.vars[acc];
    (sums_only && only_added_to(program, uses, acc, body)).then_some(acc)
}

/// Whether storage `v` starts afresh in every run of `stmts`: the first
/// statement that touches it writes it whole, or is a loop that holds
/// every use of it in `stmts` and in whose body it starts afresh.
fn local(program: &Program, v: usize, stmts: &[Stmt]) -> bool {
    let Some(first) = stmts.iter().position(|s| touches(program, v, s)) else {
        return true;
    };
    match &stmts[first] {
        Stmt::Store { place, .. } => {
            place.target == Target::Var(v) && place.index.is_empty() && {
                program.vars[v].dims.is_empty()
            }
        }
        Stmt::Init { var, .. } => *var == v,
        Stmt::For(inner) => {
            !stmts[first + 1..].iter().any(|s| touches(program, v, s))
                && local(program, v, &inner.body)
        }
        _ => false,
    }
}

/// Whether every read of `acc` in `stmts` (at any depth, conditions
/// included) is the left side of a sum stored straight back into it
/// (`acc = acc + t`, `acc = t + acc`, `acc = acc - t`), with no other write
/// of `acc` in between, and every write of `acc` is such a sum.
fn only_added_to(program: &Program, uses: &[usize], acc: usize, stmts: &[Stmt]) -> bool {
    let mut loads = 0;
    crate::ir::walk_all(stmts, &mut |s| {
        if is_load_of(program, acc, s) {
            loads += 1;
        }
    });
    let mut matched = 0;
    sums_in(program, uses, acc, stmts, &mut matched) && matched == loads
}

/// Checks the writes of `acc` in one region and those nested in it,
/// counting the reads each one consumes.
fn sums_in(
    program: &Program,
    uses: &[usize],
    acc: usize,
    stmts: &[Stmt],
    matched: &mut usize,
) -> bool {
    let position = |i: usize| {
        stmts
            .iter()
            .position(|s| matches!(s, Stmt::Inst(j) if *j == i))
    };
    for (k, stmt) in stmts.iter().enumerate() {
        match stmt {
            Stmt::Store { place, value } if place.target == Target::Var(acc) => {
                let Operand::Inst(sum) = *value else {
                    return false;
                };
                let Kind::Op { op, args } = program.insts[sum].kind else {
                    return false;
                };
                let sides: &[Operand] = match op {
                    Op::Add => &args[..2],
                    Op::Sub => &args[..1],
                    _ => return false,
                };
                let read = sides.iter().find_map(|o| match o {
                    Operand::Inst(ld) if is_load_of(program, acc, &Stmt::Inst(*ld)) => Some(*ld),
                    _ => None,
                });
                let (Some(ld), Some(at_sum)) = (read, position(sum)) else {
                    return false;
                };
                let Some(at_load) = position(ld) else {
                    return false;
                };
                // One read, used by this sum only, which only this write
                // uses, with nothing else touching `acc` in between.
                let single = args[0] != args[1] && uses[ld] == 1 && uses[sum] == 1;
                let between = stmts[at_load + 1..k]
                    .iter()
                    .any(|s| touches(program, acc, s));
                if !single || between || at_sum > k || !place.index.is_empty() {
                    return false;
                }
                *matched += 1;
            }
            Stmt::For(l) if !sums_in(program, uses, acc, &l.body, matched) => return false,
            Stmt::If(b)
                if !sums_in(program, uses, acc, &b.then, matched)
                    || !sums_in(program, uses, acc, &b.els, matched) =>
            {
                return false;
            }
            _ => {}
        }
    }
    true
}

/// Whether `stmt` is a load of storage `v`.
pub fn is_load_of(program: &Program, v: usize, stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::Inst(i)
        if matches!(&program.insts[*i].kind, Kind::Load(p) if p.target == Target::Var(v)))
}

/// Whether `stmt` or anything inside it (conditions included) reads or
/// writes storage `v`.
pub fn touches(program: &Program, v: usize, stmt: &Stmt) -> bool {
    let mut found = false;
    crate::ir::walk_all(std::slice::from_ref(stmt), &mut |s| {
        found |= is_load_of(program, v, s)
            || matches!(s, Stmt::Store { place, .. } if place.target == Target::Var(v))
            || matches!(s, Stmt::Init { var, .. } if *var == v);
    });
    found
}
