// RUN: mirage-opt %s --split-input-file --mirage-expand-predefined-kernels | FileCheck %s

// CHECK-LABEL: func.func @matmul
// CHECK: %[[K:.*]] = mirage.graph_kernel(%{{.*}}, %{{.*}}) grid = [2, 1, 4] block = [128] forloop = 4 : (tensor<4x8x256xf16>, tensor<4x256x128xf16>) -> tensor<4x8x128xf16> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<4x8x256xf16>, %[[B:.*]]: tensor<4x256x128xf16>):
// CHECK-NEXT: %[[ACC:.*]] = mirage.for_loop {
// CHECK-NEXT: %[[AT:.*]] = mirage.input_iterator %[[A]] imap = {y = 1, z = 0} fmap = 2 : tensor<4x8x256xf16> -> !mirage.tile<1x8x64xf16>
// CHECK-NEXT: %[[BT:.*]] = mirage.input_iterator %[[B]] imap = {x = 2, z = 0} fmap = 1 : tensor<4x256x128xf16> -> !mirage.tile<1x64x64xf16>
// CHECK-NEXT: %[[P:.*]] = mirage.matmul %[[AT]], %[[BT]] : (!mirage.tile<1x8x64xf16>, !mirage.tile<1x64x64xf16>) -> !mirage.tile<1x8x64xf16>
// CHECK-NEXT: mirage.accumulate sum(%[[P]]) : !mirage.tile<1x8x64xf16>
// CHECK-NEXT: }
// CHECK-NEXT: mirage.output_saver %[[ACC]] omap = {x = 2, y = 1, z = 0} : !mirage.tile<1x8x64xf16>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[K]]
func.func @matmul(%a: tensor<4x8x256xf16>, %b: tensor<4x256x128xf16>) -> tensor<4x8x128xf16> {
  %c = mirage.matmul %a, %b : (tensor<4x8x256xf16>, tensor<4x256x128xf16>) -> tensor<4x8x128xf16>
  return %c : tensor<4x8x128xf16>
}

// -----

// A batch dim that broadcasts (lhs batch 1) is replicated, not split.
// CHECK-LABEL: func.func @matmul_broadcast
// CHECK: grid = [1, 1, 3]
// CHECK: mirage.input_iterator %{{.*}} imap = {y = 1} fmap = 2 : tensor<1x4x32xf32> -> !mirage.tile<1x4x32xf32>
// CHECK: mirage.input_iterator %{{.*}} imap = {x = 2, z = 0} fmap = 1 : tensor<3x32x16xf32> -> !mirage.tile<1x32x16xf32>
func.func @matmul_broadcast(%a: tensor<1x4x32xf32>, %b: tensor<3x32x16xf32>) -> tensor<3x4x16xf32> {
  %c = mirage.matmul %a, %b : (tensor<1x4x32xf32>, tensor<3x32x16xf32>) -> tensor<3x4x16xf32>
  return %c : tensor<3x4x16xf32>
}

// -----

// CHECK-LABEL: func.func @elementwise_broadcast
// CHECK: mirage.graph_kernel(%{{.*}}, %{{.*}}) grid = [32, 1, 1] block = [128] forloop = 1 : (tensor<8x4096xf16>, tensor<8x1xf16>) -> tensor<8x4096xf16> {
// CHECK: %[[X:.*]] = mirage.input_iterator %{{.*}} imap = {x = 1, y = 0} : tensor<8x4096xf16> -> !mirage.tile<8x128xf16>
// CHECK: %[[Z:.*]] = mirage.input_iterator %{{.*}} imap = {y = 0} : tensor<8x1xf16> -> !mirage.tile<8x1xf16>
// CHECK: %[[D:.*]] = mirage.div %[[X]], %[[Z]] : (!mirage.tile<8x128xf16>, !mirage.tile<8x1xf16>) -> !mirage.tile<8x128xf16>
// CHECK: mirage.output_saver %[[D]] omap = {x = 1, y = 0} : !mirage.tile<8x128xf16>
func.func @elementwise_broadcast(%x: tensor<8x4096xf16>, %z: tensor<8x1xf16>) -> tensor<8x4096xf16> {
  %d = mirage.div %x, %z : (tensor<8x4096xf16>, tensor<8x1xf16>) -> tensor<8x4096xf16>
  return %d : tensor<8x4096xf16>
}

// -----

// Attributes carry over to the block-level op.
// CHECK-LABEL: func.func @unary_attributes
// CHECK: mirage.clamp %{{.*}} min = -1.000000e+00 max = 1.000000e+00 : !mirage.tile<8x128xf32>
func.func @unary_attributes(%x: tensor<16x128xf32>) -> tensor<16x128xf32> {
  %y = mirage.clamp %x min = -1.0 max = 1.0 : tensor<16x128xf32>
  return %y : tensor<16x128xf32>
}

// -----

// A long reduced dim is walked by the for-loop: 4096 = 4 chunks of 1024.
// CHECK-LABEL: func.func @reduce_long
// CHECK: mirage.graph_kernel(%{{.*}}) grid = [8, 1, 1] block = [128] forloop = 4
// CHECK: %[[ACC:.*]] = mirage.for_loop {
// CHECK-NEXT: %[[T:.*]] = mirage.input_iterator %{{.*}} imap = {x = 0} fmap = 1 : tensor<64x4096xf16> -> !mirage.tile<8x1024xf16>
// CHECK-NEXT: %[[R:.*]] = mirage.reduce max %[[T]] dim = 1 : (!mirage.tile<8x1024xf16>) -> !mirage.tile<8x1xf16>
// CHECK-NEXT: mirage.accumulate max(%[[R]]) : !mirage.tile<8x1xf16>
// CHECK: mirage.output_saver %[[ACC]] omap = {x = 0} : !mirage.tile<8x1xf16>
func.func @reduce_long(%x: tensor<64x4096xf16>) -> tensor<64x1xf16> {
  %r = mirage.reduce max %x dim = 1 : (tensor<64x4096xf16>) -> tensor<64x1xf16>
  return %r : tensor<64x1xf16>
}

// -----

// A short reduced dim stays whole in the tile; reduce-to-size carries over.
// The whole 64x128 input fits one tile of at most 8192 elements.
// CHECK-LABEL: func.func @reduce_short
// CHECK: mirage.graph_kernel(%{{.*}}) grid = [1, 1, 1] block = [128] forloop = 1
// CHECK-NOT: mirage.for_loop
// CHECK: mirage.reduce sum %{{.*}} dim = 0 size = 4 : (!mirage.tile<64x128xf32>) -> !mirage.tile<4x128xf32>
func.func @reduce_short(%x: tensor<64x128xf32>) -> tensor<4x128xf32> {
  %r = mirage.reduce sum %x dim = 0 size = 4 : (tensor<64x128xf32>) -> tensor<4x128xf32>
  return %r : tensor<4x128xf32>
}

// -----

// rms_norm: whole rows, a grid over the rows.
// CHECK-LABEL: func.func @rms_norm
// CHECK: mirage.graph_kernel(%{{.*}}) grid = [4, 1, 1]
// CHECK: mirage.input_iterator %{{.*}} imap = {x = 0} : tensor<8x4096xf16> -> !mirage.tile<2x4096xf16>
// CHECK: mirage.rms_norm %{{.*}} normalized_shape = [4096] : !mirage.tile<2x4096xf16>
func.func @rms_norm(%x: tensor<8x4096xf16>) -> tensor<8x4096xf16> {
  %y = mirage.rms_norm %x normalized_shape = [4096] : tensor<8x4096xf16>
  return %y : tensor<8x4096xf16>
}

// -----

// softmax: whole rows, the row max subtracted in the block graph.
// CHECK-LABEL: func.func @softmax
// CHECK: mirage.graph_kernel(%{{.*}}) grid = [8, 1, 1]
// CHECK: %[[T:.*]] = mirage.input_iterator %{{.*}} imap = {x = 1, y = 0} : tensor<2x64x512xf16> -> !mirage.tile<2x8x512xf16>
// CHECK-NEXT: %[[M:.*]] = mirage.reduce max %[[T]] dim = 2
// CHECK-NEXT: %[[S:.*]] = mirage.sub %[[T]], %[[M]]
// CHECK-NEXT: %[[E:.*]] = mirage.exp %[[S]]
// CHECK-NEXT: %[[Z:.*]] = mirage.reduce sum %[[E]] dim = 2
// CHECK-NEXT: %[[P:.*]] = mirage.div %[[E]], %[[Z]]
// CHECK-NEXT: mirage.output_saver %[[P]] omap = {x = 1, y = 0} : !mirage.tile<2x8x512xf16>
func.func @softmax(%x: tensor<2x64x512xf16>) -> tensor<2x64x512xf16> {
  %y = mirage.softmax %x dim = 2 : tensor<2x64x512xf16>
  return %y : tensor<2x64x512xf16>
}

// -----

// concat: whole along the concatenated dim, a grid over the rows.
// CHECK-LABEL: func.func @concat
// CHECK: mirage.graph_kernel(%{{.*}}, %{{.*}}) grid = [4, 1, 1]
// CHECK: %[[A:.*]] = mirage.input_iterator %{{.*}} imap = {x = 0} : tensor<64x256xf16> -> !mirage.tile<16x256xf16>
// CHECK: %[[B:.*]] = mirage.input_iterator %{{.*}} imap = {x = 0} : tensor<64x16xf16> -> !mirage.tile<16x16xf16>
// CHECK: mirage.concat %[[A]], %[[B]] dim = 1 : (!mirage.tile<16x256xf16>, !mirage.tile<16x16xf16>) -> !mirage.tile<16x272xf16>
func.func @concat(%a: tensor<64x256xf16>, %b: tensor<64x16xf16>) -> tensor<64x272xf16> {
  %c = mirage.concat %a, %b dim = 1 : (tensor<64x256xf16>, tensor<64x16xf16>) -> tensor<64x272xf16>
  return %c : tensor<64x272xf16>
}

// -----

// Graph-defined kernels are left alone.
// CHECK-LABEL: func.func @already_expanded
// CHECK: mirage.graph_kernel(%{{.*}}) grid = [1, 1, 1] block = [32]
// CHECK-NOT: mirage.graph_kernel
func.func @already_expanded(%x: tensor<8xf16>) -> tensor<8xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [32] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
    %e = mirage.exp %t : !mirage.tile<8xf16>
    mirage.output_saver %e omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

// Grids stay within CUDA's launch limits: 8-row tiles would need 131072
// blocks along y (at most 65535), so the tiles grow to 32 rows.
// CHECK-LABEL: func.func @tall
// CHECK: mirage.graph_kernel(%{{.*}}) grid = [1, 32768, 1]
// CHECK: mirage.input_iterator %{{.*}} imap = {x = 1, y = 0} : tensor<1048576x128xf16> -> !mirage.tile<32x128xf16>
func.func @tall(%x: tensor<1048576x128xf16>) -> tensor<1048576x128xf16> {
  %y = mirage.exp %x : tensor<1048576x128xf16>
  return %y : tensor<1048576x128xf16>
}
