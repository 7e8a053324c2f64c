//! The reverse sweep: which adjoint contributions the backward code makes,
//! and in which order.
//!
//! Instructions are visited from last to first; each live, active instruction
//! that has an adjoint passes `g * local` to each of its active operands,
//! once per edge (`a * a` has two edges). The first contribution to a value
//! declares its adjoint, the later ones accumulate with `+=`, so there is no
//! `0.0 + ...` and no zero-initialised adjoint that is never used. Constants
//! and values that depend only on constants get no adjoint at all.

use crate::ir::{Operand, Program};
use crate::rules;

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
    let live = program.live();
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
        for (arg, &target) in inst.args[..inst.op.arity()].iter().enumerate() {
            if !program.is_active(target) || !rules::has_local(inst.op, arg) {
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
