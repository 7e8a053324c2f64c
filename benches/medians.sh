#!/usr/bin/env bash
# Criterion's median for each benchmark id given (as in its output:
# group/name), read from target/criterion/<id>/new/estimates.json after a
# `cargo bench` run. Criterion prints a mean; BENCHMARKS.md quotes medians.
#   bash benches/medians.sh train_step_moons100_2-16-16-1/value_graph expr30/value
set -euo pipefail
cd "$(dirname "$0")/.."
for id in "$@"; do
    ns=$(sed -E 's/.*"median":\{"confidence_interval":\{[^}]*\},"point_estimate":([0-9.eE+-]+).*/\1/' \
        "target/criterion/$id/new/estimates.json")
    awk -v id="$id" -v ns="$ns" 'BEGIN {
        if (ns >= 1e6) printf "%-50s %10.2f ms\n", id, ns / 1e6
        else if (ns >= 1e3) printf "%-50s %10.1f us\n", id, ns / 1e3
        else printf "%-50s %10.1f ns\n", id, ns }'
done
