#!/usr/bin/env bash
# The main job on a bundled benchmark program: installs what is needed
# (scripts/setup.sh), builds, then takes benchmarks/seed_attention.mlir (decode
# attention, softmax(Q·K)·V) through the pipeline as far as it exists today:
#   1. mirage-opt --mirage-decompose --mirage-superoptimize: the composite
#      softmax becomes primitives, and the superoptimizer searches, verifies
#      and ranks μGraphs and prints what it chose (a remark) and the μGraph;
#   2. mirage-run: the chosen μGraph is evaluated on the CPU and checked
#      against the original program on the same random inputs.
# Results are cached in build/demo/cache, so a second run skips the search.
# Pass another benchmark (a path) as the first argument to run that instead;
# further arguments are extra superoptimizer options (e.g. target=sm_80).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MIRAGE_BUILD_DIR:-$root/build}"
program="${1:-$root/benchmarks/seed_attention.mlir}"
shift || true

"$root/scripts/setup.sh"

out="$build/demo"
mkdir -p "$out"
optimized="$out/$(basename "$program" .mlir).opt.mlir"
options="cache-dir=$out/cache $*"

echo
echo "==> mirage-opt --mirage-decompose --mirage-superoptimize=\"$options\" $program"
"$build/bin/mirage-opt" --mirage-decompose \
  --mirage-superoptimize="$options" "$program" -o "$optimized"
echo
cat "$optimized"

echo
echo "==> mirage-run $optimized --reference=$program"
"$build/bin/mirage-run" "$optimized" --reference="$program" --output-dir="$out"
echo
echo "μGraph written to $optimized; outputs to $out as .npy"
