#!/usr/bin/env bash
# tests/python/run.sh - the Python package (python/normsim on build/libnormsim.so) against
# the CLI and itself: tests/python/test_python.py with Debian's python3 (torch, numpy).
# Builds nothing: uses build/normsim and build/libnormsim.so (make all).
# Last line: "python: N passed, N failed"; exit 1 if anything failed or could not run.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
python=${PYTHON:-/usr/bin/python3}
export PYTHONDONTWRITEBYTECODE=1 # leave no __pycache__ in the tree
fail_alone() {
  echo "FAIL python: $1"
  echo "python: 0 passed, 1 failed"
  exit 1
}
[ -x "$root/build/normsim" ] || fail_alone "no build/normsim (run make all)"
[ -f "$root/build/libnormsim.so" ] || fail_alone "no build/libnormsim.so (run make all)"
"$python" -c 'import torch, numpy' 2>/dev/null ||
  fail_alone "$python cannot import torch and numpy (make deps installs python3-torch, python3-numpy)"
unset NORMSIM_LIB # the checkout's build/libnormsim.so, found relative to the package
cd "$root" && PYTHONPATH="$root/python" exec "$python" tests/python/test_python.py "$@"
