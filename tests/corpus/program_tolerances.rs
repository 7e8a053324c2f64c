//! The tolerances of the generated program corpus `tests/program_corpus_*.rs`.
//! Both are bounds on `micrograd::check::disagreement(a, b) =
//! |a - b| / max(|a|, |b|, 1)`, as in `tests/corpus/tolerances.rs`; they are
//! looser than the formula corpus's because a program runs many more
//! operations than a formula: a loop of 5 iterations nested 3 deep runs its
//! body 125 times.

/// Static (`grad!`) vs dynamic (`Value`).
///
/// The two engines run the same operations, but a value read in every
/// iteration of a loop (a parameter, an accumulator) collects one adjoint
/// contribution per read, and the static reverse sweep (which runs loops
/// backwards) and the dynamic graph's topological order may sum them in
/// another order: one rounding of 2^-53 relative to the partial sum per
/// addition. With up to a few hundred contributions of size up to ~100
/// (the generator keeps every intermediate within 100), that is at most
/// ~3e-12 if every rounding had the same sign; 1e-11 bounds it.
pub const REL: f64 = 1e-11;

/// Each engine vs the central finite difference.
///
/// Finite differences of loops accumulate rounding error over iterations:
/// with `h ~ 6e-6` (see `micrograd::check`) the rounding term is
/// `err(f) / h`, and `err(f)` grows with the number of operations the
/// forward pass runs, about one `eps` (2.2e-16) per operation relative to
/// intermediates of up to 100. A program here runs up to ~500 operations
/// against the formula corpus's ~30: 500 * 2.2e-14 / 6e-6 ~ 2e-6 if every
/// rounding had the same sign, sqrt(500) * 2.2e-14 / 6e-6 ~ 8e-8 for the
/// usual random walk. 1e-6 sits between the two (it is also
/// `micrograd::check`'s default); a derivative bug (a wrong rule, a value
/// read after it was overwritten in a loop, a lost contribution) typically
/// shows up at 1e-3 or more, so 1e-6 still separates right from wrong by
/// orders of magnitude. Measured by `program_corpus_fresh` (the generator's
/// evaluator run on `Value`, up to 428 graph nodes per case): the largest
/// disagreement is 4.6e-8, ten times the formula corpus's 4.3e-9, so the
/// formula corpus's 1e-7 would leave only a factor of 2.
pub const FD: f64 = 1e-6;
