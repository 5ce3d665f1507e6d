// RUN: mirage-opt %s --split-input-file | mirage-opt --split-input-file | FileCheck %s

// Round trip of every kernel-level op: printed, parsed again, printed again.

// CHECK-LABEL: func.func @matmul
func.func @matmul(%a: tensor<2x256x64xf16>, %b: tensor<2x64x4096xf16>) -> tensor<2x256x4096xf16> {
  // CHECK: mirage.matmul %{{.*}}, %{{.*}} : (tensor<2x256x64xf16>, tensor<2x64x4096xf16>) -> tensor<2x256x4096xf16>
  %c = mirage.matmul %a, %b : (tensor<2x256x64xf16>, tensor<2x64x4096xf16>) -> tensor<2x256x4096xf16>
  return %c : tensor<2x256x4096xf16>
}

// -----

// CHECK-LABEL: func.func @matmul_broadcast_batch
func.func @matmul_broadcast_batch(%a: tensor<1x8x16xbf16>, %b: tensor<4x16x32xbf16>) -> tensor<4x8x32xbf16> {
  // CHECK: mirage.matmul {{.*}} -> tensor<4x8x32xbf16>
  %c = mirage.matmul %a, %b : (tensor<1x8x16xbf16>, tensor<4x16x32xbf16>) -> tensor<4x8x32xbf16>
  return %c : tensor<4x8x32xbf16>
}

// -----

// CHECK-LABEL: func.func @unary
func.func @unary(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
  // CHECK: %[[E:.*]] = mirage.exp %{{.*}} : tensor<8x64xf32>
  // CHECK: %[[S:.*]] = mirage.sqrt %[[E]] : tensor<8x64xf32>
  // CHECK: %[[R:.*]] = mirage.rsqrt %[[S]] : tensor<8x64xf32>
  // CHECK: %[[Q:.*]] = mirage.square %[[R]] : tensor<8x64xf32>
  // CHECK: %[[SI:.*]] = mirage.silu %[[Q]] : tensor<8x64xf32>
  // CHECK: %[[G:.*]] = mirage.gelu %[[SI]] : tensor<8x64xf32>
  // CHECK: %[[RE:.*]] = mirage.relu %[[G]] : tensor<8x64xf32>
  // CHECK: %[[SG:.*]] = mirage.sigmoid %[[RE]] : tensor<8x64xf32>
  %0 = mirage.exp %x : tensor<8x64xf32>
  %1 = mirage.sqrt %0 : tensor<8x64xf32>
  %2 = mirage.rsqrt %1 : tensor<8x64xf32>
  %3 = mirage.square %2 : tensor<8x64xf32>
  %4 = mirage.silu %3 : tensor<8x64xf32>
  %5 = mirage.gelu %4 : tensor<8x64xf32>
  %6 = mirage.relu %5 : tensor<8x64xf32>
  %7 = mirage.sigmoid %6 : tensor<8x64xf32>
  return %7 : tensor<8x64xf32>
}

// -----

// CHECK-LABEL: func.func @mul_scalar_clamp
func.func @mul_scalar_clamp(%x: tensor<8x64xf16>) -> tensor<8x64xf16> {
  // CHECK: %[[M:.*]] = mirage.mul_scalar %{{.*}}, 1.250000e-01 : tensor<8x64xf16>
  // CHECK: mirage.clamp %[[M]] min = -1.000000e+00 max = 6.000000e+00 : tensor<8x64xf16>
  %0 = mirage.mul_scalar %x, 0.125 : tensor<8x64xf16>
  %1 = mirage.clamp %0 min = -1.0 max = 6.0 : tensor<8x64xf16>
  return %1 : tensor<8x64xf16>
}

// -----

// CHECK-LABEL: func.func @binary_broadcast
func.func @binary_broadcast(%a: tensor<2x256x4096xf16>, %b: tensor<2x256x1xf16>, %c: tensor<4096xf16>) -> tensor<2x256x4096xf16> {
  // CHECK: %[[ADD:.*]] = mirage.add %{{.*}}, %{{.*}} : (tensor<2x256x4096xf16>, tensor<2x256x1xf16>) -> tensor<2x256x4096xf16>
  // CHECK: %[[SUB:.*]] = mirage.sub %[[ADD]], %{{.*}} : (tensor<2x256x4096xf16>, tensor<4096xf16>) -> tensor<2x256x4096xf16>
  // CHECK: %[[MUL:.*]] = mirage.mul %{{.*}}, %[[SUB]] : (tensor<2x256x1xf16>, tensor<2x256x4096xf16>) -> tensor<2x256x4096xf16>
  // CHECK: %[[DIV:.*]] = mirage.div %[[MUL]], %{{.*}} : (tensor<2x256x4096xf16>, tensor<2x256x1xf16>) -> tensor<2x256x4096xf16>
  // CHECK: mirage.pow %[[DIV]], %{{.*}} : (tensor<2x256x4096xf16>, tensor<4096xf16>) -> tensor<2x256x4096xf16>
  %0 = mirage.add %a, %b : (tensor<2x256x4096xf16>, tensor<2x256x1xf16>) -> tensor<2x256x4096xf16>
  %1 = mirage.sub %0, %c : (tensor<2x256x4096xf16>, tensor<4096xf16>) -> tensor<2x256x4096xf16>
  %2 = mirage.mul %b, %1 : (tensor<2x256x1xf16>, tensor<2x256x4096xf16>) -> tensor<2x256x4096xf16>
  %3 = mirage.div %2, %b : (tensor<2x256x4096xf16>, tensor<2x256x1xf16>) -> tensor<2x256x4096xf16>
  %4 = mirage.pow %3, %c : (tensor<2x256x4096xf16>, tensor<4096xf16>) -> tensor<2x256x4096xf16>
  return %4 : tensor<2x256x4096xf16>
}

// -----

// CHECK-LABEL: func.func @reduce
func.func @reduce(%x: tensor<8x512xf32>) -> (tensor<8x1xf32>, tensor<8x64xf32>) {
  // The default size (1) is not printed.
  // CHECK: mirage.reduce sum %{{.*}} dim = 1 : (tensor<8x512xf32>) -> tensor<8x1xf32>
  // CHECK: mirage.reduce max %{{.*}} dim = 1 size = 64 : (tensor<8x512xf32>) -> tensor<8x64xf32>
  %0 = mirage.reduce sum %x dim = 1 : (tensor<8x512xf32>) -> tensor<8x1xf32>
  %1 = mirage.reduce max %x dim = 1 size = 64 : (tensor<8x512xf32>) -> tensor<8x64xf32>
  return %0, %1 : tensor<8x1xf32>, tensor<8x64xf32>
}

// -----

// CHECK-LABEL: func.func @rms_norm
func.func @rms_norm(%x: tensor<2x16x64xf16>) -> tensor<2x16x64xf16> {
  // CHECK: %[[N:.*]] = mirage.rms_norm %{{.*}} normalized_shape = [64] : tensor<2x16x64xf16>
  // CHECK: mirage.rms_norm %[[N]] normalized_shape = [16, 64] eps = 9.99999997E-7 : tensor<2x16x64xf16>
  %0 = mirage.rms_norm %x normalized_shape = [64] : tensor<2x16x64xf16>
  %1 = mirage.rms_norm %0 normalized_shape = [16, 64] eps = 1.0e-6 : tensor<2x16x64xf16>
  return %1 : tensor<2x16x64xf16>
}

// -----

// CHECK-LABEL: func.func @concat
func.func @concat(%a: tensor<16x256xf16>, %b: tensor<16x16xf16>, %c: tensor<16x8xf16>) -> tensor<16x280xf16> {
  // CHECK: mirage.concat %{{.*}}, %{{.*}}, %{{.*}} dim = 1 : (tensor<16x256xf16>, tensor<16x16xf16>, tensor<16x8xf16>) -> tensor<16x280xf16>
  %0 = mirage.concat %a, %b, %c dim = 1 : (tensor<16x256xf16>, tensor<16x16xf16>, tensor<16x8xf16>) -> tensor<16x280xf16>
  return %0 : tensor<16x280xf16>
}

// -----

// CHECK-LABEL: func.func @softmax
func.func @softmax(%x: tensor<2x256x4096xf16>) -> tensor<2x256x4096xf16> {
  // CHECK: mirage.softmax %{{.*}} dim = 2 : tensor<2x256x4096xf16>
  %0 = mirage.softmax %x dim = 2 : tensor<2x256x4096xf16>
  return %0 : tensor<2x256x4096xf16>
}

// -----

// CHECK-LABEL: func.func @input_range
// CHECK-SAME: {mirage.input_range = [-1.562500e-02, 1.562500e-02]}
func.func @input_range(%w: tensor<64x64xf16> {mirage.input_range = [-0.015625, 0.015625]}) -> tensor<64x64xf16> {
  return %w : tensor<64x64xf16>
}

// -----

// The largest tensor the size limits accept: 2^40 bytes (docs/dialect.md).
// CHECK-LABEL: func.func @largest
// CHECK: mirage.exp %{{.*}} : tensor<1048576x524288xf16>
func.func @largest(%x: tensor<1048576x524288xf16>) -> tensor<1048576x524288xf16> {
  %0 = mirage.exp %x : tensor<1048576x524288xf16>
  return %0 : tensor<1048576x524288xf16>
}
