#!/usr/bin/env bash
# Installs what is needed (scripts/setup.sh), builds, and runs every test
# suite, each one even when an earlier one failed:
#   1. the lit regression tests (IR round trips, verifier diagnostics, passes,
#      mirage-run, the benchmark programs, the NumPy comparison of every op)
#      and the GoogleTest unit tests, all through the check-mirage target;
#   2. the Python package's tests (pytest python/tests);
#   3. this script's own exit status (scripts/tests/test-sh-exit-status.sh).
# Exits 0 only when every suite passed, 1 when any failed (the summary at the
# end names them), and with setup.sh's status when the build itself failed.
#
# Environment: LIT_OPTS (default -sv) and PYTEST_ADDOPTS are passed to lit and
# pytest; MIRAGE_BUILD_DIR builds elsewhere; MIRAGE_TEST_SKIP_SETUP=1 skips
# setup.sh (the tools must be built already); MIRAGE_TEST_SELF_TEST=0 skips
# suite 3 (the self-test sets it, so that it does not run itself).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MIRAGE_BUILD_DIR:-$root/build}"

if [[ "${MIRAGE_TEST_SKIP_SETUP:-0}" != 1 ]]; then
  "$root/scripts/setup.sh" || { status=$?; echo; echo "FAIL: scripts/setup.sh (exit $status)"; exit $status; }
fi

failed=()
# run_suite NAME COMMAND...: runs one suite and records its failure; never
# stops the script, so that every suite reports.
run_suite() {
  local name="$1"; shift
  echo
  echo "==> running $name"
  "$@"
  local status=$?
  if ((status != 0)); then
    echo
    echo "FAIL: $name (exit $status)"
    failed+=("$name")
  fi
}

run_suite "the lit and unit tests (ninja check-mirage)" \
  env LIT_OPTS="${LIT_OPTS:--sv}" ninja -C "$build" check-mirage

# The Python package, as installed into .venv by setup.sh (the repository
# root holds no `mirage` directory, so the tests import the installed one).
run_suite "the Python package's tests (pytest python/tests)" \
  bash -c 'cd "$1" && "$1/.venv/bin/python" -m pytest python/tests -q -p no:cacheprovider' \
  _ "$root"

if [[ "${MIRAGE_TEST_SELF_TEST:-1}" != 0 ]]; then
  run_suite "the test command's own exit status (scripts/tests/test-sh-exit-status.sh)" \
    "$root/scripts/tests/test-sh-exit-status.sh"
fi

echo
if ((${#failed[@]})); then
  echo "FAIL: ${#failed[@]} suite(s) failed:"
  printf '  - %s\n' "${failed[@]}"
  exit 1
fi
echo "PASS: all Mirage tests passed"
