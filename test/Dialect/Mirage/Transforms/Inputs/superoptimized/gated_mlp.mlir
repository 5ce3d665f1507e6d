// benchmarks/gated_mlp.mlir as the superoptimizer emits it (a snapshot, taken around
// commit 2f72420, so that the μGraph-optimizer tests need not search again):
//   mirage-opt --mirage-decompose --mirage-superoptimize=cache-dir=none benchmarks/gated_mlp.mlir
module {
  func.func @gated_mlp(%arg0: tensor<8x4096xf16>, %arg1: tensor<4096x4096xf16> {mirage.input_range = [-1.562500e-02, 1.562500e-02]}, %arg2: tensor<4096x4096xf16> {mirage.input_range = [-1.562500e-02, 1.562500e-02]}) -> tensor<8x4096xf16> {
    %0 = mirage.graph_kernel(%arg0, %arg2, %arg1) grid = [128, 1, 1] block = [128] forloop = 4 : (tensor<8x4096xf16>, tensor<4096x4096xf16>, tensor<4096x4096xf16>) -> tensor<8x4096xf16> {
    ^bb0(%arg3: tensor<8x4096xf16>, %arg4: tensor<4096x4096xf16>, %arg5: tensor<4096x4096xf16>):
      %1:2 = mirage.for_loop {
        %4 = mirage.input_iterator %arg3 imap = {} fmap = 1 : tensor<8x4096xf16> -> !mirage.tile<8x1024xf16>
        %5 = mirage.input_iterator %arg4 imap = {x = 1} fmap = 0 : tensor<4096x4096xf16> -> !mirage.tile<1024x32xf16>
        %6 = mirage.input_iterator %arg5 imap = {x = 1} fmap = 0 : tensor<4096x4096xf16> -> !mirage.tile<1024x32xf16>
        %7 = mirage.matmul %4, %5 : (!mirage.tile<8x1024xf16>, !mirage.tile<1024x32xf16>) -> !mirage.tile<8x32xf16>
        %8 = mirage.matmul %4, %6 : (!mirage.tile<8x1024xf16>, !mirage.tile<1024x32xf16>) -> !mirage.tile<8x32xf16>
        mirage.accumulate sum(%7), sum(%8) : !mirage.tile<8x32xf16>, !mirage.tile<8x32xf16>
      }
      %2 = mirage.silu %1#1 : !mirage.tile<8x32xf16>
      %3 = mirage.mul %1#0, %2 : (!mirage.tile<8x32xf16>, !mirage.tile<8x32xf16>) -> !mirage.tile<8x32xf16>
      mirage.output_saver %3 omap = {x = 1} : !mirage.tile<8x32xf16>
    }
    return %0 : tensor<8x4096xf16>
  }
}

