// Matmul tiles that mirage-map-tiles-to-threads runs as warpgroup MMA on
// sm_90a (mirage.warpgroup_mma: wgmma.mma_async with A from registers and
// B from shared memory in the 128-byte-swizzled layout), each beside the
// kernel-level program it must match. Used by warpgroup-mma.test.

// An accumulator over a for-loop: 64x128 output tiles (one 64-row block,
// 16 accumulator tiles per warp: 64 registers), K = 64 per iteration. The
// W tile is double-buffered: cp.async writes the next iteration's into the
// swizzled layout.
func.func @accumulate(%x: tensor<64x256xf16>, %w: tensor<256x128xf16>) -> tensor<64x128xf16> {
  %y = mirage.graph_kernel(%x, %w) grid = [1, 1, 1] block = [128] forloop = 4
      : (tensor<64x256xf16>, tensor<256x128xf16>) -> tensor<64x128xf16> {
  ^bb0(%X: tensor<64x256xf16>, %W: tensor<256x128xf16>):
    %acc = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<64x256xf16> -> !mirage.tile<64x64xf16>
      %wt = mirage.input_iterator %W imap = {} fmap = 0 : tensor<256x128xf16> -> !mirage.tile<64x128xf16>
      %p = mirage.matmul %xt, %wt : (!mirage.tile<64x64xf16>, !mirage.tile<64x128xf16>) -> !mirage.tile<64x128xf16>
      mirage.accumulate sum(%p) : !mirage.tile<64x128xf16>
    }
    mirage.output_saver %acc omap = {} : !mirage.tile<64x128xf16>
  }
  return %y : tensor<64x128xf16>
}
func.func @accumulate_ref(%x: tensor<64x256xf16>, %w: tensor<256x128xf16>) -> tensor<64x128xf16> {
  %y = mirage.matmul %x, %w : (tensor<64x256xf16>, tensor<256x128xf16>) -> tensor<64x128xf16>
  return %y : tensor<64x128xf16>
}

// bf16, two 64-row blocks, 256 columns (four swizzled column blocks), a
// product that only feeds exp: each warp runs 16 tiles (one wgmma of 128
// columns) at a time through the epilogue.
func.func @fused_exp(%x: tensor<128x64xbf16>, %w: tensor<64x256xbf16>) -> tensor<128x256xbf16> {
  %y = mirage.graph_kernel(%x, %w) grid = [1, 1, 1] block = [128] forloop = 1
      : (tensor<128x64xbf16>, tensor<64x256xbf16>) -> tensor<128x256xbf16> {
  ^bb0(%X: tensor<128x64xbf16>, %W: tensor<64x256xbf16>):
    %xt = mirage.input_iterator %X imap = {} : tensor<128x64xbf16> -> !mirage.tile<128x64xbf16>
    %wt = mirage.input_iterator %W imap = {} : tensor<64x256xbf16> -> !mirage.tile<64x256xbf16>
    %p = mirage.matmul %xt, %wt : (!mirage.tile<128x64xbf16>, !mirage.tile<64x256xbf16>) -> !mirage.tile<128x256xbf16>
    %e = mirage.exp %p : !mirage.tile<128x256xbf16>
    mirage.output_saver %e omap = {} : !mirage.tile<128x256xbf16>
  }
  return %y : tensor<128x256xbf16>
}
func.func @fused_exp_ref(%x: tensor<128x64xbf16>, %w: tensor<64x256xbf16>) -> tensor<128x256xbf16> {
  %p = mirage.matmul %x, %w : (tensor<128x64xbf16>, tensor<64x256xbf16>) -> tensor<128x256xbf16>
  %e = mirage.exp %p : tensor<128x256xbf16>
  return %e : tensor<128x256xbf16>
}

// W's tile is also read by exp: it cannot stay swizzled, so the matmul
// runs on mma.sync.
func.func @shared_rhs(%x: tensor<64x64xf16>, %w: tensor<64x64xf16>) -> (tensor<64x64xf16>, tensor<64x64xf16>) {
  %y:2 = mirage.graph_kernel(%x, %w) grid = [1, 1, 1] block = [128] forloop = 1
      : (tensor<64x64xf16>, tensor<64x64xf16>) -> (tensor<64x64xf16>, tensor<64x64xf16>) {
  ^bb0(%X: tensor<64x64xf16>, %W: tensor<64x64xf16>):
    %xt = mirage.input_iterator %X imap = {} : tensor<64x64xf16> -> !mirage.tile<64x64xf16>
    %wt = mirage.input_iterator %W imap = {} : tensor<64x64xf16> -> !mirage.tile<64x64xf16>
    %p = mirage.matmul %xt, %wt : (!mirage.tile<64x64xf16>, !mirage.tile<64x64xf16>) -> !mirage.tile<64x64xf16>
    %e = mirage.exp %wt : !mirage.tile<64x64xf16>
    mirage.output_saver %p omap = {} : !mirage.tile<64x64xf16>
    mirage.output_saver %e omap = {} : !mirage.tile<64x64xf16>
  }
  return %y#0, %y#1 : tensor<64x64xf16>, tensor<64x64xf16>
}
func.func @shared_rhs_ref(%x: tensor<64x64xf16>, %w: tensor<64x64xf16>) -> (tensor<64x64xf16>, tensor<64x64xf16>) {
  %p = mirage.matmul %x, %w : (tensor<64x64xf16>, tensor<64x64xf16>) -> tensor<64x64xf16>
  %e = mirage.exp %w : tensor<64x64xf16>
  return %p, %e : tensor<64x64xf16>, tensor<64x64xf16>
}
