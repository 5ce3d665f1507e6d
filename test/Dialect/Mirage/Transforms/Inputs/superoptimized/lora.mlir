// benchmarks/lora.mlir as the superoptimizer emits it (a snapshot, taken around
// commit 2f72420, so that the μGraph-optimizer tests need not search again):
//   mirage-opt --mirage-decompose --mirage-superoptimize=cache-dir=none benchmarks/lora.mlir
module {
  func.func @lora(%arg0: tensor<16x256xf16>, %arg1: tensor<256x4096xf16> {mirage.input_range = [-6.250000e-02, 6.250000e-02]}, %arg2: tensor<256x16xf16> {mirage.input_range = [-6.250000e-02, 6.250000e-02]}, %arg3: tensor<16x4096xf16> {mirage.input_range = [-2.500000e-01, 2.500000e-01]}) -> tensor<16x4096xf16> {
    %0 = mirage.graph_kernel(%arg2, %arg3, %arg1, %arg0) grid = [128, 1, 1] block = [128] forloop = 1 : (tensor<256x16xf16>, tensor<16x4096xf16>, tensor<256x4096xf16>, tensor<16x256xf16>) -> tensor<16x4096xf16> {
    ^bb0(%arg4: tensor<256x16xf16>, %arg5: tensor<16x4096xf16>, %arg6: tensor<256x4096xf16>, %arg7: tensor<16x256xf16>):
      %1 = mirage.input_iterator %arg4 imap = {} : tensor<256x16xf16> -> !mirage.tile<256x16xf16>
      %2 = mirage.input_iterator %arg5 imap = {x = 1} : tensor<16x4096xf16> -> !mirage.tile<16x32xf16>
      %3 = mirage.input_iterator %arg6 imap = {x = 1} : tensor<256x4096xf16> -> !mirage.tile<256x32xf16>
      %4 = mirage.input_iterator %arg7 imap = {} : tensor<16x256xf16> -> !mirage.tile<16x256xf16>
      %5 = mirage.matmul %1, %2 : (!mirage.tile<256x16xf16>, !mirage.tile<16x32xf16>) -> !mirage.tile<256x32xf16>
      %6 = mirage.add %3, %5 : (!mirage.tile<256x32xf16>, !mirage.tile<256x32xf16>) -> !mirage.tile<256x32xf16>
      %7 = mirage.matmul %4, %6 : (!mirage.tile<16x256xf16>, !mirage.tile<256x32xf16>) -> !mirage.tile<16x32xf16>
      mirage.output_saver %7 omap = {x = 1} : !mirage.tile<16x32xf16>
    }
    return %0 : tensor<16x4096xf16>
  }
}

