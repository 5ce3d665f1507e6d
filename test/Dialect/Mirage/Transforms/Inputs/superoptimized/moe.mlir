// benchmarks/moe.mlir as the superoptimizer emits it (a snapshot, taken around
// commit 2f72420, so that the μGraph-optimizer tests need not search again):
//   mirage-opt --mirage-decompose --mirage-superoptimize=cache-dir=none benchmarks/moe.mlir
module {
  func.func @moe(%arg0: tensor<8x8x4096xf16>, %arg1: tensor<8x4096x4096xf16> {mirage.input_range = [-1.562500e-02, 1.562500e-02]}, %arg2: tensor<8x4096x4096xf16> {mirage.input_range = [-1.562500e-02, 1.562500e-02]}) -> tensor<8x8x4096xf16> {
    %0 = mirage.graph_kernel(%arg0, %arg1) grid = [16, 8, 1] block = [128] forloop = 16 : (tensor<8x8x4096xf16>, tensor<8x4096x4096xf16>) -> tensor<8x8x4096xf16> {
    ^bb0(%arg3: tensor<8x8x4096xf16>, %arg4: tensor<8x4096x4096xf16>):
      %2 = mirage.for_loop {
        %4 = mirage.input_iterator %arg3 imap = {y = 0} fmap = 2 : tensor<8x8x4096xf16> -> !mirage.tile<1x8x256xf16>
        %5 = mirage.input_iterator %arg4 imap = {x = 2, y = 0} fmap = 1 : tensor<8x4096x4096xf16> -> !mirage.tile<1x256x256xf16>
        %6 = mirage.matmul %4, %5 : (!mirage.tile<1x8x256xf16>, !mirage.tile<1x256x256xf16>) -> !mirage.tile<1x8x256xf16>
        mirage.accumulate sum(%6) : !mirage.tile<1x8x256xf16>
      }
      %3 = mirage.exp %2 : !mirage.tile<1x8x256xf16>
      mirage.output_saver %3 omap = {x = 2, y = 0} : !mirage.tile<1x8x256xf16>
    }
    %1 = mirage.graph_kernel(%0, %arg2) grid = [16, 8, 1] block = [128] forloop = 16 : (tensor<8x8x4096xf16>, tensor<8x4096x4096xf16>) -> tensor<8x8x4096xf16> {
    ^bb0(%arg3: tensor<8x8x4096xf16>, %arg4: tensor<8x4096x4096xf16>):
      %2 = mirage.for_loop {
        %3 = mirage.input_iterator %arg3 imap = {y = 0} fmap = 2 : tensor<8x8x4096xf16> -> !mirage.tile<1x8x256xf16>
        %4 = mirage.input_iterator %arg4 imap = {x = 2, y = 0} fmap = 1 : tensor<8x4096x4096xf16> -> !mirage.tile<1x256x256xf16>
        %5 = mirage.matmul %3, %4 : (!mirage.tile<1x8x256xf16>, !mirage.tile<1x256x256xf16>) -> !mirage.tile<1x8x256xf16>
        mirage.accumulate sum(%5) : !mirage.tile<1x8x256xf16>
      }
      mirage.output_saver %2 omap = {x = 2, y = 0} : !mirage.tile<1x8x256xf16>
    }
    return %1 : tensor<8x8x4096xf16>
  }
}

