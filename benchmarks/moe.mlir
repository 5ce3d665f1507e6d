// A mixture-of-experts layer with 8 experts, 8 tokens each (Mirage paper,
// MoE): Y = exp(X·A)·B, batched over experts. Weights' test inputs follow
// nn.Linear's default init, U(-1/√4096, 1/√4096); on the default input range
// exp(X·A) would overflow f16.
func.func @moe(%x: tensor<8x8x4096xf16>,
               %a: tensor<8x4096x4096xf16>
                   {mirage.input_range = [-1.562500e-02, 1.562500e-02]},
               %b: tensor<8x4096x4096xf16>
                   {mirage.input_range = [-1.562500e-02, 1.562500e-02]})
    -> tensor<8x8x4096xf16> {
  %h = mirage.matmul %x, %a
      : (tensor<8x8x4096xf16>, tensor<8x4096x4096xf16>) -> tensor<8x8x4096xf16>
  %e = mirage.exp %h : tensor<8x8x4096xf16>
  %y = mirage.matmul %e, %b
      : (tensor<8x8x4096xf16>, tensor<8x4096x4096xf16>) -> tensor<8x8x4096xf16>
  return %y : tensor<8x8x4096xf16>
}
