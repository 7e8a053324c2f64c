#!/usr/bin/env bash
# Reproduces every number in BENCHMARKS.md, in one run, on one machine.
# Takes about fifteen minutes; run it on a quiet machine and read medians and
# ratios from the same run. Output: the terminal, and the tables that the
# benches print. Needs `pip install micrograd==0.1.0` for the Python row
# (skipped if it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
uptime
args=(-- --warm-up-time 1 --measurement-time 3)

echo "== grad! vs hand-written, and the one table (issue 5)"
cargo bench --bench compare "${args[@]}" 2>&1 | grep -E '^\|'
echo "== grad! programs: loops over slices and arrays (issue 12)"
cargo bench --bench programs "${args[@]}" 2>&1 | grep -E '^\|'
echo "== grad! programs: compile time (issue 12)"
bash benches/compile-time.sh
echo "== grad! vs hand-written (issue 2)"
cargo bench --bench grad "${args[@]}" 2>&1 | grep -B1 'time:' | grep -v '^--$'
echo "== grad! vs num-dual"
cargo bench --bench peers "${args[@]}" 2>&1 | grep -B1 'time:' | grep -v '^--$'
echo "== hessian! vs num-dual, hvp! vs grad! (issue 17)"
cargo bench --bench hessian "${args[@]}" > /dev/null 2>&1
bash benches/hessian-table.sh
echo "== Value: 30-node expression and 1M-node graphs (issue 3)"
cargo bench --bench value "${args[@]}" 2>&1 | grep -B1 'time:' | grep -v '^--$'
echo "== training step (issue 4)"
cargo bench --bench train "${args[@]}" 2>&1 | grep -B1 'time:' | grep -v '^--$'
echo "== medians of the Value and training benches"
bash benches/medians.sh expr30/value expr30/hand_f64 chain_1m/mul_add chain_1m/mul_add_build_only chain_1m/plain_vecs chain_20k/mul_add chain_20k/plain_vecs \
    chain_1m/tanh chain_1m/tanh_f64_forward train_step_moons100_2-16-16-1/value_graph \
    train_step_moons100_2-16-16-1/value_graph_unfused train_step_moons100_2-16-16-1/handwritten_f64

echo "== instructions per node and per step (callgrind; skipped without valgrind)"
if command -v valgrind >/dev/null; then bash benches/count-instructions.sh; fi
echo "== peak memory per node of a 1M-node graph"
cargo test -q --release --test value_memory -- --nocapture 2>&1 | grep -iE 'byte|node'
echo "== training memory: peak RSS after 100 and 10,000 steps"
cargo build -q --release --example train
for steps in 100 10000; do
    ./target/release/examples/train --steps "$steps" --out target/bench-train >/dev/null
    grep -E '"steps"|peak_rss_kb|ms_per_step' target/bench-train/summary.json | tr -d '\n'; echo
done
echo "== grad! expansion size"
cargo test -q -p micrograd-macros --lib -- --nocapture 2>&1 | grep -E 'input tokens'

if python3 -c 'import micrograd' 2>/dev/null; then
    echo "== Python micrograd on the same workloads"
    python3 benches/reference/micrograd_python.py
fi
uptime
