// With no time to search, the input stays, with a warning saying why: the
// budget covers costing the input too (FusionSearch::planUnfused).

// RUN: mirage-opt %s --mirage-superoptimize="time-budget=0 cache-dir=none" -verify-diagnostics | FileCheck %s

// expected-warning @+1 {{mirage-superoptimize: @rmsnorm_matmul: the time budget of 0.0 s ran out before the input was costed; keeping the input (2 kernel(s))}}
func.func @rmsnorm_matmul(%x: tensor<4x256xf16>, %w: tensor<256x512xf16>)
    -> tensor<4x512xf16> {
  %n = mirage.rms_norm %x normalized_shape = [256] : tensor<4x256xf16>
  %y = mirage.matmul %n, %w
      : (tensor<4x256xf16>, tensor<256x512xf16>) -> tensor<4x512xf16>
  return %y : tensor<4x512xf16>
}
// CHECK-LABEL: func.func @rmsnorm_matmul
// CHECK-NEXT: mirage.rms_norm
// CHECK-NEXT: mirage.matmul
// CHECK-NOT: mirage.graph_kernel
