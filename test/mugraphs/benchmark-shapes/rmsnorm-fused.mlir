// RUN: mirage-run %s --reference=%benchmarks/rmsnorm.mlir | FileCheck %s
// CHECK: PASS: 1 output(s) compared with the reference

// benchmarks/rmsnorm.mlir at full size in one kernel: 96 blocks of 64 output
// columns, 64 steps of 64 along the hidden dim (see ../rmsnorm-matmul.mlir).
func.func @rmsnorm(%x: tensor<2x4096xf16>,
                   %w: tensor<4096x6144xf16> {mirage.input_range = [-1.562500e-02, 1.562500e-02]})
    -> tensor<2x6144xf16> {
  %y = mirage.graph_kernel(%x, %w) grid = [96, 1, 1] block = [128] forloop = 64
      : (tensor<2x4096xf16>, tensor<4096x6144xf16>) -> tensor<2x6144xf16> {
  ^bb0(%X: tensor<2x4096xf16>, %W: tensor<4096x6144xf16>):
    %rms, %xw = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<2x4096xf16> -> !mirage.tile<2x64xf16>
      %wt = mirage.input_iterator %W imap = {x = 1} fmap = 0 : tensor<4096x6144xf16> -> !mirage.tile<64x64xf16>
      %sq = mirage.square %xt : !mirage.tile<2x64xf16>
      %ss = mirage.reduce sum %sq dim = 1 : (!mirage.tile<2x64xf16>) -> !mirage.tile<2x1xf16>
      %ms = mirage.mul_scalar %ss, 1.562500e-02 : !mirage.tile<2x1xf16>
      %p = mirage.matmul %xt, %wt : (!mirage.tile<2x64xf16>, !mirage.tile<64x64xf16>) -> !mirage.tile<2x64xf16>
      mirage.accumulate rms(%ms), sum(%p) : !mirage.tile<2x1xf16>, !mirage.tile<2x64xf16>
    }
    %out = mirage.div %xw, %rms : (!mirage.tile<2x64xf16>, !mirage.tile<2x1xf16>) -> !mirage.tile<2x64xf16>
    mirage.output_saver %out omap = {x = 1} : !mirage.tile<2x64xf16>
  }
  return %y : tensor<2x6144xf16>
}
