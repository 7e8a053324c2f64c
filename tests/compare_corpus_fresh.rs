//! The generated corpus `tests/compare_corpus_*.rs` is what its checked-in
//! generator `tests/corpus/generate.rs` produces today, and covers everything
//! the generator promises.

#[path = "corpus/generate.rs"]
mod generator;

#[test]
fn checked_in_corpus_is_fresh() {
    for i in 0..generator::FILES {
        let path = generator::path(i);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == generator::file(i),
            "{path} is stale: regenerate with `cargo test --test compare_corpus_fresh -- --ignored`"
        );
    }
}

/// Rewrites the corpus files from the generator.
#[test]
#[ignore = "writes tests/compare_corpus_*.rs; run after changing the generator"]
fn regenerate() {
    for i in 0..generator::FILES {
        std::fs::write(generator::path(i), generator::file(i)).expect("write corpus file");
    }
}

#[test]
fn corpus_covers_every_op_and_statement_form() {
    let c = generator::coverage();
    println!("{c:?}");
    assert!(c.cases >= 500, "{} cases", c.cases);
    // Every op of OPS.md (rows 1 to 49), in both powf forms, many times over.
    for (op, n) in &c.unary {
        assert!(*n >= 20, "{op:?} appears {n} times");
    }
    for (op, n) in &c.binary {
        assert!(*n >= 20, "{op:?} appears {n} times");
    }
    assert!(c.powi >= 20 && c.powf_const_exp >= 20 && c.powf_var_exp >= 20);
    for (op, n) in &c.methods {
        assert!(*n >= 20, "{op:?} appears {n} times");
    }
    assert!(c.mul_add >= 20, "mul_add appears {} times", c.mul_add);
    assert!(
        c.leaky_relu >= 20,
        "leaky_relu appears {} times",
        c.leaky_relu
    );
    assert!(c.clamp >= 20, "clamp appears {} times", c.clamp);
    // let, let mut, and each of `=`, `+=`, `-=`, `*=`, `/=`.
    assert!(c.lets >= 100 && c.let_muts >= 50, "{c:?}");
    assert!(c.assigns.iter().all(|&n| n >= 20), "{:?}", c.assigns);
    // Constants of every kind, and bindings read more than once.
    assert!(c.captured_locals >= 20 && c.captured_paths >= 20 && c.int_literals >= 20);
    assert!(c.fan_out >= 100, "{} cases with fan-out", c.fan_out);
}
