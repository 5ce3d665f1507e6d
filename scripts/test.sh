#!/usr/bin/env bash
# Installs what is needed (scripts/setup.sh), builds, and runs every test:
# the lit regression tests (IR round trips, verifier diagnostics, passes,
# mirage-run, the benchmark programs, the NumPy comparison of every op) and
# the GoogleTest unit tests, all through the check-mirage target; then the
# Python package's tests (pytest python/tests).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MIRAGE_BUILD_DIR:-$root/build}"

"$root/scripts/setup.sh"

echo "==> running the tests (ninja check-mirage)"
if ! LIT_OPTS="${LIT_OPTS:--sv}" ninja -C "$build" check-mirage; then
  status=$?
  echo
  echo "FAIL: some Mirage tests failed (see above)"
  exit $status
fi

# The Python package, as installed into .venv by setup.sh (the repository
# root holds no `mirage` directory, so the tests import the installed one).
echo
echo "==> running the Python package's tests (pytest python/tests)"
if ! (cd "$root" && "$root/.venv/bin/python" -m pytest python/tests -q -p no:cacheprovider); then
  echo
  echo "FAIL: some Python package tests failed (see above)"
  exit 1
fi
echo
echo "PASS: all Mirage tests passed"
