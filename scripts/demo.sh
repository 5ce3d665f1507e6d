#!/usr/bin/env bash
# The main job on a bundled benchmark program: installs what is needed
# (scripts/setup.sh), builds, then takes benchmarks/seed_attention.mlir (decode
# attention, softmax(Q·K)·V) through the whole pipeline:
#   1. mirage-opt --mirage-decompose --mirage-superoptimize: the composite
#      softmax becomes primitives, and the superoptimizer searches, verifies
#      and ranks μGraphs and prints what it chose (a remark) and the μGraph;
#   2. mirage-run: the chosen μGraph is evaluated on the CPU and checked
#      against the original program on the same random inputs;
#   3. mirage-run --engine=threads --export: the μGraph is lowered to GPU
#      code (safe softmax, thread graphs, tensor cores), which runs on the CPU
#      thread by thread and is checked again, and is compiled to PTX for
#      sm_90a and written as a kernel package (PTX, cubin when ptxas is
#      found, manifest.json) that the GPU runtime loads; with a CUDA GPU,
#      pass MIRAGE_DEVICE=cuda to run it there as well.
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

package="$out/$(basename "$program" .mlir).package"
echo
echo "==> mirage-run $optimized --engine=threads --export=$package --reference=$program"
"$build/bin/mirage-run" "$optimized" --engine=threads --export="$package" \
  --reference="$program"
echo
echo "kernels in $package/manifest.json:"
"$root/.venv/bin/python" - "$package/manifest.json" <<'PY'
import json, sys
for k in json.load(open(sys.argv[1]))["kernels"]:
    print(f"  {k['name']}: grid {k['grid']}, block {k['block']}, "
          f"{k['shared_memory_bytes']} bytes of shared memory")
PY
if [[ "${MIRAGE_DEVICE:-cpu}" == cuda ]]; then
  echo
  echo "==> mirage-run $optimized --device=cuda --reference=$program"
  "$build/bin/mirage-run" "$optimized" --device=cuda --reference="$program"
fi
echo
echo "μGraph written to $optimized; outputs to $out as .npy; kernel package in $package"
