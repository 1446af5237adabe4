#!/usr/bin/env bash
# tests/oracle/run.sh - the PyTorch oracle for every archetype: oracle_archs.py exports
# small models of each family with normsim (plain, perturbed, random gains, swapped
# norms), rebuilds each independently in PyTorch float64 from the family facts and the
# exported weights, and compares every tap and the logits (relative error <= 1e-10), the
# config's architectural facts, the tensor layout and the init; with export --grads
# (every case but the init ones) also the mean cross-entropy against targets.npy
# (rel err <= 1e-12) and every parameter's gradient from sim/model/backward.c against torch
# autograd (rel err <= 1e-9 per tensor); plus negative controls and per-family mutations
# that must be caught. One python process runs every case.
# Builds nothing: uses $NORMSIM (default build/normsim under the repo root) and
# ${PYTHON:-/usr/bin/python3} (Debian's, with python3-torch and python3-numpy).
# Extra arguments go to oracle_archs.py (-v, --only NAME,..., --keep DIR).
# Last line: "oracle: N passed, N failed"; exit 1 if anything failed or could not run.
set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
normsim=${NORMSIM:-$root/build/normsim}
python=${PYTHON:-/usr/bin/python3}
oracle=$root/tests/oracle/oracle_archs.py
export PYTHONDONTWRITEBYTECODE=1 # families.py is imported: leave no __pycache__ in the tree

fail_alone() {
  echo "FAIL oracle: $1"
  echo "oracle: 0 passed, 1 failed"
  exit 1
}

[ -x "$normsim" ] || fail_alone "no normsim binary at $normsim (run make all, or set NORMSIM)"
"$python" -c 'import torch, numpy' 2>/dev/null ||
  fail_alone "$python cannot import torch and numpy (make deps installs python3-torch, python3-numpy)"

out=$(mktemp) || fail_alone "mktemp failed"
trap 'rm -f "$out"' EXIT
"$python" "$oracle" --normsim "$normsim" "$@" | tee "$out"
rc=${PIPESTATUS[0]}
total=$(tail -n 1 "$out")
if [[ ! $total =~ ^oracle:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  echo "FAIL oracle: oracle_archs.py exited $rc without a summary line"
  echo "oracle: 0 passed, 1 failed"
  exit 1
fi
passed=${BASH_REMATCH[1]}
failed=${BASH_REMATCH[2]}
if { [ "$rc" -eq 0 ] && [ "$failed" -ne 0 ]; } || { [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; }; then
  echo "FAIL oracle: oracle_archs.py exited $rc after reporting $failed failed"
  echo "oracle: $passed passed, $((failed + 1)) failed"
  exit 1
fi
[ "$failed" -eq 0 ]
