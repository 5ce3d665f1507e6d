// The normalised-Transformer (nGPT) residual update (Mirage paper, nTrans;
// batch 1): Y = rms_norm(X + α ⊙ (rms_norm(H) + X)).
func.func @ntrans(%h: tensor<8x4096xf16>, %x: tensor<8x4096xf16>,
                  %alpha: tensor<8x4096xf16>) -> tensor<8x4096xf16> {
  %hn = mirage.rms_norm %h normalized_shape = [4096] : tensor<8x4096xf16>
  %a = mirage.add %hn, %x
      : (tensor<8x4096xf16>, tensor<8x4096xf16>) -> tensor<8x4096xf16>
  %b = mirage.mul %alpha, %a
      : (tensor<8x4096xf16>, tensor<8x4096xf16>) -> tensor<8x4096xf16>
  %c = mirage.add %x, %b
      : (tensor<8x4096xf16>, tensor<8x4096xf16>) -> tensor<8x4096xf16>
  %y = mirage.rms_norm %c normalized_shape = [4096] : tensor<8x4096xf16>
  return %y : tensor<8x4096xf16>
}
