// RUN: mirage-opt %s --convert-mirage-to-gpu=double-buffer=false --mirage-map-tiles-to-threads=prefetch=false --canonicalize --cse --split-input-file | FileCheck %s
// RUN: mirage-opt %s --convert-mirage-to-gpu=double-buffer=false --mirage-map-tiles-to-threads --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=PREFETCH

// Copies move 16 bytes per thread; ops with the same thread mapping over a
// tile (exp then sqrt) need no barrier between them; a barrier separates the
// copy in from the first op, and the last op from the copy out.

// CHECK-LABEL: gpu.func @chain_kernel_0
// 128 threads may use up to 255 registers each (64K per SM / 128 = 512).
// CHECK-SAME: nvvm.maxnreg = 255 : i32
// CHECK: %[[T:.*]] = gpu.thread_id x
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<2x64xf16, strided<[64, 1], offset: ?>>, vector<8xf16>
// CHECK: vector.store
// CHECK: gpu.barrier
// CHECK: math.exp
// CHECK-NOT: gpu.barrier
// CHECK: math.sqrt
// CHECK: gpu.barrier
// CHECK: vector.store %{{.*}}, %{{.*}} {alignment = 16 : i64} : memref<2x64xf16, strided<[64, 1], offset: ?>>, vector<8xf16>
// CHECK-NOT: gpu.barrier
// CHECK: gpu.return
func.func @chain(%x: tensor<8x64xf16>) -> tensor<8x64xf16> {
  %y = mirage.graph_kernel(%x) grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<8x64xf16>) -> tensor<8x64xf16> {
  ^bb0(%X: tensor<8x64xf16>):
    %t = mirage.input_iterator %X imap = {x = 0} : tensor<8x64xf16> -> !mirage.tile<2x64xf16>
    %e = mirage.exp %t : !mirage.tile<2x64xf16>
    %s = mirage.sqrt %e : !mirage.tile<2x64xf16>
    mirage.output_saver %s omap = {x = 0} : !mirage.tile<2x64xf16>
  }
  return %y : tensor<8x64xf16>
}

// -----

// A for-loop: the next iteration's copies overwrite tiles this iteration's
// matmul reads, so the body starts with a barrier; the accumulator is a
// per-thread array; the matmul runs its k loop in registers; the result
// tile reuses the bytes of an input tile, so a barrier precedes it.

// CHECK-LABEL: gpu.func @matmul_kernel_0
// CHECK: %[[ACC:.*]] = memref.alloca() : memref<1xf32>
// CHECK: scf.for
// CHECK-NEXT: arith.muli
// CHECK-NEXT: memref.subview
// CHECK-NEXT: gpu.barrier
// CHECK: gpu.barrier
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f32)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %[[ACC]]
// CHECK: }
// CHECK-NEXT: gpu.barrier
// CHECK: arith.truncf

// With prefetch (the default), iteration 0's tiles are loaded into
// registers before the loop; each iteration stores its tiles from
// registers after the barrier, then loads the next iteration's while the
// matmul runs.
// PREFETCH-LABEL: gpu.func @matmul_kernel_0
// PREFETCH: %[[STAGE:.*]] = memref.alloca() : memref<1xvector<8xf16>>
// PREFETCH: %[[FIRST:.*]] = vector.load %{{.*}} : memref<4x16xf16, strided<[64, 1]>>, vector<8xf16>
// PREFETCH: memref.store %[[FIRST]], %[[STAGE]]
// PREFETCH: scf.for %[[IV:.*]] = %{{.*}} to %[[N:.*]] step %[[ONE:[^ ]*]] {
// PREFETCH: gpu.barrier
// PREFETCH: %[[STAGED:.*]] = memref.load %[[STAGE]]
// PREFETCH: vector.store %[[STAGED]], %{{.*}} : memref<4x16xf16, #gpu.address_space<workgroup>>, vector<8xf16>
// PREFETCH: %[[NEXT:.*]] = arith.addi %[[IV]], %[[ONE]]
// PREFETCH: %[[MORE:.*]] = arith.cmpi slt, %[[NEXT]], %[[N]]
// PREFETCH: scf.if %[[MORE]] {
// PREFETCH: vector.load %{{.*}} : memref<4x16xf16, strided<[64, 1], offset: ?>>, vector<8xf16>
// PREFETCH: memref.store %{{.*}}, %[[STAGE]]
// PREFETCH: gpu.barrier
// PREFETCH: arith.mulf
func.func @matmul(%x: tensor<4x64xf16>, %w: tensor<64x32xf16>) -> tensor<4x32xf16> {
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
  return %y : tensor<4x32xf16>
}

// -----

// A reduction into an f16 tile: each thread sums its row in an f32 register
// and stores the rounded sum; no per-thread scratch array remains.

// CHECK-LABEL: gpu.func @rowsum_kernel_0
// CHECK-NOT: memref.alloca
// CHECK: %[[SUM:.*]] = scf.for %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f32)
// CHECK: %[[H:.*]] = arith.truncf %[[SUM]] : f32 to f16
// CHECK: memref.store %[[H]]
func.func @rowsum(%x: tensor<16x64xf16>) -> tensor<16x1xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1
      : (tensor<16x64xf16>) -> tensor<16x1xf16> {
  ^bb0(%X: tensor<16x64xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<16x64xf16> -> !mirage.tile<16x64xf16>
    %s = mirage.reduce sum %t dim = 1 : (!mirage.tile<16x64xf16>) -> !mirage.tile<16x1xf16>
    mirage.output_saver %s omap = {} : !mirage.tile<16x1xf16>
  }
  return %y : tensor<16x1xf16>
}
