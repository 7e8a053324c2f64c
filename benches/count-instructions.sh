#!/usr/bin/env bash
# Instructions per unit of work for the Value engine, counted by callgrind:
# unlike wall time on this shared machine, the count repeats exactly.
# Each workload runs with REPS and with 0 repetitions; the difference,
# divided by the work done, leaves out start-up and set-up.
# Needs valgrind. See benches/counts.rs for the workloads.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(cargo bench --bench counts --no-run --message-format=json 2>/dev/null |
    grep -o '"executable":"[^"]*counts[^"]*"' | tail -1 | cut -d'"' -f4)
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 |
        grep -o 'Collected : [0-9]*' | grep -o '[0-9]*$'
}
per() { # workload reps units-per-rep unit
    local full base
    full=$(count "$1" "$2")
    base=$(count "$1" 0)
    awk -v f="$full" -v b="$base" -v r="$2" -v u="$3" -v name="$1" -v unit="$4" \
        'BEGIN { printf "%-12s %10.1f instructions per %s\n", name, (f - b) / (r * u), unit }'
}
per expr30 2000 1 "call"
per chain 5 200002 "node"
per chain_build 5 200002 "node"
per train 10 1 "step"
per hand 10 1 "step"
per hand_flat 10 1 "step"
per program 10 1 "step"
per calls_straight_helpers 100000 1 "call"
per calls_straight_inline 100000 1 "call"
per calls_loop_helpers 10000 1 "call"
per calls_loop_inline 10000 1 "call"
