#!/usr/bin/env bash
# The main job on a bundled benchmark program: installs what is needed
# (scripts/setup.sh), builds, then takes benchmarks/seed_attention.mlir (decode
# attention, softmax(Q·K)·V) through the pipeline as far as it exists today:
#   1. mirage-opt --mirage-decompose: the composite softmax becomes primitives;
#   2. mirage-run: the decomposed program is evaluated on the CPU and checked
#      against the original on the same random inputs.
# Pass another benchmark (a path) as the first argument to run that instead.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MIRAGE_BUILD_DIR:-$root/build}"
program="${1:-$root/benchmarks/seed_attention.mlir}"

"$root/scripts/setup.sh"

out="$build/demo"
mkdir -p "$out"
decomposed="$out/$(basename "$program" .mlir).decomposed.mlir"

echo
echo "==> mirage-opt --mirage-decompose $program"
"$build/bin/mirage-opt" --mirage-decompose "$program" -o "$decomposed"
cat "$decomposed"

echo
echo "==> mirage-run $decomposed --reference=$program"
"$build/bin/mirage-run" "$decomposed" --reference="$program" --output-dir="$out"
echo
echo "outputs written to $out as .npy"
