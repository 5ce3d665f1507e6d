// benchmarks/ntrans.mlir as the superoptimizer emits it (a snapshot, taken around
// commit 2f72420, so that the μGraph-optimizer tests need not search again):
//   mirage-opt --mirage-decompose --mirage-superoptimize=cache-dir=none benchmarks/ntrans.mlir
module {
  func.func @ntrans(%arg0: tensor<8x4096xf16>, %arg1: tensor<8x4096xf16>, %arg2: tensor<8x4096xf16>) -> tensor<8x4096xf16> {
    %0 = mirage.graph_kernel(%arg1, %arg2, %arg0) grid = [8, 1, 1] block = [128] forloop = 1 : (tensor<8x4096xf16>, tensor<8x4096xf16>, tensor<8x4096xf16>) -> tensor<8x4096xf16> {
    ^bb0(%arg3: tensor<8x4096xf16>, %arg4: tensor<8x4096xf16>, %arg5: tensor<8x4096xf16>):
      %1 = mirage.input_iterator %arg3 imap = {x = 0} : tensor<8x4096xf16> -> !mirage.tile<1x4096xf16>
      %2 = mirage.input_iterator %arg4 imap = {x = 0} : tensor<8x4096xf16> -> !mirage.tile<1x4096xf16>
      %3 = mirage.input_iterator %arg5 imap = {x = 0} : tensor<8x4096xf16> -> !mirage.tile<1x4096xf16>
      %4 = mirage.mul %1, %2 : (!mirage.tile<1x4096xf16>, !mirage.tile<1x4096xf16>) -> !mirage.tile<1x4096xf16>
      %5 = mirage.add %1, %4 : (!mirage.tile<1x4096xf16>, !mirage.tile<1x4096xf16>) -> !mirage.tile<1x4096xf16>
      %6 = mirage.mul %3, %2 : (!mirage.tile<1x4096xf16>, !mirage.tile<1x4096xf16>) -> !mirage.tile<1x4096xf16>
      %7 = mirage.mul %3, %3 : (!mirage.tile<1x4096xf16>, !mirage.tile<1x4096xf16>) -> !mirage.tile<1x4096xf16>
      %8 = mirage.mul_scalar %7, 2.44140625E-4 : !mirage.tile<1x4096xf16>
      %9 = mirage.reduce sum %8 dim = 1 : (!mirage.tile<1x4096xf16>) -> !mirage.tile<1x1xf16>
      %10 = mirage.sqrt %9 : !mirage.tile<1x1xf16>
      %11 = mirage.div %6, %10 : (!mirage.tile<1x4096xf16>, !mirage.tile<1x1xf16>) -> !mirage.tile<1x4096xf16>
      %12 = mirage.add %5, %11 : (!mirage.tile<1x4096xf16>, !mirage.tile<1x4096xf16>) -> !mirage.tile<1x4096xf16>
      %13 = mirage.rms_norm %12 normalized_shape = [4096] : !mirage.tile<1x4096xf16>
      mirage.output_saver %13 omap = {x = 0} : !mirage.tile<1x4096xf16>
    }
    return %0 : tensor<8x4096xf16>
  }
}

