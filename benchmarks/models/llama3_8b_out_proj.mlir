// The output projection of a Llama-3-8B decoder layer's attention sublayer
// at decode, with its residual: h = x + A·W_o, A the attention output of the
// 32 heads side by side (1 x 4096), W_o 4096 x 4096.
func.func @llama3_8b_out_proj(%x: tensor<1x4096xf16>, %a: tensor<1x4096xf16>,
                              %w_o: tensor<4096x4096xf16>)
    -> tensor<1x4096xf16> {
  %y = mirage.matmul %a, %w_o
      : (tensor<1x4096xf16>, tensor<4096x4096xf16>) -> tensor<1x4096xf16>
  %h = mirage.add %x, %y
      : (tensor<1x4096xf16>, tensor<1x4096xf16>) -> tensor<1x4096xf16>
  return %h : tensor<1x4096xf16>
}
