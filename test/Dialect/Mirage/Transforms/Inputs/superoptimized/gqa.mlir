// benchmarks/gqa.mlir as the superoptimizer emits it (a snapshot, taken around
// commit 2f72420, so that the μGraph-optimizer tests need not search again):
//   mirage-opt --mirage-decompose --mirage-superoptimize=cache-dir=none benchmarks/gqa.mlir
module {
  func.func @gqa(%arg0: tensor<2x256x64xf16>, %arg1: tensor<2x64x4096xf16>, %arg2: tensor<2x4096x64xf16>) -> tensor<2x256x64xf16> {
    %0:2 = mirage.graph_kernel(%arg0, %arg1, %arg2) grid = [16, 2, 2] block = [128] forloop = 1 : (tensor<2x256x64xf16>, tensor<2x64x4096xf16>, tensor<2x4096x64xf16>) -> (tensor<2x256x1024xf16>, tensor<2x256x16xf16>) {
    ^bb0(%arg3: tensor<2x256x64xf16>, %arg4: tensor<2x64x4096xf16>, %arg5: tensor<2x4096x64xf16>):
      %2 = mirage.input_iterator %arg3 imap = {y = 0, z = 1} : tensor<2x256x64xf16> -> !mirage.tile<1x128x64xf16>
      %3 = mirage.input_iterator %arg4 imap = {x = 2, y = 0} : tensor<2x64x4096xf16> -> !mirage.tile<1x64x256xf16>
      %4 = mirage.input_iterator %arg5 imap = {x = 1, y = 0} : tensor<2x4096x64xf16> -> !mirage.tile<1x256x64xf16>
      %5 = mirage.matmul %2, %3 : (!mirage.tile<1x128x64xf16>, !mirage.tile<1x64x256xf16>) -> !mirage.tile<1x128x256xf16>
      %6 = mirage.exp %5 : !mirage.tile<1x128x256xf16>
      %7 = mirage.matmul %6, %4 : (!mirage.tile<1x128x256xf16>, !mirage.tile<1x256x64xf16>) -> !mirage.tile<1x128x64xf16>
      %8 = mirage.reduce sum %6 dim = 2 : (!mirage.tile<1x128x256xf16>) -> !mirage.tile<1x128x1xf16>
      mirage.output_saver %7 omap = {x = 2, y = 0, z = 1} : !mirage.tile<1x128x64xf16>
      mirage.output_saver %8 omap = {x = 2, y = 0, z = 1} : !mirage.tile<1x128x1xf16>
    }
    %1 = mirage.graph_kernel(%0#0, %0#1) grid = [256, 1, 1] block = [128] forloop = 1 : (tensor<2x256x1024xf16>, tensor<2x256x16xf16>) -> tensor<2x256x64xf16> {
    ^bb0(%arg3: tensor<2x256x1024xf16>, %arg4: tensor<2x256x16xf16>):
      %2 = mirage.input_iterator %arg3 imap = {x = 1} : tensor<2x256x1024xf16> -> !mirage.tile<2x1x1024xf16>
      %3 = mirage.reduce sum %2 dim = 2 size = 64 : (!mirage.tile<2x1x1024xf16>) -> !mirage.tile<2x1x64xf16>
      %4 = mirage.input_iterator %arg4 imap = {x = 1} : tensor<2x256x16xf16> -> !mirage.tile<2x1x16xf16>
      %5 = mirage.reduce sum %4 dim = 2 : (!mirage.tile<2x1x16xf16>) -> !mirage.tile<2x1x1xf16>
      %6 = mirage.div %3, %5 : (!mirage.tile<2x1x64xf16>, !mirage.tile<2x1x1xf16>) -> !mirage.tile<2x1x64xf16>
      mirage.output_saver %6 omap = {x = 1} : !mirage.tile<2x1x64xf16>
    }
    return %1 : tensor<2x256x64xf16>
  }
}

