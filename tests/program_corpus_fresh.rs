//! The generated program corpus `tests/program_corpus_*.rs` is what its
//! checked-in generator `tests/corpus/programs.rs` produces today, and
//! covers every construct of the `grad!` program language many times.

#[path = "corpus/programs.rs"]
mod generator;

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
}

/// Rewrites the corpus files from the generator.
#[test]
#[ignore = "writes tests/program_corpus_*.rs; run after changing the generator"]
fn regenerate() {
    for (i, text) in generator::files().iter().enumerate() {
        std::fs::write(generator::path(i), text).expect("write corpus file");
    }
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
