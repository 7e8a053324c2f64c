//! Issue 16: a program calling `#[differentiable]` helpers against the
//! same program inlined by hand in the `grad!` body (goal: within 1.05x).
//! `cargo bench --bench calls`; instruction counts of the same programs:
//! `bash benches/count-instructions.sh` (`calls_*` rows).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

#[path = "calls/programs.rs"]
mod programs;
use programs::*;

fn calls(c: &mut Criterion) {
    let (helpers, inline) = (straight_helpers(), straight_inline());
    let (w0, w1, b, v, cc) = STRAIGHT_AT;
    assert!((helpers(w0, w1, b, v, cc).0 - inline(w0, w1, b, v, cc).0).abs() < 1e-12);
    let mut g = c.benchmark_group("calls");
    g.bench_function("straight/helpers", |bench| {
        bench.iter(|| {
            helpers(
                black_box(w0),
                black_box(w1),
                black_box(b),
                black_box(v),
                black_box(cc),
            )
        })
    });
    g.bench_function("straight/inline", |bench| {
        bench.iter(|| {
            inline(
                black_box(w0),
                black_box(w1),
                black_box(b),
                black_box(v),
                black_box(cc),
            )
        })
    });
    let (lh, li) = (loop_helpers(), loop_inline());
    let (w, b) = LOOP_AT;
    assert!((lh(w, b).0 - li(w, b).0).abs() < 1e-12);
    g.bench_function("loop16/helpers", |bench| {
        bench.iter(|| lh(black_box(w), black_box(b)))
    });
    g.bench_function("loop16/inline", |bench| {
        bench.iter(|| li(black_box(w), black_box(b)))
    });
    g.finish();
}

criterion_group!(benches, calls);
criterion_main!(benches);
