// benchmarks/rmsnorm.mlir as the superoptimizer emits it (a snapshot, taken around
// commit 2f72420, so that the μGraph-optimizer tests need not search again):
//   mirage-opt --mirage-decompose --mirage-superoptimize=cache-dir=none benchmarks/rmsnorm.mlir
module {
  func.func @rmsnorm(%arg0: tensor<2x4096xf16>, %arg1: tensor<4096x6144xf16> {mirage.input_range = [-1.562500e-02, 1.562500e-02]}) -> tensor<2x6144xf16> {
    %0 = mirage.graph_kernel(%arg0, %arg1) grid = [96, 1, 1] block = [128] forloop = 4 : (tensor<2x4096xf16>, tensor<4096x6144xf16>) -> tensor<2x6144xf16> {
    ^bb0(%arg2: tensor<2x4096xf16>, %arg3: tensor<4096x6144xf16>):
      %1:2 = mirage.for_loop {
        %4 = mirage.input_iterator %arg2 imap = {} fmap = 1 : tensor<2x4096xf16> -> !mirage.tile<2x1024xf16>
        %5 = mirage.input_iterator %arg3 imap = {x = 1} fmap = 0 : tensor<4096x6144xf16> -> !mirage.tile<1024x64xf16>
        %6 = mirage.matmul %4, %5 : (!mirage.tile<2x1024xf16>, !mirage.tile<1024x64xf16>) -> !mirage.tile<2x64xf16>
        %7 = mirage.mul %4, %4 : (!mirage.tile<2x1024xf16>, !mirage.tile<2x1024xf16>) -> !mirage.tile<2x1024xf16>
        %8 = mirage.mul_scalar %7, 2.44140625E-4 : !mirage.tile<2x1024xf16>
        %9 = mirage.reduce sum %8 dim = 1 : (!mirage.tile<2x1024xf16>) -> !mirage.tile<2x1xf16>
        mirage.accumulate sum(%6), sum(%9) : !mirage.tile<2x64xf16>, !mirage.tile<2x1xf16>
      }
      %2 = mirage.sqrt %1#1 : !mirage.tile<2x1xf16>
      %3 = mirage.div %1#0, %2 : (!mirage.tile<2x64xf16>, !mirage.tile<2x1xf16>) -> !mirage.tile<2x64xf16>
      mirage.output_saver %3 omap = {x = 1} : !mirage.tile<2x64xf16>
    }
    return %0 : tensor<2x6144xf16>
  }
}

