#!/usr/bin/env bash
# Builds Mirage with AddressSanitizer and UndefinedBehaviorSanitizer
# (-DMIRAGE_ENABLE_SANITIZERS=ON) into build-asan and runs check-mirage there:
# the lit tests and the GoogleTest unit tests (the runtime's and
# MirageHostSupport's included). Exits 0 only when check-mirage passed and no
# process reported anything; otherwise prints the reports and exits 1. Not
# part of CI: a fresh run builds everything again with -O2 -g and
# instrumentation (about 45 minutes on 2 shared cores), and check-mirage takes
# 11 to 25 minutes instead of 3 to 5.
#
# A test that expects a tool to fail (`not mirage-run ...`, a Python test that
# expects an error) would pass if the tool died of a sanitizer report
# instead, so every report aborts the process (abort_on_error=1: `not` and
# Python count a signal as a failure, not as the expected error), and the
# script looks for reports besides the tests' verdicts: ASan and LeakSanitizer
# write theirs to build-asan/sanitizer-logs (log_path); UBSan, whose runtime
# in GCC ignores log_path when it runs beside ASan, writes to stderr, which
# the script scans in build-asan/check-mirage.log.
#
# Left out of this build:
#   - the Python extension (MIRAGE_ENABLE_PYTHON=OFF): an ASan-instrumented
#     module can only be loaded into a Python whose process started with the
#     ASan runtime (LD_PRELOAD of libasan.so for the interpreter and every
#     child process, with leak checking off for CPython), which would
#     instrument pytest and NumPy's processes too and report on them; the
#     extension's C++ is the same library code that mirage-run and the unit
#     tests run here. For the same reason the harness's test that loads
#     libMirageRuntime.so into Python with ctypes skips itself when the library
#     is instrumented; the runtime's own unit tests run it instrumented.
#   - Debian's libLLVM.so and libMLIR.so, which are not instrumented: ASan
#     still checks every access our code makes and intercepts malloc and free
#     for the whole process; an overflow inside MLIR itself goes unseen.
#
# Environment: ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS are appended to
# the script's choices below, so that they can override them; LIT_OPTS (default -sv) is passed
# to lit; MIRAGE_ASAN_BUILD_DIR builds elsewhere; MIRAGE_NINJA_FLAGS is passed
# to ninja (e.g. -j2 on a shared machine).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MIRAGE_ASAN_BUILD_DIR:-$root/build-asan}"
venv="$root/.venv"
logs="$build/sanitizer-logs"

# The packages, and .venv with NumPy and pytest for the lit tests that use
# them, come from setup.sh (which also builds build/).
if [[ ! -x "$venv/bin/python" ]] || ! command -v cmake >/dev/null ||
   ! command -v ninja >/dev/null; then
  "$root/scripts/setup.sh" || exit $?
fi

if [[ ! -f "$build/build.ninja" ]] ||
   ! grep -q '^MIRAGE_ENABLE_SANITIZERS:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "==> configuring $build"
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMIRAGE_ENABLE_SANITIZERS=ON \
    -DMIRAGE_ENABLE_PYTHON=OFF \
    -DMIRAGE_PYTHON="$venv/bin/python" || exit $?
fi
echo "==> building $build"
ninja -C "$build" ${MIRAGE_NINJA_FLAGS:-} mirage-opt mirage-run MirageUnitTests || exit $?

symbolizer=/usr/lib/llvm-22/bin/llvm-symbolizer
[[ -x "$symbolizer" ]] && export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$symbolizer}"
# detect_leaks: LeakSanitizer checks every instrumented process at exit.
# check_initialization_order, strict_init_order: static constructors that
# read another translation unit's globals before they are built.
# allow_user_poisoning=0: LLVM's headers see ASan in our translation units
# and make the BumpPtrAllocator code inlined there poison new slabs and
# unpoison each allocation, but the allocator code inside the uninstrumented
# libMLIR.so allocates from the same slabs without unpoisoning, so every
# MLIR attribute, type or operation it hands out would read as
# use-after-poison (as the first run of this script showed).
asan="allow_user_poisoning=0:detect_leaks=1"
asan+=":check_initialization_order=1:strict_init_order=1"
asan+=":detect_stack_use_after_return=1:abort_on_error=1:log_path=$logs/asan"
ubsan="print_stacktrace=1:halt_on_error=1:abort_on_error=1"
export ASAN_OPTIONS="$asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="$ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
lsan="suppressions=$root/scripts/lsan-suppressions.txt"
export LSAN_OPTIONS="$lsan${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

rm -rf "$logs" && mkdir -p "$logs"
echo "==> running check-mirage with ASAN_OPTIONS=$ASAN_OPTIONS"
echo "    UBSAN_OPTIONS=$UBSAN_OPTIONS"
echo "    LSAN_OPTIONS=$LSAN_OPTIONS"
env LIT_OPTS="${LIT_OPTS:--sv}" ninja -C "$build" ${MIRAGE_NINJA_FLAGS:-} check-mirage 2>&1 |
  tee "$build/check-mirage.log"
status=${PIPESTATUS[0]}

reports=("$logs"/*)
[[ -e "${reports[0]}" ]] || reports=()
ubsan_lines=$(grep -c -E "runtime error:|UndefinedBehaviorSanitizer" "$build/check-mirage.log")
echo
if ((${#reports[@]})); then
  echo "FAIL: ${#reports[@]} ASan/LSan report(s) in $logs:"
  for report in "${reports[@]}"; do
    echo "---- $report"
    head -n 60 "$report"
  done
fi
if ((ubsan_lines)); then
  echo "FAIL: UBSan reported (lines of $build/check-mirage.log):"
  grep -n -E -A12 "runtime error:|UndefinedBehaviorSanitizer" "$build/check-mirage.log" | head -n 200
fi
if ((status != 0)); then
  echo "FAIL: check-mirage failed under the sanitizers (exit $status)"
fi
if ((${#reports[@]} || ubsan_lines || status != 0)); then
  exit 1
fi
echo "PASS: check-mirage under ASan and UBSan, no sanitizer report"
