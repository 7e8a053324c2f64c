//! Peak memory per node of a 1,000,002-node graph, build plus backward.
//!
//! Method: reset the process's peak resident set (`5` to
//! `/proc/self/clear_refs`), build and differentiate the graph, and divide
//! the growth of `VmHWM` in `/proc/self/status` by the node count. This is
//! the only test in its binary so no other test allocates meanwhile. Linux
//! only; elsewhere it returns early. Print the number with
//! `cargo test --release --test value_memory -- --nocapture`.

use micrograd::{Value, graph_len, scope};

/// A field of /proc/self/status in bytes, e.g. `VmHWM` or `VmRSS`.
fn status_bytes(field: &str) -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn peak_memory_per_node_is_at_most_40_bytes() {
    const STEPS: usize = 333_333;
    const NODES: usize = 3 + 3 * STEPS; // w, x, y0, then mul, add, tanh per step
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        eprintln!("no /proc/self/clear_refs: skipping the measurement");
        return;
    }
    let (Some(before), Some(rss)) = (status_bytes("VmHWM"), status_bytes("VmRSS")) else {
        return;
    };
    assert!(
        before <= rss + 64 * 1024,
        "peak was not reset: {before} vs {rss}"
    );
    let base = graph_len();
    let grad = scope(|| {
        let (w, x) = (Value::new(0.9), Value::new(0.1));
        let mut y = Value::new(0.5);
        for _ in 0..STEPS {
            y = (y * w + x).tanh();
        }
        assert_eq!(graph_len() - base, NODES);
        y.backward();
        w.grad()
    });
    assert!(grad.is_finite());
    let peak = status_bytes("VmHWM").unwrap();
    let per_node = (peak - before) as f64 / NODES as f64;
    println!(
        "peak memory: {per_node:.1} bytes per node ({} bytes over {NODES} nodes)",
        peak - before
    );
    // Per node: an 8-byte value, a 12-byte op record, an 8-byte gradient
    // and a 4-byte backward stamp; backward keeps no per-node list of its
    // own (only a stash for gradients held from earlier calls, empty here).
    assert!(per_node <= 40.0, "{per_node:.1} bytes per node");
}
