#!/usr/bin/env bash
# Checks that scripts/test.sh fails when a test fails: it runs the script on
# the canary tests only (test/scripts/test-sh-canary.test for lit,
# python/tests/test_test_sh_canary.py for pytest), once with both passing and
# once with each of them made to fail through MIRAGE_TEST_CANARY, and checks
# the exit status and that every suite still ran. Needs a built tree (it
# skips setup.sh). Exits 0 when test.sh behaves, 1 otherwise.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
errors=0

# check CANARY EXPECTED-STATUS: runs test.sh with MIRAGE_TEST_CANARY=CANARY
# on the canaries alone.
check() {
  local canary="$1" expected="$2"
  MIRAGE_TEST_CANARY="$canary" MIRAGE_TEST_SKIP_SETUP=1 MIRAGE_TEST_SELF_TEST=0 \
    LIT_OPTS="-v --filter=test-sh-canary" PYTEST_ADDOPTS="-k test_sh_canary" \
    "$root/scripts/test.sh" >"$log" 2>&1
  local status=$?
  if [[ "$status" != "$expected" ]]; then
    echo "error: test.sh with MIRAGE_TEST_CANARY='$canary' exited $status, expected $expected:"
    sed 's/^/  | /' "$log"
    errors=$((errors + 1))
    return
  fi
  # Every suite runs, whichever failed first.
  for suite in "ninja check-mirage" "pytest python/tests"; do
    if ! grep -q "^==> running .*($suite)" "$log"; then
      echo "error: test.sh with MIRAGE_TEST_CANARY='$canary' did not run $suite"
      errors=$((errors + 1))
    fi
  done
  echo "ok: MIRAGE_TEST_CANARY='$canary' -> exit $status"
}

check "" 0
check fail-lit 1
check fail-pytest 1
check fail-lit,fail-pytest 1
exit $((errors != 0))
