// Huge dims within the size limits neither hang the search nor make it
// evaluate full-size tensors when nothing needs verifying: the tile sizes of
// an index of extent 2^31 - 1 (a prime) are found in O(sqrt(n)) steps, and
// the verifier is only built for a candidate that beats the input.

// RUN: mirage-opt %s --mirage-superoptimize="time-budget=5 cache-dir=none" -verify-diagnostics | FileCheck %s

// x and w take 2^38 - 128 bytes each: as f32 inputs of the float check,
// about 1 TiB.
// expected-remark @+1 {{mirage-superoptimize: @huge_matmul: no μGraph beats the input (1 kernel(s)}}
func.func @huge_matmul(%x: tensor<64x2147483647xf16>, %w: tensor<2147483647x64xf16>)
    -> tensor<64x64xf16> {
  %y = mirage.matmul %x, %w
      : (tensor<64x2147483647xf16>, tensor<2147483647x64xf16>) -> tensor<64x64xf16>
  return %y : tensor<64x64xf16>
}
// CHECK-LABEL: func.func @huge_matmul
// CHECK-NEXT: mirage.matmul
// CHECK-NOT: mirage.graph_kernel
