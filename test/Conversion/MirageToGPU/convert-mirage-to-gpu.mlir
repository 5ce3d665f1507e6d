// RUN: mirage-opt %s --convert-mirage-to-gpu=double-buffer=false --split-input-file | FileCheck %s

// An elementwise kernel: one gpu.func per graph kernel, tiles as views of
// dynamic shared memory, the input iterator and output saver as copies at
// the block's offset, the op as a linalg.generic computing in f32.

// CHECK-LABEL: func.func @exp(
// CHECK-SAME: %[[X:.*]]: memref<8x64xf16>, %[[Y:.*]]: memref<8x64xf16>)
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK-DAG: %[[SMEM:.*]] = arith.constant 512 : i32
// CHECK: gpu.launch_func @exp_kernels::@exp_kernel_0 blocks in (%[[C4]], %{{.*}}, %{{.*}}) threads in (%[[C128]], %{{.*}}, %{{.*}}) dynamic_shared_memory_size %[[SMEM]] args(%[[X]] : memref<8x64xf16>, %[[Y]] : memref<8x64xf16>)
// CHECK: gpu.module @exp_kernels
// CHECK: gpu.func @exp_kernel_0(%[[A:.*]]: memref<8x64xf16>, %[[B:.*]]: memref<8x64xf16>) kernel attributes {known_block_size = array<i32: 128, 1, 1>, known_grid_size = array<i32: 4, 1, 1>}
// CHECK: %[[BX:.*]] = gpu.block_id x
// CHECK: %[[DSM:.*]] = gpu.dynamic_shared_memory
// CHECK: %[[IN:.*]] = memref.view %[[DSM]][%{{.*}}][] {{.*}} to memref<2x64xf16, #gpu.address_space<workgroup>>
// CHECK: %[[OUT:.*]] = memref.view %[[DSM]][%{{.*}}][] {{.*}} to memref<2x64xf16, #gpu.address_space<workgroup>>
// CHECK: %[[ROW:.*]] = arith.muli %[[BX]], %{{.*}} : index
// CHECK: %[[SRC:.*]] = memref.subview %[[A]][%[[ROW]], 0] [2, 64] [1, 1]
// CHECK: linalg.copy ins(%[[SRC]] : {{.*}}) outs(%[[IN]] : {{.*}})
// CHECK: linalg.generic {{.*}} ins(%[[IN]] : {{.*}}) outs(%[[OUT]] : {{.*}})
// CHECK: arith.extf
// CHECK: math.exp
// CHECK: arith.truncf
// CHECK: %[[DST:.*]] = memref.subview %[[B]]
// CHECK: linalg.copy ins(%[[OUT]] : {{.*}}) outs(%[[DST]] : {{.*}})
// CHECK: gpu.return
func.func @exp(%x: tensor<8x64xf16>) -> tensor<8x64xf16> {
  %y = mirage.graph_kernel(%x) grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<8x64xf16>) -> tensor<8x64xf16> {
  ^bb0(%X: tensor<8x64xf16>):
    %t = mirage.input_iterator %X imap = {x = 0} : tensor<8x64xf16> -> !mirage.tile<2x64xf16>
    %e = mirage.exp %t : !mirage.tile<2x64xf16>
    mirage.output_saver %e omap = {x = 0} : !mirage.tile<2x64xf16>
  }
  return %y : tensor<8x64xf16>
}

// -----

// A for-loop: iterators with an fmap read the iteration's slice; the matmul
// result only feeds the accumulator, so it stays in f32 like the accumulator
// (private buffers, not shared memory); the loop result is rounded into a
// shared tile. An intermediate tensor between two kernels is gpu.alloc'ed.

// CHECK-LABEL: func.func @matmul_then_relu(
// CHECK: %[[T:.*]] = gpu.alloc () : memref<4x32xf16>
// CHECK: gpu.launch_func @matmul_then_relu_kernels::@matmul_then_relu_kernel_0
// CHECK: gpu.launch_func @matmul_then_relu_kernels::@matmul_then_relu_kernel_1
// CHECK: gpu.dealloc %[[T]] : memref<4x32xf16>
// CHECK: gpu.func @matmul_then_relu_kernel_0
// CHECK-DAG: %[[ACC:.*]] = memref.alloca() : memref<4x32xf32>
// CHECK-DAG: %[[PART:.*]] = memref.alloca() : memref<4x32xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[ACC]] : memref<4x32xf32>)
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step
// CHECK:   %[[K:.*]] = arith.muli %[[I]], %{{.*}} : index
// CHECK:   memref.subview %{{.*}}[0, %[[K]]] [4, 16] [1, 1]
// CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]{{.*}} outs(%[[PART]] : memref<4x32xf32>)
// CHECK:   linalg.generic {{.*}} ins(%[[ACC]], %[[PART]] : {{.*}}) outs(%[[ACC]] : memref<4x32xf32>)
// CHECK: }
// CHECK: linalg.generic {{.*}} ins(%[[ACC]] : memref<4x32xf32>) outs(%{{.*}} : memref<4x32xf16, #gpu.address_space<workgroup>>)
// CHECK: gpu.func @matmul_then_relu_kernel_1
// CHECK: arith.maximumf
func.func @matmul_then_relu(%x: tensor<4x64xf16>, %w: tensor<64x32xf16>) -> tensor<4x32xf16> {
  %y = mirage.graph_kernel(%x, %w) grid = [1, 1, 1] block = [128] forloop = 4
      : (tensor<4x64xf16>, tensor<64x32xf16>) -> tensor<4x32xf16> {
  ^bb0(%X: tensor<4x64xf16>, %W: tensor<64x32xf16>):
    %acc = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<4x64xf16> -> !mirage.tile<4x16xf16>
      %wt = mirage.input_iterator %W imap = {} fmap = 0 : tensor<64x32xf16> -> !mirage.tile<16x32xf16>
      %p = mirage.matmul %xt, %wt : (!mirage.tile<4x16xf16>, !mirage.tile<16x32xf16>) -> !mirage.tile<4x32xf16>
      mirage.accumulate sum(%p) : !mirage.tile<4x32xf16>
    }
    mirage.output_saver %acc omap = {} : !mirage.tile<4x32xf16>
  }
  %r = mirage.graph_kernel(%y) grid = [1, 1, 1] block = [128] forloop = 1
      : (tensor<4x32xf16>) -> tensor<4x32xf16> {
  ^bb0(%Y: tensor<4x32xf16>):
    %t = mirage.input_iterator %Y imap = {} : tensor<4x32xf16> -> !mirage.tile<4x32xf16>
    %u = mirage.relu %t : !mirage.tile<4x32xf16>
    mirage.output_saver %u omap = {} : !mirage.tile<4x32xf16>
  }
  return %r : tensor<4x32xf16>
}

// -----

// Shared-memory planning: tiles whose lifetimes do not overlap share bytes.
// %a (8 KiB) dies at %b's definition; %c may take %a's place.

// CHECK-LABEL: func.func @reuse(
// CHECK: %[[BYTES:.*]] = arith.constant 16384 : i32
// CHECK: dynamic_shared_memory_size %[[BYTES]]
// CHECK: gpu.func @reuse_kernel_0
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C8K:.*]] = arith.constant 8192 : index
// CHECK: memref.view %{{.*}}[%[[C0]]][]
// CHECK: memref.view %{{.*}}[%[[C8K]]][]
// CHECK: memref.view %{{.*}}[%[[C0]]][]
func.func @reuse(%x: tensor<64x64xf16>) -> tensor<64x64xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1
      : (tensor<64x64xf16>) -> tensor<64x64xf16> {
  ^bb0(%X: tensor<64x64xf16>):
    %a = mirage.input_iterator %X imap = {} : tensor<64x64xf16> -> !mirage.tile<64x64xf16>
    %b = mirage.exp %a : !mirage.tile<64x64xf16>
    %c = mirage.sqrt %b : !mirage.tile<64x64xf16>
    mirage.output_saver %c omap = {} : !mirage.tile<64x64xf16>
  }
  return %y : tensor<64x64xf16>
}
