// Gated MLP (Mirage paper, GatedMLP; batch 8): Y = silu(X·W1) ⊙ (X·W2).
// Weights' test inputs follow nn.Linear's default init, U(-1/√4096, 1/√4096).
func.func @gated_mlp(%x: tensor<8x4096xf16>,
                     %w1: tensor<4096x4096xf16>
                         {mirage.input_range = [-1.562500e-02, 1.562500e-02]},
                     %w2: tensor<4096x4096xf16>
                         {mirage.input_range = [-1.562500e-02, 1.562500e-02]})
    -> tensor<8x4096xf16> {
  %h1 = mirage.matmul %x, %w1
      : (tensor<8x4096xf16>, tensor<4096x4096xf16>) -> tensor<8x4096xf16>
  %h2 = mirage.matmul %x, %w2
      : (tensor<8x4096xf16>, tensor<4096x4096xf16>) -> tensor<8x4096xf16>
  %g = mirage.silu %h1 : tensor<8x4096xf16>
  %y = mirage.mul %g, %h2
      : (tensor<8x4096xf16>, tensor<8x4096xf16>) -> tensor<8x4096xf16>
  return %y : tensor<8x4096xf16>
}
