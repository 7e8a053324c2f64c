#!/usr/bin/env bash
# What `grad!` adds to compile time (issue 12), for two programs:
#   corpus: the largest program (by source length of its assert_grad! call)
#           in the generated corpus tests/program_corpus_*.rs;
#   loops:  a program with 10 loops (one nested pair), written below.
# Each is compiled as a binary twice: calling `micrograd::grad!(closure)`,
# and calling the plain closure (the same file without the `grad!( )`),
# so the difference is what `grad!` costs. Untyped scalar parameters are
# written `x: f64` and float literals `1.5_f64` in both files (the plain
# closure needs them; `grad!` accepts them), and both files define
# relu/sigmoid on f64 (`grad!` knows them, f64 does not).
#
# Method: a scratch crate under a `mktemp -d` folder depending on this
# repository (path dependency, this repository's Cargo.lock), its own
# target folder, CARGO_INCREMENTAL=0; every binary is built once, then
# `touch` + `cargo build --bin <one>` is timed, median of 3, in the dev
# and the release profile. The folder is removed at exit.
#   bash benches/compile-time.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "compile-time: scratch crate in $work (removed at exit), micrograd from $repo"

mkdir -p "$work/src/bin"
cat >"$work/Cargo.toml" <<EOF
[package]
name = "grad-compile-time"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
micrograd = { path = "$repo" }

[workspace]
EOF
cp "$repo/Cargo.lock" "$work/Cargo.lock"

# Writes src/bin/{corpus,loops}_{grad,plain}.rs; prints what it chose.
python3 - "$repo" "$work/src/bin" <<'PY'
import glob, re, sys

repo, out = sys.argv[1], sys.argv[2]

def matching(s, i):
    """Index just past the bracket closing the one at s[i]."""
    depth = 0
    for j in range(i, len(s)):
        depth += (s[j] in "([{") - (s[j] in ")]}")
        if depth == 0:
            return j + 1
    raise ValueError("unbalanced")

def split_top(s):
    """Split at commas outside brackets."""
    parts, depth, start = [], 0, 0
    for j, c in enumerate(s):
        depth += (c in "([{") - (c in ")]}")
        if c == "," and depth == 0:
            parts.append(s[start:j].strip())
            start = j + 1
    parts.append(s[start:].strip())
    return [p for p in parts if p]

def suffix_floats(s):
    return re.sub(r"(?<![\w.])(\d+\.\d+(?:[eE][+-]?\d+)?)(?![\w.])", r"\1_f64", s)

HEADER = """//! Written by benches/compile-time.sh: {what}.
#![allow(warnings)] // generated programs: redundant parentheses, unused loop variables
use std::hint::black_box;

/// relu and sigmoid for plain f64 (`grad!` knows them; f64 does not).
#[allow(dead_code)]
trait Act {{
    fn relu(self) -> f64;
    fn sigmoid(self) -> f64;
}}
impl Act for f64 {{
    fn relu(self) -> f64 {{
        self.max(0.0)
    }}
    fn sigmoid(self) -> f64 {{
        1.0 / (1.0 + (-self).exp())
    }}
}}

fn main() {{
{setup}
    let f = {closure};
{call}
}}
"""

def write(name, what, setup, params, body, call):
    closure = "|" + ", ".join(params) + "| " + body
    for kind, wrapped in (("grad", f"micrograd::grad!({closure})"), ("plain", closure)):
        with open(f"{out}/{name}_{kind}.rs", "w") as f:
            f.write(HEADER.format(what=what, setup=setup, closure=wrapped, call=call))

# (i) the largest corpus program.
cases = []
for path in sorted(glob.glob(f"{repo}/tests/program_corpus_[0-9]*.rs")):
    text = open(path).read()
    for m in re.finditer(r"fn (case_\d+)\(\) \{", text):
        body = text[m.end() : matching(text, m.end() - 1) - 1]
        at = body.find("assert_grad!(")
        if at < 0:
            continue
        call = body[at + len("assert_grad!") : matching(body, at + len("assert_grad!"))]
        cases.append((len(call), path[len(repo) + 1 :], m.group(1), body[:at], call[1:-1]))
if cases:
    size, path, case, lets, args = max(cases)
    bar = args.index("|", 1)  # the parameters' commas are not separators
    rest = split_top(args[bar + 1 :])
    closure, point = args[: bar + 1] + rest[0], rest[1]
    params = split_top(closure[1:bar])
    params = [p if ":" in p else p + ": f64" for p in params]
    types = [p.split(":", 1)[1].strip() for p in params]
    if len(params) == 1:
        args = ["&p" if types[0].startswith("&") else "p"]
    elif all(t == "f64" for t in types):
        args = [f"p[{k}]" for k in range(len(params))]
    else:
        args = [("&" if t.startswith("&") else "") + f"p.{k}" for k, t in enumerate(types)]
    setup = "\n".join("    " + l.strip() for l in lets.strip().splitlines())
    setup += f"\n    let p = black_box({point});"
    write("corpus", f"{path} {case}", suffix_floats(setup), params,
          suffix_floats(closure[bar + 1 :].strip()),
          f"    black_box(f({', '.join(args)}));")
    lines = closure.count("\n") + 1
    print(f"corpus: {path} {case}, {size} characters, {lines} lines, params {', '.join(params)}")
else:
    print("corpus: no tests/program_corpus_*.rs; only the 10-loop program")

# (ii) ten loops over a slice, arrays and a local array, with branches.
setup = """    let xs = vec![0.5_f64, -1.0, 0.25, 2.0, -0.75, 1.5, 0.1, -0.3];
    let ys = [0.2_f64, -0.4, 0.6, -0.8];
    let x = black_box(vec![0.3_f64, -0.2, 0.9, 0.4, -0.6, 0.1]);
    let w = black_box([0.1_f64, 0.2, -0.3, 0.4, -0.5, 0.6, 0.7, -0.8]);
    let m = black_box([[0.5_f64, -0.1, 0.2, 0.3], [0.1, 0.4, -0.2, 0.0], [0.3, 0.2, 0.1, -0.4], [-0.2, 0.1, 0.5, 0.2]]);
    let b = black_box(0.25_f64);"""
body = """{
        let mut s = 0.0;
        for i in 0..x.len() {
            s += x[i] * xs[i];
        }
        let mut p = 1.0;
        for i in 0..8 {
            p *= (w[i] * 0.5).tanh() + 1.5;
        }
        let mut h = [0.0; 4];
        for i in 0..4 {
            for j in 0..4 {
                h[i] += m[i][j] * w[j];
            }
        }
        for i in 0..4 {
            h[i] = h[i].max(0.0) + b;
        }
        let mut r = 0.0;
        for i in 0..x.len() - 1 {
            r += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
        }
        let mut e = 0.0;
        for i in (0..4).rev() {
            e = e * 0.9 + h[i].exp();
        }
        let mut q = 0.0;
        for i in 0..=3 {
            if h[i] > 0.5 {
                q += h[i].ln();
            } else {
                q -= h[i] * h[i];
            }
        }
        let mut t = b;
        for k in 0..5 {
            t = (t * w[k % 8] + xs[k]).sin();
        }
        let mut c = 0.0;
        for i in 0..x.len() {
            c += (x[i] - ys[i % 4]).powi(2).sigmoid();
        }
        s + p + r * 0.01 + e.ln() + q + t + c
    }"""
write("loops", "a program with 10 loops", setup,
      ["x: &[f64]", "w: [f64; 8]", "m: [[f64; 4]; 4]", "b: f64"],
      suffix_floats(body), "    black_box(f(&x, w, m, b));")
print("loops: 10 loops (2 nested), params x: &[f64], w: [f64; 8], m: [[f64; 4]; 4], b: f64")
PY

export CARGO_TARGET_DIR="$work/target" CARGO_INCREMENTAL=0
cd "$work"
programs=$(cd src/bin && ls ./*_grad.rs | sed 's|^\./||; s|_grad\.rs$||')
for profile in dev release; do
    echo "building every binary once ($profile)..."
    cargo build -q --profile "$profile" --bins
    for b in src/bin/*.rs; do # each must run: the grad! call is checked too
        "$CARGO_TARGET_DIR/$([ "$profile" = dev ] && echo debug || echo release)/$(basename "$b" .rs)"
    done
done

# Seconds to rebuild one binary after touching its source, median of 3.
rebuild() { # profile bin
    local t=()
    for _ in 1 2 3; do
        touch "src/bin/$2.rs"
        local start end
        start=$(date +%s.%N)
        cargo build -q --profile "$1" --bin "$2"
        end=$(date +%s.%N)
        t+=("$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")
    done
    printf '%s\n' "${t[@]}" | sort -n | sed -n 2p
}

uptime
echo
echo "| program | profile | plain closure | grad! | grad! - plain |"
echo "|---|---|---:|---:|---:|"
for prog in $programs; do
    for profile in dev release; do
        plain=$(rebuild "$profile" "${prog}_plain")
        grad=$(rebuild "$profile" "${prog}_grad")
        awk -v p="$prog" -v f="$profile" -v a="$plain" -v g="$grad" \
            'BEGIN { printf "| %s | %s | %.2f s | %.2f s | %+.2f s |\n", p, f, a, g, g - a }'
    done
done
