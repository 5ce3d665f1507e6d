// 131072 blocks along y: more than CUDA launches (65535).
func.func @f(%x: tensor<131072xf16>) -> tensor<131072xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 131072, 1] block = [128] forloop = 1 : (tensor<131072xf16>) -> tensor<131072xf16> {
  ^bb0(%X: tensor<131072xf16>):
    %t = mirage.input_iterator %X imap = {y = 0} : tensor<131072xf16> -> !mirage.tile<1xf16>
    mirage.output_saver %t omap = {y = 0} : !mirage.tile<1xf16>
  }
  return %y : tensor<131072xf16>
}
