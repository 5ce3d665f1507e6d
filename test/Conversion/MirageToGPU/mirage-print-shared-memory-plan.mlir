// RUN: mirage-opt %s --mirage-print-shared-memory-plan="target=sm_80" --split-input-file -verify-diagnostics -o /dev/null

// The plan convert-mirage-to-gpu lowers with, reported. In a for-loop over
// k, the A and B tiles of a tensor-core matmul (rows of 256 and 128 bytes)
// are padded by 8 halves (16 bytes) and double-buffered: each needs two
// padded slots (A: 64 * 136 * 2 = 17408 bytes, B: 128 * 72 * 2 = 18432),
// live through the loop (points 0-3). The f32 product stays in registers;
// the result tile, live after the loop (points 4-5), reuses bytes 0-8191.
func.func @mma_operands(%x: tensor<64x256xf16>, %w: tensor<256x64xf16>) -> tensor<64x64xf16> {
  // expected-remark @below {{shared memory: 71680 bytes of 166912 (NVIDIA A100-SXM4-80GB), 2 tiles padded, 2 double-buffered}}
  %y = mirage.graph_kernel(%x, %w) grid = [1, 1, 1] block = [128] forloop = 2
      : (tensor<64x256xf16>, tensor<256x64xf16>) -> tensor<64x64xf16> {
  ^bb0(%X: tensor<64x256xf16>, %W: tensor<256x64xf16>):
    // expected-remark @below {{tile 64x64xf16: bytes [0, 8192), live at points 4-5}}
    %acc = mirage.for_loop {
      // expected-remark @below {{tile 64x128xf16: bytes [36864, 54272), live at points 0-3, rows padded by 8 elements, second slot at bytes [54272, 71680)}}
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<64x256xf16> -> !mirage.tile<64x128xf16>
      // expected-remark @below {{tile 128x64xf16: bytes [0, 18432), live at points 0-3, rows padded by 8 elements, second slot at bytes [18432, 36864)}}
      %wt = mirage.input_iterator %W imap = {} fmap = 0 : tensor<256x64xf16> -> !mirage.tile<128x64xf16>
      // expected-remark @below {{tile 64x64xf16: private (f32 registers)}}
      %p = mirage.matmul %xt, %wt : (!mirage.tile<64x128xf16>, !mirage.tile<128x64xf16>) -> !mirage.tile<64x64xf16>
      mirage.accumulate sum(%p) : !mirage.tile<64x64xf16>
    }
    mirage.output_saver %acc omap = {} : !mirage.tile<64x64xf16>
  }
  return %y : tensor<64x64xf16>
}

// -----

// At A100's limit: 163840 bytes unpadded and single-buffered fit 166912;
// padding or a second slot would not, so there is neither.
func.func @at_the_limit(%x: tensor<128x640xf16>, %w: tensor<640x128xf16>) -> tensor<128x128xf16> {
  // expected-remark @below {{shared memory: 163840 bytes of 166912 (NVIDIA A100-SXM4-80GB), 0 tiles padded, 0 double-buffered}}
  %y = mirage.graph_kernel(%x, %w) grid = [1, 1, 1] block = [256] forloop = 2
      : (tensor<128x640xf16>, tensor<640x128xf16>) -> tensor<128x128xf16> {
  ^bb0(%X: tensor<128x640xf16>, %W: tensor<640x128xf16>):
    // expected-remark @below {{tile 128x128xf16: bytes [0, 32768), live at points 4-5}}
    %acc = mirage.for_loop {
      // expected-remark @below {{tile 128x320xf16: bytes [0, 81920), live at points 0-2}}
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<128x640xf16> -> !mirage.tile<128x320xf16>
      // expected-remark @below {{tile 320x128xf16: bytes [81920, 163840), live at points 1-2}}
      %wt = mirage.input_iterator %W imap = {} fmap = 0 : tensor<640x128xf16> -> !mirage.tile<320x128xf16>
      // expected-remark @below {{tile 128x128xf16: private (f32 registers)}}
      %p = mirage.matmul %xt, %wt : (!mirage.tile<128x320xf16>, !mirage.tile<320x128xf16>) -> !mirage.tile<128x128xf16>
      mirage.accumulate sum(%p) : !mirage.tile<128x128xf16>
    }
    mirage.output_saver %acc omap = {} : !mirage.tile<128x128xf16>
  }
  return %y : tensor<128x128xf16>
}

// -----

// Above the limit even unpadded and single-buffered: the lowering's error.
func.func @too_big(%x: tensor<256x192xf16>) -> tensor<256x192xf16> {
  // expected-error @below {{'mirage.graph_kernel' op needs 196608 bytes of shared memory per block once its tiles are placed, more than the 166912 bytes NVIDIA A100-SXM4-80GB allows; use smaller tiles (a larger grid or forloop)}}
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1
      : (tensor<256x192xf16>) -> tensor<256x192xf16> {
  ^bb0(%X: tensor<256x192xf16>):
    %a = mirage.input_iterator %X imap = {} : tensor<256x192xf16> -> !mirage.tile<256x192xf16>
    %b = mirage.exp %a : !mirage.tile<256x192xf16>
    mirage.output_saver %b omap = {} : !mirage.tile<256x192xf16>
  }
  return %y : tensor<256x192xf16>
}
