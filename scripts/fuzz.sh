#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with Clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz/, seeds a corpus from every
# .mlir file of test/ and benchmarks/ (split at `// -----`), and runs each
# target for a while. Not part of CI: run it by hand and report what it finds.
#
#   scripts/fuzz.sh [--seconds=N] [TARGET...]
#
# TARGET: parse, superoptimize, lower (default: all three). --seconds: time
# per target (default 1200, so an hour for the three). Crashes, timeouts and
# out-of-memory inputs land in build-fuzz/artifacts/; the corpus grows in
# build-fuzz/corpus/<target> and is reused by the next run. Exits 1 if any
# target left an artifact. Reproduce one with
#   build-fuzz/bin/mirage-<target>-fuzzer build-fuzz/artifacts/<file>
# and turn it into a lit regression test under test/ once fixed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MIRAGE_FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds=1200
targets=()
for arg in "$@"; do
  case "$arg" in
    --seconds=*) seconds="${arg#--seconds=}" ;;
    parse|superoptimize|lower) targets+=("$arg") ;;
    *) echo "usage: $0 [--seconds=N] [parse|superoptimize|lower]..." >&2; exit 2 ;;
  esac
done
((${#targets[@]})) || targets=(parse superoptimize lower)

log() { printf '==> %s\n' "$*"; }

# Clang 22 (the LLVM the project builds against) and its libFuzzer and
# sanitizer runtimes, besides what setup.sh installs.
MIRAGE_NINJA_FLAGS="${MIRAGE_NINJA_FLAGS:-}" "$root/scripts/setup.sh" >/dev/null
packages=(clang-22 libclang-rt-22-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [[ ! -f "$build/build.ninja" ]]; then
  log "configuring $build (Clang, libFuzzer, ASan, UBSan)"
  CC=clang-22 CXX=clang++-22 cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMIRAGE_ENABLE_FUZZERS=ON \
    -DMIRAGE_ENABLE_SANITIZERS=ON \
    -DMIRAGE_PYTHON="$root/.venv/bin/python"
fi
log "building the fuzzers"
ninja -C "$build" mirage-parse-fuzzer mirage-superoptimize-fuzzer mirage-lower-fuzzer

# The seed corpus: every test and benchmark program, one file per
# `// -----` case (the dialect's round trips and the verifiers' invalid
# cases among them).
seeds="$build/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"
"$root/.venv/bin/python" - "$root" "$seeds" <<'PY'
import pathlib, sys
root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
count = 0
for path in sorted(list(root.glob("test/**/*.mlir")) + list(root.glob("benchmarks/*.mlir"))):
    for i, case in enumerate(path.read_text().split("// -----")):
        name = f"{path.relative_to(root)}.{i}".replace("/", "_")
        (out / name).write_text(case)
        count += 1
print(f"{count} seed inputs")
PY

mkdir -p "$build/artifacts"
# Leaks are not reported: MLIR keeps registries and uniqued storage alive on
# purpose, and a fresh context per input would otherwise flood the report.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target"
  mkdir -p "$corpus"
  log "fuzzing $target for $seconds s (corpus $corpus)"
  "$build/bin/mirage-$target-fuzzer" "$corpus" "$seeds" \
    -dict="$root/fuzz/mirage.dict" -max_total_time="$seconds" \
    -timeout=120 -rss_limit_mb=6144 -max_len=65536 \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -artifact_prefix="$build/artifacts/$target-" \
    >"$build/$target.log" 2>&1 || true
  grep -E '^(#[0-9]+: cov|INFO: fuzzed for|.*(crash|timeout|oom|leak)-[0-9a-f]+|SUMMARY)' \
    "$build/$target.log" | tail -20 || true
  found=("$build/artifacts/$target-"*)
  if [[ -e "${found[0]}" ]]; then
    echo "FOUND in $target:"; printf '  %s\n' "${found[@]}"; status=1
  fi
done
exit $status
