#!/usr/bin/env bash
# Executes notebooks/micrograd.ipynb headless with the Rust Jupyter kernel
# (evcxr) and fails on the first cell that errors.
#
# Installs what it needs into notebooks/.venv (git-ignored; delete it to
# start over): nbconvert from PyPI into a virtual environment, and
# evcxr_jupyter from crates.io (`cargo install --locked`: about 8 minutes to
# build the first time) into the same folder, with its kernel spec in
# .venv/share/jupyter so nothing outside notebooks/ is touched.
#
# The executed notebook, with its outputs (plots and graph pictures), is
# written to notebooks/out/micrograd.ipynb; the committed notebook is left
# as it is. `.ci/run` runs this script only when MICROGRAD_NOTEBOOK=1.
set -euo pipefail
cd "$(dirname "$0")"
venv="$PWD/.venv"
start=$(date +%s)

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if [ ! -x "$venv/bin/jupyter-nbconvert" ]; then
    "$venv/bin/pip" install --quiet nbconvert
fi
if [ ! -x "$venv/bin/evcxr_jupyter" ]; then
    echo "building evcxr_jupyter (about 8 minutes the first time)"
    cargo install --locked evcxr_jupyter --root "$venv"
fi
# The kernel spec goes where the venv's jupyter looks first.
JUPYTER_PATH="$venv/share/jupyter" "$venv/bin/evcxr_jupyter" --install > /dev/null
export PATH="$venv/bin:$PATH"

mkdir -p out
# nbconvert stops at the first cell that raises (a compile error or a panic
# in evcxr) and exits non-zero; the first build of the crate and plotters in
# the kernel takes a few minutes, so the per-cell timeout is generous.
"$venv/bin/jupyter" nbconvert --to notebook --execute \
    --ExecutePreprocessor.kernel_name=rust \
    --ExecutePreprocessor.timeout=1200 \
    --output-dir out --output micrograd.ipynb micrograd.ipynb

# A kernel can report a failure as text without an error reply; check
# the outputs for evcxr's error stream too.
"$venv/bin/python" - out/micrograd.ipynb <<'EOF'
import json, sys
nb = json.load(open(sys.argv[1]))
bad = [
    (i, o)
    for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
    for o in c.get("outputs", [])
    if o.get("output_type") == "error" or (o.get("name") == "stderr" and "error" in "".join(o.get("text", "")).lower())
]
for i, o in bad:
    print(f"cell {i}: {json.dumps(o)[:2000]}", file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
echo "notebook ran clean in $(( $(date +%s) - start )) s: notebooks/out/micrograd.ipynb"
