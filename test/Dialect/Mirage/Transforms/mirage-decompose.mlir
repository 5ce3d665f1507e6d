// RUN: mirage-opt %s --split-input-file --mirage-decompose | FileCheck %s

// CHECK-LABEL: func.func @softmax_last_dim
// CHECK-SAME: (%[[X:.*]]: tensor<2x256x4096xf16>)
func.func @softmax_last_dim(%x: tensor<2x256x4096xf16>) -> tensor<2x256x4096xf16> {
  // CHECK: %[[E:.*]] = mirage.exp %[[X]] : tensor<2x256x4096xf16>
  // CHECK: %[[Z:.*]] = mirage.reduce sum %[[E]] dim = 2 : (tensor<2x256x4096xf16>) -> tensor<2x256x1xf16>
  // CHECK: %[[P:.*]] = mirage.div %[[E]], %[[Z]] : (tensor<2x256x4096xf16>, tensor<2x256x1xf16>) -> tensor<2x256x4096xf16>
  // CHECK: return %[[P]]
  // CHECK-NOT: mirage.softmax
  %0 = mirage.softmax %x dim = 2 : tensor<2x256x4096xf16>
  return %0 : tensor<2x256x4096xf16>
}

// -----

// CHECK-LABEL: func.func @softmax_leading_dim
func.func @softmax_leading_dim(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  // CHECK: %[[E:.*]] = mirage.exp
  // CHECK: %[[Z:.*]] = mirage.reduce sum %[[E]] dim = 0 : (tensor<8x16xf32>) -> tensor<1x16xf32>
  // CHECK: mirage.div %[[E]], %[[Z]] : (tensor<8x16xf32>, tensor<1x16xf32>) -> tensor<8x16xf32>
  %0 = mirage.softmax %x dim = 0 : tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// -----

// Primitive ops are left alone.
// CHECK-LABEL: func.func @no_composites
func.func @no_composites(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  // CHECK-NEXT: %[[E:.*]] = mirage.exp
  // CHECK-NEXT: return %[[E]]
  %0 = mirage.exp %x : tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}
