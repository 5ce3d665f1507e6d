// RUN: mirage-opt %s --convert-mirage-to-gpu --mirage-emulate-gpu-on-host | FileCheck %s

// Each kernel becomes a private host function of the block index and the
// shared memory; each launch a loop nest over the grid; device allocations
// host ones; no gpu ops remain.

// CHECK-LABEL: func.func @two_kernels(
// CHECK-SAME: %[[X:.*]]: memref<8x64xf16>, %[[Y:.*]]: memref<8x64xf16>)
// CHECK: %[[T:.*]] = memref.alloc() : memref<8x64xf16>
// CHECK: %[[SMEM:.*]] = memref.alloc(%{{.*}}) : memref<?xi8>
// CHECK: scf.for %[[Z:.*]] = %{{.*}} to %{{.*}} step
// CHECK:   scf.for %[[YY:.*]] = %{{.*}} to %{{.*}} step
// CHECK:     scf.for %[[XX:.*]] = %{{.*}} to %{{.*}} step
// CHECK:       func.call @two_kernels_kernel_0(%[[XX]], %[[YY]], %[[Z]], %[[SMEM]], %[[X]], %[[T]])
// CHECK: memref.dealloc %[[SMEM]]
// CHECK: func.call @two_kernels_kernel_1
// CHECK: memref.dealloc %[[T]] : memref<8x64xf16>
// CHECK: func.func private @two_kernels_kernel_0(%[[BX:.*]]: index, %{{.*}}: index, %{{.*}}: index, %[[S:.*]]: memref<?xi8>, %{{.*}}: memref<8x64xf16>, %{{.*}}: memref<8x64xf16>)
// CHECK: memref.view %[[S]][%{{.*}}][] : memref<?xi8> to memref<2x64xf16>
// CHECK: arith.muli %[[BX]]
// CHECK-NOT: gpu.
func.func @two_kernels(%x: tensor<8x64xf16>) -> tensor<8x64xf16> {
  %y = mirage.graph_kernel(%x) grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<8x64xf16>) -> tensor<8x64xf16> {
  ^bb0(%X: tensor<8x64xf16>):
    %t = mirage.input_iterator %X imap = {x = 0} : tensor<8x64xf16> -> !mirage.tile<2x64xf16>
    %e = mirage.exp %t : !mirage.tile<2x64xf16>
    mirage.output_saver %e omap = {x = 0} : !mirage.tile<2x64xf16>
  }
  %z = mirage.graph_kernel(%y) grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<8x64xf16>) -> tensor<8x64xf16> {
  ^bb0(%Y: tensor<8x64xf16>):
    %t = mirage.input_iterator %Y imap = {x = 0} : tensor<8x64xf16> -> !mirage.tile<2x64xf16>
    %e = mirage.sqrt %t : !mirage.tile<2x64xf16>
    mirage.output_saver %e omap = {x = 0} : !mirage.tile<2x64xf16>
  }
  return %z : tensor<8x64xf16>
}
