// RUN: mirage-opt %s --convert-mirage-to-gpu="target=sm_80 double-buffer=false" --split-input-file | FileCheck %s

// Shared-memory layouts: tiles that tensor cores will read get their rows
// padded where the bank-conflict model (SharedMemoryLayout.h) finds the
// fragment loads conflicting; other tiles keep dense rows.

// A [64, 128] f16 tile (256-byte rows) is read as mma.sync's A operand: at a
// 256-byte stride the 8 rows of a fragment load all start in bank 0, 16
// bytes more (8 halves) spread them over the 32 banks. B [128, 64]
// (128-byte rows) likewise. The view is the padded buffer; the tile is its
// box of leading elements, a strided memref every tile op accepts. Offsets
// are planned on the padded sizes: A takes 64 * 136 * 2 = 17408 bytes, B
// 128 * 72 * 2 = 18432.
// CHECK-LABEL: func.func @mma_operands(
// CHECK: dynamic_shared_memory_size %c35840_i32
// CHECK: gpu.func @mma_operands_kernel_0
// CHECK-DAG: %[[B:.*]] = memref.view %{{.*}}[%c0{{.*}}][] : {{.*}} to memref<128x72xf16, #gpu.address_space<workgroup>>
// CHECK-DAG: memref.subview %[[B]][0, 0] [128, 64] [1, 1] : memref<128x72xf16, #gpu.address_space<workgroup>> to memref<128x64xf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
// CHECK-DAG: %[[A:.*]] = memref.view %{{.*}}[%c18432{{.*}}][] : {{.*}} to memref<64x136xf16, #gpu.address_space<workgroup>>
// CHECK-DAG: memref.subview %[[A]][0, 0] [64, 128] [1, 1] : memref<64x136xf16, #gpu.address_space<workgroup>> to memref<64x128xf16, strided<[136, 1]>, #gpu.address_space<workgroup>>
// The f32 product only feeds the accumulator: private, not in shared memory.
// CHECK-DAG: memref.alloca() : memref<64x64xf32>
func.func @mma_operands(%x: tensor<64x256xf16>, %w: tensor<256x64xf16>) -> tensor<64x64xf16> {
  %y = mirage.graph_kernel(%x, %w) grid = [1, 1, 1] block = [128] forloop = 2
      : (tensor<64x256xf16>, tensor<256x64xf16>) -> tensor<64x64xf16> {
  ^bb0(%X: tensor<64x256xf16>, %W: tensor<256x64xf16>):
    %acc = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<64x256xf16> -> !mirage.tile<64x128xf16>
      %wt = mirage.input_iterator %W imap = {} fmap = 0 : tensor<256x64xf16> -> !mirage.tile<128x64xf16>
      %p = mirage.matmul %xt, %wt : (!mirage.tile<64x128xf16>, !mirage.tile<128x64xf16>) -> !mirage.tile<64x64xf16>
      mirage.accumulate sum(%p) : !mirage.tile<64x64xf16>
    }
    mirage.output_saver %acc omap = {} : !mirage.tile<64x64xf16>
  }
  return %y : tensor<64x64xf16>
}

// -----

// A matmul of 4 rows cannot run on tensor cores (m16n8k16 needs 16): its
// operands, and every tile only copied, keep dense rows.
// CHECK-LABEL: func.func @simt_operands(
// CHECK: gpu.func @simt_operands_kernel_0
// CHECK-NOT: strided<[{{[0-9]+}}, 1]>, #gpu.address_space<workgroup>
// CHECK: gpu.return
func.func @simt_operands(%x: tensor<4x256xf16>, %w: tensor<256x64xf16>) -> tensor<4x64xf16> {
  %y = mirage.graph_kernel(%x, %w) grid = [1, 1, 1] block = [128] forloop = 2
      : (tensor<4x256xf16>, tensor<256x64xf16>) -> tensor<4x64xf16> {
  ^bb0(%X: tensor<4x256xf16>, %W: tensor<256x64xf16>):
    %acc = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<4x256xf16> -> !mirage.tile<4x128xf16>
      %wt = mirage.input_iterator %W imap = {} fmap = 0 : tensor<256x64xf16> -> !mirage.tile<128x64xf16>
      %p = mirage.matmul %xt, %wt : (!mirage.tile<4x128xf16>, !mirage.tile<128x64xf16>) -> !mirage.tile<4x64xf16>
      mirage.accumulate sum(%p) : !mirage.tile<4x64xf16>
    }
    mirage.output_saver %acc omap = {} : !mirage.tile<4x64xf16>
  }
  return %y : tensor<4x64xf16>
}

// -----

// Padding never makes a kernel fail: the superoptimizer checked it against
// the limit with dense rows. A [128, 320] and B [320, 128] f16 tiles take
// 163840 bytes, within A100's 166912; padded (by 8 halves a row) they would
// take 171008, so they stay dense.
// CHECK-LABEL: func.func @padding_does_not_fit(
// CHECK: gpu.func @padding_does_not_fit_kernel_0
// CHECK-DAG: memref.view %{{.*}} to memref<128x320xf16, #gpu.address_space<workgroup>>
// CHECK-DAG: memref.view %{{.*}} to memref<320x128xf16, #gpu.address_space<workgroup>>
// CHECK-NOT: strided<[{{[0-9]+}}, 1]>, #gpu.address_space<workgroup>
// CHECK: gpu.return
func.func @padding_does_not_fit(%x: tensor<128x640xf16>, %w: tensor<640x128xf16>) -> tensor<128x128xf16> {
  %y = mirage.graph_kernel(%x, %w) grid = [1, 1, 1] block = [256] forloop = 2
      : (tensor<128x640xf16>, tensor<640x128xf16>) -> tensor<128x128xf16> {
  ^bb0(%X: tensor<128x640xf16>, %W: tensor<640x128xf16>):
    %acc = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<128x640xf16> -> !mirage.tile<128x320xf16>
      %wt = mirage.input_iterator %W imap = {} fmap = 0 : tensor<640x128xf16> -> !mirage.tile<320x128xf16>
      %p = mirage.matmul %xt, %wt : (!mirage.tile<128x320xf16>, !mirage.tile<320x128xf16>) -> !mirage.tile<128x128xf16>
      mirage.accumulate sum(%p) : !mirage.tile<128x128xf16>
    }
    mirage.output_saver %acc omap = {} : !mirage.tile<128x128xf16>
  }
  return %y : tensor<128x128xf16>
}
