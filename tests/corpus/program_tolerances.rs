//! The tolerances of the generated program corpus `tests/program_corpus_*.rs`.
//! Both are bounds on `micrograd::check::disagreement(a, b) =
//! |a - b| / max(|a|, |b|, 1)`, as in `tests/corpus/tolerances.rs`. A
//! program runs many more operations than a formula (a loop of 5
//! iterations nested 3 deep runs its body 125 times; the largest case here
//! records 428 `Value` nodes against the formula corpus's ~30), which
//! changes the finite-difference bound.

/// Static (`grad!`) vs dynamic (`Value`).
///
/// The two engines run the same operations, but a value read in every
/// iteration of a loop (a parameter, an accumulator) collects one adjoint
/// contribution per read, and the static reverse sweep (which runs loops
/// backwards) and the dynamic graph's topological order may sum them in
/// another order: one rounding of 2^-53 relative to the partial sum per
/// addition. With ~300 contributions of size up to 100 (the generator keeps
/// every intermediate within 100) that is about sqrt(300) * 1.1e-14 =
/// 2e-13 for the usual random walk; 3e-12 would need every rounding to go
/// the same way at the largest size. 1e-12 is the bound the issue asks for
/// and still holds with room: measured on the checked-in corpus (with `REL`
/// set to 0, counting the failures), 294 of 330 cases agree exactly and
/// the largest disagreement is 8.1e-16. (Before loops were fused, 302
/// agreed exactly, with the same largest: a fused loop scales its
/// iterations' sum of adjoints once, `a * (x * y)` where the `Value` graph
/// computes `(a * x) * y`.)
pub const REL: f64 = 1e-12;

/// Each engine vs the central finite difference.
///
/// Finite differences of loops accumulate rounding error over iterations:
/// with `h ~ 6e-6` (see `micrograd::check`) the rounding term is
/// `err(f) / h`, and `err(f)` grows with the number of operations the
/// forward pass runs, about one `eps` (2.2e-16) per operation relative to
/// intermediates of up to 100. Over ~500 operations that is
/// 500 * 2.2e-14 / 6e-6 ~ 2e-6 if every rounding had the same sign and
/// sqrt(500) * 2.2e-14 / 6e-6 ~ 8e-8 for the usual random walk; the
/// truncation term `h^2 / 6 * |f'''|` adds to it where a loop composes
/// steep functions. 1e-6 sits between the two (it is also
/// `micrograd::check`'s default); a derivative bug (a wrong rule, a value
/// read after it was overwritten in a loop, a lost contribution) typically
/// shows up at 1e-3 or more, so 1e-6 still separates right from wrong by
/// orders of magnitude. Measured on the checked-in corpus: largest 2.9e-7
/// (case_180, `cos(16.5^w)` in a loop: truncation), ten times the formula
/// corpus's largest, so its 1e-7 would not hold; 13 of 330 cases are exact.
pub const FD: f64 = 1e-6;
