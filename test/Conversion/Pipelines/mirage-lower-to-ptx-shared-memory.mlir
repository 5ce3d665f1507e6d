// Each chip's own shared-memory limit applies: a kernel with two live
// 100 KB tiles (204,800 bytes) fits sm_90a's 227 KB but not the 99 KB of
// sm_86 and sm_89, which used to be checked against sm_90a's limit.

// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_86" --verify-diagnostics -o /dev/null
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_89" --verify-diagnostics -o /dev/null

func.func @two_tiles(%x: tensor<100x512xf16>) -> tensor<100x512xf16> {
  // expected-error-re @+1 {{'mirage.graph_kernel' op needs 204800 bytes of shared memory per block once its tiles are placed, more than the 101376 bytes NVIDIA {{A10|L4}} allows; use smaller tiles (a larger grid or forloop)}}
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<100x512xf16>) -> tensor<100x512xf16> {
  ^bb0(%X: tensor<100x512xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<100x512xf16> -> !mirage.tile<100x512xf16>
    %e = mirage.exp %t : !mirage.tile<100x512xf16>
    mirage.output_saver %e omap = {} : !mirage.tile<100x512xf16>
  }
  return %y : tensor<100x512xf16>
}
