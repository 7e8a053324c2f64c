//! The generated program corpus `tests/program_corpus_*.rs` is what its
//! checked-in generator `tests/corpus/programs.rs` produces today, and
//! covers every construct of the `grad!` program language many times; and
//! its programs, interpreted by the generator on the `Value` engine, match
//! finite differences (what `grad!` must then match too).

#[path = "corpus/programs.rs"]
mod generator;
// Only `FD` is needed here; `REL` bounds `grad!` against `Value`.
#[allow(dead_code)]
#[path = "corpus/program_tolerances.rs"]
mod tolerances;

use generator::{Bin, Un};
use micrograd::Value;

#[test]
fn checked_in_program_corpus_is_fresh() {
    for (i, text) in generator::files().iter().enumerate() {
        let path = generator::path(i);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == *text,
            "{path} is stale: regenerate with `cargo test --test program_corpus_fresh -- --ignored`"
        );
    }
    let on_disk = std::fs::read_to_string(generator::calls_path()).unwrap_or_default();
    assert!(
        on_disk == generator::calls_file(),
        "{} is stale: regenerate with `cargo test --test program_corpus_fresh -- --ignored`",
        generator::calls_path()
    );
}

/// Rewrites the corpus files from the generator.
#[test]
#[ignore = "writes tests/program_corpus_*.rs; run after changing the generator"]
fn regenerate() {
    for (i, text) in generator::files().iter().enumerate() {
        std::fs::write(generator::path(i), text).expect("write corpus file");
    }
    std::fs::write(generator::calls_path(), generator::calls_file()).expect("write calls corpus");
}

#[test]
fn program_corpus_covers_every_construct() {
    let (counts, cases) = generator::coverage();
    for (name, n) in &counts {
        println!("{n:6}  {name}");
    }
    assert!(cases >= 300, "{cases} cases");
    // Every parameter shape, point shape, capture, loop form, statement,
    // comparison, selection and op, many times over.
    let thin: Vec<_> = counts.iter().filter(|(_, n)| *n < MIN).collect();
    assert!(thin.is_empty(), "fewer than {MIN} occurrences: {thin:?}");
}

/// The least number of occurrences of each construct in the corpus.
const MIN: usize = 15;

/// The generator's evaluator run on the `Value` engine: what `grad!` must
/// reproduce, checked against finite differences without the macro.
impl generator::Num for Value {
    fn lit(v: f64) -> Value {
        Value::new(v)
    }
    fn val(self) -> f64 {
        self.data()
    }
    fn un(self, op: Un) -> Value {
        match op {
            Un::Neg => -self,
            Un::Exp => self.exp(),
            Un::Ln => self.ln(),
            Un::Sqrt => self.sqrt(),
            Un::Tanh => self.tanh(),
            Un::Sin => self.sin(),
            Un::Cos => self.cos(),
            Un::Abs => self.abs(),
            Un::Relu => self.relu(),
            Un::Sigmoid => self.sigmoid(),
        }
    }
    fn bin(self, op: Bin, b: Value) -> Value {
        match op {
            Bin::Add => self + b,
            Bin::Sub => self - b,
            Bin::Mul => self * b,
            Bin::Div => self / b,
        }
    }
    fn powi(self, n: i32) -> Value {
        Value::powi(self, n)
    }
    fn powf(self, e: Value) -> Value {
        Value::powf(self, e)
    }
}

impl generator::Engine for Value {
    fn gradient(point: &[f64], f: &dyn Fn(&[Value]) -> Value) -> Vec<f64> {
        micrograd::scope(|| {
            let x: Vec<Value> = point.iter().map(|&v| Value::new(v)).collect();
            f(&x).backward();
            x.iter().map(|v| v.grad()).collect()
        })
    }
}

#[test]
fn programs_on_the_value_engine_match_finite_differences() {
    let worst = generator::engine_vs_fd::<Value>();
    let (k, err) = (worst.iter().copied().enumerate())
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    println!("largest disagreement {err:.2e} (case_{k:03})");
    assert!(err <= tolerances::FD, "case_{k:03}: {err:.2e}");
}
