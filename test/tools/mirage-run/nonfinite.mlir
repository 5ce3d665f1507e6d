// RUN: mirage-run %s | FileCheck %s

// NaN and Inf in an output are counted and flagged (exit status stays 0
// without --reference).

// CHECK: output 0: tensor<2x4xf16>  checksum {{.*}}  WARNING: 8 NaN, 0 Inf
// CHECK: output 1: tensor<2x4xf16>  checksum {{.*}}  WARNING: 0 NaN, 8 Inf
func.func @f(%x: tensor<2x4xf16>) -> (tensor<2x4xf16>, tensor<2x4xf16>) {
  %z = mirage.sub %x, %x : (tensor<2x4xf16>, tensor<2x4xf16>) -> tensor<2x4xf16>
  %nan = mirage.div %z, %z : (tensor<2x4xf16>, tensor<2x4xf16>) -> tensor<2x4xf16>
  %big = mirage.mul_scalar %x, 1.0e+06 : tensor<2x4xf16>
  %sq = mirage.square %big : tensor<2x4xf16>
  return %nan, %sq : tensor<2x4xf16>, tensor<2x4xf16>
}
