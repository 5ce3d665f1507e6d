// Matmul tiles that mirage-map-tiles-to-threads runs on tensor cores
// (nvgpu.mma.sync m16n8k16), each beside the kernel-level program it must
// match. Used by tensor-cores.test.

// An f16 accumulator over a for-loop: 64x32 output tiles, 16 mma tiles for
// 4 warps (4 per warp, one row of tiles each), K = 16 per iteration.
func.func @accumulate(%x: tensor<64x64xf16>, %w: tensor<64x32xf16>) -> tensor<64x32xf16> {
  %y = mirage.graph_kernel(%x, %w) grid = [1, 1, 1] block = [128] forloop = 4
      : (tensor<64x64xf16>, tensor<64x32xf16>) -> tensor<64x32xf16> {
  ^bb0(%X: tensor<64x64xf16>, %W: tensor<64x32xf16>):
    %acc = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<64x64xf16> -> !mirage.tile<64x16xf16>
      %wt = mirage.input_iterator %W imap = {} fmap = 0 : tensor<64x32xf16> -> !mirage.tile<16x32xf16>
      %p = mirage.matmul %xt, %wt : (!mirage.tile<64x16xf16>, !mirage.tile<16x32xf16>) -> !mirage.tile<64x32xf16>
      mirage.accumulate sum(%p) : !mirage.tile<64x32xf16>
    }
    mirage.output_saver %acc omap = {} : !mirage.tile<64x32xf16>
  }
  return %y : tensor<64x32xf16>
}
func.func @accumulate_ref(%x: tensor<64x64xf16>, %w: tensor<64x32xf16>) -> tensor<64x32xf16> {
  %y = mirage.matmul %x, %w : (tensor<64x64xf16>, tensor<64x32xf16>) -> tensor<64x32xf16>
  return %y : tensor<64x32xf16>
}

// A batch dim split over the grid and kept in the tile: 2x32x16
// output tiles, 8 mma tiles for 4 warps; each warp's two tiles are one row.
func.func @batched(%x: tensor<4x32x64xf16>, %w: tensor<4x64x16xf16>) -> tensor<4x32x16xf16> {
  %y = mirage.graph_kernel(%x, %w) grid = [2, 1, 1] block = [128] forloop = 2
      : (tensor<4x32x64xf16>, tensor<4x64x16xf16>) -> tensor<4x32x16xf16> {
  ^bb0(%X: tensor<4x32x64xf16>, %W: tensor<4x64x16xf16>):
    %acc = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {x = 0} fmap = 2 : tensor<4x32x64xf16> -> !mirage.tile<2x32x32xf16>
      %wt = mirage.input_iterator %W imap = {x = 0} fmap = 1 : tensor<4x64x16xf16> -> !mirage.tile<2x32x16xf16>
      %p = mirage.matmul %xt, %wt : (!mirage.tile<2x32x32xf16>, !mirage.tile<2x32x16xf16>) -> !mirage.tile<2x32x16xf16>
      mirage.accumulate sum(%p) : !mirage.tile<2x32x16xf16>
    }
    mirage.output_saver %acc omap = {x = 0} : !mirage.tile<2x32x16xf16>
  }
  return %y : tensor<4x32x16xf16>
}
func.func @batched_ref(%x: tensor<4x32x64xf16>, %w: tensor<4x64x16xf16>) -> tensor<4x32x16xf16> {
  %y = mirage.matmul %x, %w : (tensor<4x32x64xf16>, tensor<4x64x16xf16>) -> tensor<4x32x16xf16>
  return %y : tensor<4x32x16xf16>
}

// The same in bf16, which stays on CUDA cores: MLIR 22's nvgpu-to-nvvm
// cannot lower a bf16 mma.sync ("failed to deduce operand PTX types").
func.func @batched_bf16(%x: tensor<4x32x64xbf16>, %w: tensor<4x64x16xbf16>) -> tensor<4x32x16xbf16> {
  %y = mirage.graph_kernel(%x, %w) grid = [2, 1, 1] block = [128] forloop = 2
      : (tensor<4x32x64xbf16>, tensor<4x64x16xbf16>) -> tensor<4x32x16xbf16> {
  ^bb0(%X: tensor<4x32x64xbf16>, %W: tensor<4x64x16xbf16>):
    %acc = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {x = 0} fmap = 2 : tensor<4x32x64xbf16> -> !mirage.tile<2x32x32xbf16>
      %wt = mirage.input_iterator %W imap = {x = 0} fmap = 1 : tensor<4x64x16xbf16> -> !mirage.tile<2x32x16xbf16>
      %p = mirage.matmul %xt, %wt : (!mirage.tile<2x32x32xbf16>, !mirage.tile<2x32x16xbf16>) -> !mirage.tile<2x32x16xbf16>
      mirage.accumulate sum(%p) : !mirage.tile<2x32x16xbf16>
    }
    mirage.output_saver %acc omap = {x = 0} : !mirage.tile<2x32x16xbf16>
  }
  return %y : tensor<4x32x16xbf16>
}
func.func @batched_bf16_ref(%x: tensor<4x32x64xbf16>, %w: tensor<4x64x16xbf16>) -> tensor<4x32x16xbf16> {
  %y = mirage.matmul %x, %w : (tensor<4x32x64xbf16>, tensor<4x64x16xbf16>) -> tensor<4x32x16xbf16>
  return %y : tensor<4x32x16xbf16>
}

// A 128x128 product that only feeds exp: 128 mma tiles, 32 per warp, too
// many accumulators to keep, so each warp runs 16 tiles (64 registers) at
// a time from zero through the epilogue that rounds them into the f16 tile
// exp reads.
func.func @fused_exp(%x: tensor<128x64xf16>, %w: tensor<64x128xf16>) -> tensor<128x128xf16> {
  %y = mirage.graph_kernel(%x, %w) grid = [1, 1, 1] block = [128] forloop = 1
      : (tensor<128x64xf16>, tensor<64x128xf16>) -> tensor<128x128xf16> {
  ^bb0(%X: tensor<128x64xf16>, %W: tensor<64x128xf16>):
    %xt = mirage.input_iterator %X imap = {} : tensor<128x64xf16> -> !mirage.tile<128x64xf16>
    %wt = mirage.input_iterator %W imap = {} : tensor<64x128xf16> -> !mirage.tile<64x128xf16>
    %p = mirage.matmul %xt, %wt : (!mirage.tile<128x64xf16>, !mirage.tile<64x128xf16>) -> !mirage.tile<128x128xf16>
    %e = mirage.exp %p : !mirage.tile<128x128xf16>
    mirage.output_saver %e omap = {} : !mirage.tile<128x128xf16>
  }
  return %y : tensor<128x128xf16>
}
func.func @fused_exp_ref(%x: tensor<128x64xf16>, %w: tensor<64x128xf16>) -> tensor<128x128xf16> {
  %p = mirage.matmul %x, %w : (tensor<128x64xf16>, tensor<64x128xf16>) -> tensor<128x128xf16>
  %e = mirage.exp %p : tensor<128x128xf16>
  return %e : tensor<128x128xf16>
}

// 4 rows: no 16-row mma tile fits, so the matmul stays on CUDA cores.
func.func @narrow(%x: tensor<4x64xf16>, %w: tensor<64x32xf16>) -> tensor<4x32xf16> {
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
func.func @narrow_ref(%x: tensor<4x64xf16>, %w: tensor<64x32xf16>) -> tensor<4x32xf16> {
  %y = mirage.matmul %x, %w : (tensor<4x64xf16>, tensor<64x32xf16>) -> tensor<4x32xf16>
  return %y : tensor<4x32xf16>
}
