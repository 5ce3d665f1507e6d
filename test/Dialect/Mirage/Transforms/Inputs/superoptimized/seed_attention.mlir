// benchmarks/seed_attention.mlir as the superoptimizer emits it (a snapshot, taken around
// commit 2f72420, so that the μGraph-optimizer tests need not search again):
//   mirage-opt --mirage-decompose --mirage-superoptimize=cache-dir=none benchmarks/seed_attention.mlir
module {
  func.func @seed_attention(%arg0: tensor<64x1x128xf16>, %arg1: tensor<64x128x4096xf16>, %arg2: tensor<64x4096x128xf16>) -> tensor<64x1x128xf16> {
    %0:2 = mirage.graph_kernel(%arg0, %arg1, %arg2) grid = [64, 2, 1] block = [128] forloop = 8 : (tensor<64x1x128xf16>, tensor<64x128x4096xf16>, tensor<64x4096x128xf16>) -> (tensor<64x2x128xf16>, tensor<64x1x2xf16>) {
    ^bb0(%arg3: tensor<64x1x128xf16>, %arg4: tensor<64x128x4096xf16>, %arg5: tensor<64x4096x128xf16>):
      %2 = mirage.input_iterator %arg3 imap = {x = 0} : tensor<64x1x128xf16> -> !mirage.tile<1x1x128xf16>
      %3:2 = mirage.for_loop {
        %4 = mirage.input_iterator %arg4 imap = {x = 0, y = 2} fmap = 2 : tensor<64x128x4096xf16> -> !mirage.tile<1x128x256xf16>
        %5 = mirage.input_iterator %arg5 imap = {x = 0, y = 1} fmap = 1 : tensor<64x4096x128xf16> -> !mirage.tile<1x256x128xf16>
        %6 = mirage.matmul %2, %4 : (!mirage.tile<1x1x128xf16>, !mirage.tile<1x128x256xf16>) -> !mirage.tile<1x1x256xf16>
        %7 = mirage.exp %6 : !mirage.tile<1x1x256xf16>
        %8 = mirage.matmul %7, %5 : (!mirage.tile<1x1x256xf16>, !mirage.tile<1x256x128xf16>) -> !mirage.tile<1x1x128xf16>
        %9 = mirage.reduce sum %7 dim = 2 : (!mirage.tile<1x1x256xf16>) -> !mirage.tile<1x1x1xf16>
        mirage.accumulate sum(%8), sum(%9) : !mirage.tile<1x1x128xf16>, !mirage.tile<1x1x1xf16>
      }
      mirage.output_saver %3#0 omap = {x = 0, y = 1} : !mirage.tile<1x1x128xf16>
      mirage.output_saver %3#1 omap = {x = 0, y = 2} : !mirage.tile<1x1x1xf16>
    }
    %1 = mirage.graph_kernel(%0#0, %0#1) grid = [64, 2, 1] block = [128] forloop = 1 : (tensor<64x2x128xf16>, tensor<64x1x2xf16>) -> tensor<64x1x128xf16> {
    ^bb0(%arg3: tensor<64x2x128xf16>, %arg4: tensor<64x1x2xf16>):
      %2 = mirage.input_iterator %arg3 imap = {x = 0, y = 2} : tensor<64x2x128xf16> -> !mirage.tile<1x2x64xf16>
      %3 = mirage.reduce sum %2 dim = 1 : (!mirage.tile<1x2x64xf16>) -> !mirage.tile<1x1x64xf16>
      %4 = mirage.input_iterator %arg4 imap = {x = 0} : tensor<64x1x2xf16> -> !mirage.tile<1x1x2xf16>
      %5 = mirage.reduce sum %4 dim = 2 : (!mirage.tile<1x1x2xf16>) -> !mirage.tile<1x1x1xf16>
      %6 = mirage.div %3, %5 : (!mirage.tile<1x1x64xf16>, !mirage.tile<1x1x1xf16>) -> !mirage.tile<1x1x64xf16>
      mirage.output_saver %6 omap = {x = 0, y = 2} : !mirage.tile<1x1x64xf16>
    }
    return %1 : tensor<64x1x128xf16>
  }
}

