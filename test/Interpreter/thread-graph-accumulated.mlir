// RUN: mirage-run %s --entry=thread_graph --engine=tiles --reference=%s:thread_graph --rtol=0 --atol=0 | FileCheck %s
// The lowering pipeline (mirage-lower-to-tiles) forms a thread graph of
// exp and mul_scalar (mirage-form-thread-graphs), so exp's result is no
// longer rounded: @ops then computes exactly what @thread_graph does.
// RUN: mirage-run %s --entry=ops --engine=tiles --reference=%s:thread_graph --rtol=0 --atol=0 | FileCheck %s
// CHECK: PASS: 1 output(s) compared with the reference

// A value that only feeds accumulators is accumulated in f32 registers and
// never stored as a tile, so it is not rounded to f16, whether a block-level
// op or a thread graph computes it: the interpreter and the tile-level GPU
// code agree bit for bit on both. (The interpreter used to round thread-graph
// results regardless; 150 of these 2048 sums then differed.)

func.func @thread_graph(%x: tensor<64x256xf16>) -> tensor<64x32xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 8
      : (tensor<64x256xf16>) -> tensor<64x32xf16> {
  ^bb0(%X: tensor<64x256xf16>):
    %a = mirage.for_loop {
      %t = mirage.input_iterator %X imap = {} fmap = 1 : tensor<64x256xf16> -> !mirage.tile<64x32xf16>
      %g = mirage.thread_graph(%t) : (!mirage.tile<64x32xf16>) -> !mirage.tile<64x32xf16> {
      ^bb0(%u: !mirage.tile<64x32xf16>):
        %e = mirage.exp %u : !mirage.tile<64x32xf16>
        %s = mirage.mul_scalar %e, 0.3 : !mirage.tile<64x32xf16>
        mirage.yield %s : !mirage.tile<64x32xf16>
      }
      mirage.accumulate sum(%g) : !mirage.tile<64x32xf16>
    }
    mirage.output_saver %a omap = {} : !mirage.tile<64x32xf16>
  }
  return %y : tensor<64x32xf16>
}

// The same with block-level ops (exp's result is a tile here, rounded; the
// product only feeds the accumulator, not rounded).
func.func @ops(%x: tensor<64x256xf16>) -> tensor<64x32xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 8
      : (tensor<64x256xf16>) -> tensor<64x32xf16> {
  ^bb0(%X: tensor<64x256xf16>):
    %a = mirage.for_loop {
      %t = mirage.input_iterator %X imap = {} fmap = 1 : tensor<64x256xf16> -> !mirage.tile<64x32xf16>
      %e = mirage.exp %t : !mirage.tile<64x32xf16>
      %s = mirage.mul_scalar %e, 0.3 : !mirage.tile<64x32xf16>
      mirage.accumulate sum(%s) : !mirage.tile<64x32xf16>
    }
    mirage.output_saver %a omap = {} : !mirage.tile<64x32xf16>
  }
  return %y : tensor<64x32xf16>
}
