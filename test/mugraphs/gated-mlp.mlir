// RUN: mirage-run %s --entry=fused --reference=%s:gated_mlp | FileCheck %s
// CHECK: PASS: 1 output(s) compared with the reference

// Gated MLP in one kernel: each block owns 32 output columns of both
// products, accumulates X·W1 and X·W2 over the hidden dim, and applies
// silu(a)·b in a thread graph, in registers, on the way out.

func.func @gated_mlp(%x: tensor<8x256xf16>, %w1: tensor<256x128xf16>, %w2: tensor<256x128xf16>) -> tensor<8x128xf16> {
  %a = mirage.matmul %x, %w1 : (tensor<8x256xf16>, tensor<256x128xf16>) -> tensor<8x128xf16>
  %b = mirage.matmul %x, %w2 : (tensor<8x256xf16>, tensor<256x128xf16>) -> tensor<8x128xf16>
  %g = mirage.silu %a : tensor<8x128xf16>
  %y = mirage.mul %g, %b : (tensor<8x128xf16>, tensor<8x128xf16>) -> tensor<8x128xf16>
  return %y : tensor<8x128xf16>
}

func.func @fused(%x: tensor<8x256xf16>, %w1: tensor<256x128xf16>, %w2: tensor<256x128xf16>) -> tensor<8x128xf16> {
  %y = mirage.graph_kernel(%x, %w1, %w2) grid = [4, 1, 1] block = [128] forloop = 8
      : (tensor<8x256xf16>, tensor<256x128xf16>, tensor<256x128xf16>) -> tensor<8x128xf16> {
  ^bb0(%X: tensor<8x256xf16>, %W1: tensor<256x128xf16>, %W2: tensor<256x128xf16>):
    %a, %b = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<8x256xf16> -> !mirage.tile<8x32xf16>
      %w1t = mirage.input_iterator %W1 imap = {x = 1} fmap = 0 : tensor<256x128xf16> -> !mirage.tile<32x32xf16>
      %w2t = mirage.input_iterator %W2 imap = {x = 1} fmap = 0 : tensor<256x128xf16> -> !mirage.tile<32x32xf16>
      %p1 = mirage.matmul %xt, %w1t : (!mirage.tile<8x32xf16>, !mirage.tile<32x32xf16>) -> !mirage.tile<8x32xf16>
      %p2 = mirage.matmul %xt, %w2t : (!mirage.tile<8x32xf16>, !mirage.tile<32x32xf16>) -> !mirage.tile<8x32xf16>
      mirage.accumulate sum(%p1), sum(%p2) : !mirage.tile<8x32xf16>, !mirage.tile<8x32xf16>
    }
    %out = mirage.thread_graph(%a, %b) : (!mirage.tile<8x32xf16>, !mirage.tile<8x32xf16>) -> !mirage.tile<8x32xf16> {
    ^bb0(%ta: !mirage.tile<8x32xf16>, %tb: !mirage.tile<8x32xf16>):
      %s = mirage.silu %ta : !mirage.tile<8x32xf16>
      %m = mirage.mul %s, %tb : (!mirage.tile<8x32xf16>, !mirage.tile<8x32xf16>) -> !mirage.tile<8x32xf16>
      mirage.yield %m : !mirage.tile<8x32xf16>
    }
    mirage.output_saver %out omap = {x = 1} : !mirage.tile<8x32xf16>
  }
  return %y : tensor<8x128xf16>
}
