// RUN: mirage-run %s --reference=%benchmarks/gated_mlp.mlir | FileCheck %s
// CHECK: PASS: 1 output(s) compared with the reference

// benchmarks/gated_mlp.mlir at full size in one kernel: 64 blocks of 64
// output columns, 64 steps along the hidden dim, silu(a)·b in a thread graph
// (see ../gated-mlp.mlir).
func.func @gated_mlp(%x: tensor<8x4096xf16>,
                     %w1: tensor<4096x4096xf16> {mirage.input_range = [-1.562500e-02, 1.562500e-02]},
                     %w2: tensor<4096x4096xf16> {mirage.input_range = [-1.562500e-02, 1.562500e-02]})
    -> tensor<8x4096xf16> {
  %y = mirage.graph_kernel(%x, %w1, %w2) grid = [64, 1, 1] block = [128] forloop = 64
      : (tensor<8x4096xf16>, tensor<4096x4096xf16>, tensor<4096x4096xf16>) -> tensor<8x4096xf16> {
  ^bb0(%X: tensor<8x4096xf16>, %W1: tensor<4096x4096xf16>, %W2: tensor<4096x4096xf16>):
    %a, %b = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<8x4096xf16> -> !mirage.tile<8x64xf16>
      %w1t = mirage.input_iterator %W1 imap = {x = 1} fmap = 0 : tensor<4096x4096xf16> -> !mirage.tile<64x64xf16>
      %w2t = mirage.input_iterator %W2 imap = {x = 1} fmap = 0 : tensor<4096x4096xf16> -> !mirage.tile<64x64xf16>
      %p1 = mirage.matmul %xt, %w1t : (!mirage.tile<8x64xf16>, !mirage.tile<64x64xf16>) -> !mirage.tile<8x64xf16>
      %p2 = mirage.matmul %xt, %w2t : (!mirage.tile<8x64xf16>, !mirage.tile<64x64xf16>) -> !mirage.tile<8x64xf16>
      mirage.accumulate sum(%p1), sum(%p2) : !mirage.tile<8x64xf16>, !mirage.tile<8x64xf16>
    }
    %out = mirage.thread_graph(%a, %b) : (!mirage.tile<8x64xf16>, !mirage.tile<8x64xf16>) -> !mirage.tile<8x64xf16> {
    ^bb0(%ta: !mirage.tile<8x64xf16>, %tb: !mirage.tile<8x64xf16>):
      %s = mirage.silu %ta : !mirage.tile<8x64xf16>
      %m = mirage.mul %s, %tb : (!mirage.tile<8x64xf16>, !mirage.tile<8x64xf16>) -> !mirage.tile<8x64xf16>
      mirage.yield %m : !mirage.tile<8x64xf16>
    }
    mirage.output_saver %out omap = {x = 1} : !mirage.tile<8x64xf16>
  }
  return %y : tensor<8x4096xf16>
}
