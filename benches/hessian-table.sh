#!/usr/bin/env bash
# The tables of BENCHMARKS.md's "hessian!" section from the medians of the
# latest `cargo bench --bench hessian` run (ratios within that one run).
#   cargo bench --bench hessian -- --warm-up-time 1 --measurement-time 3
#   bash benches/hessian-table.sh
set -euo pipefail
cd "$(dirname "$0")/.."
median() {
    sed -E 's/.*"median":\{"confidence_interval":\{[^}]*\},"point_estimate":([0-9.eE+-]+).*/\1/' \
        "target/criterion/$1/new/estimates.json"
}
fmt() { awk -v ns="$1" 'BEGIN { if (ns >= 1e6) printf "%.2f ms", ns / 1e6; else if (ns >= 1e3) printf "%.2f us", ns / 1e3; else printf "%.1f ns", ns }'; }
echo "| function | N | hessian! | num-dual hessian | num-dual / hessian! |"
echo "|---|---:|---:|---:|---:|"
for row in "rosenbrock [f64; 2]|2|rosenbrock_2_hessian!|rosenbrock_2_num-dual" \
           "rosenbrock, scalars x, y|2|rosenbrock_2_hessian! scalars|rosenbrock_2_num-dual" \
           "lecture neuron|5|neuron_5_hessian!|neuron_5_num-dual" \
           "rosenbrock [f64; 5]|5|rosenbrock_5_hessian!|rosenbrock_5_num-dual" \
           "rosenbrock [f64; 20]|20|rosenbrock_20_hessian!|rosenbrock_20_num-dual"; do
    IFS='|' read -r name n ours theirs <<< "$row"
    a=$(median "hessian/$ours"); b=$(median "hessian/$theirs")
    echo "| $name | $n | $(fmt "$a") | $(fmt "$b") | $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1fx", b / a }') |"
done
echo
echo "| rosenbrock over a slice, N | grad! | hvp! | hvp! / grad! |"
echo "|---:|---:|---:|---:|"
for n in 20 1000 100000; do
    a=$(median "hvp/rosenbrock_${n}_grad!"); b=$(median "hvp/rosenbrock_${n}_hvp!")
    echo "| $n | $(fmt "$a") | $(fmt "$b") | $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", b / a }') |"
done
