// RUN: mirage-opt %s --convert-mirage-to-gpu="target=sm_80" --split-input-file -verify-diagnostics

func.func @predefined(%x: tensor<8x64xf16>) -> tensor<8x64xf16> {
  // expected-error @+1 {{'mirage.exp' op must be a graph-defined kernel to be lowered to GPU code; run mirage-expand-predefined-kernels first}}
  %y = mirage.exp %x : tensor<8x64xf16>
  return %y : tensor<8x64xf16>
}

// -----

func.func @passthrough(%x: tensor<8x64xf16>) -> (tensor<8x64xf16>, tensor<8x64xf16>) {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1
      : (tensor<8x64xf16>) -> tensor<8x64xf16> {
  ^bb0(%X: tensor<8x64xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8x64xf16> -> !mirage.tile<8x64xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8x64xf16>
  }
  // expected-error @+1 {{'func.return' op returns argument 0 directly; a lowered function's results must be computed by a kernel}}
  return %y, %x : tensor<8x64xf16>, tensor<8x64xf16>
}

// -----

// 96 KiB tiles, two live at once: within H100's 227 KB (the verifier's
// default target) but not A100's 163 KB.
func.func @too_big(%x: tensor<256x192xf16>) -> tensor<256x192xf16> {
  // expected-error @+1 {{'mirage.graph_kernel' op needs 196608 bytes of shared memory per block once its tiles are placed, more than the 166912 bytes NVIDIA A100-SXM4-80GB allows; use smaller tiles (a larger grid or forloop)}}
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1
      : (tensor<256x192xf16>) -> tensor<256x192xf16> {
  ^bb0(%X: tensor<256x192xf16>):
    %a = mirage.input_iterator %X imap = {} : tensor<256x192xf16> -> !mirage.tile<256x192xf16>
    %b = mirage.exp %a : !mirage.tile<256x192xf16>
    mirage.output_saver %b omap = {} : !mirage.tile<256x192xf16>
  }
  return %y : tensor<256x192xf16>
}
