// Every pass with a `target` option rejects a name that is no target, naming
// the ones there are (resolveGpuTarget).
// RUN: not mirage-opt %s --convert-mirage-to-gpu=target=sm_42 2>&1 | FileCheck %s
// RUN: not mirage-opt %s --mirage-print-shared-memory-plan=target=sm_42 2>&1 | FileCheck %s
// RUN: not mirage-opt %s --mirage-schedule-block-graphs=target=sm_42 2>&1 | FileCheck %s
// CHECK: error: unknown target 'sm_42'; expected one of sm_80 (a100), sm_86 (a10), sm_89 (l4), sm_90a (sm_90, h100), h200

func.func @exp(%x: tensor<8x64xf16>) -> tensor<8x64xf16> {
  %y = mirage.graph_kernel(%x) grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<8x64xf16>) -> tensor<8x64xf16> {
  ^bb0(%X: tensor<8x64xf16>):
    %t = mirage.input_iterator %X imap = {x = 0} : tensor<8x64xf16> -> !mirage.tile<2x64xf16>
    %e = mirage.exp %t : !mirage.tile<2x64xf16>
    mirage.output_saver %e omap = {x = 0} : !mirage.tile<2x64xf16>
  }
  return %y : tensor<8x64xf16>
}
