// A linear layer with a low-rank (r = 16) adapter (Mirage paper, LoRA):
// Y = X·W + (X·A)·B. Weights' test inputs follow nn.Linear's default init,
// U(-1/√fan_in, 1/√fan_in).
func.func @lora(%x: tensor<16x256xf16>,
                %w: tensor<256x4096xf16>
                    {mirage.input_range = [-6.250000e-02, 6.250000e-02]},
                %a: tensor<256x16xf16>
                    {mirage.input_range = [-6.250000e-02, 6.250000e-02]},
                %b: tensor<16x4096xf16>
                    {mirage.input_range = [-2.500000e-01, 2.500000e-01]})
    -> tensor<16x4096xf16> {
  %xw = mirage.matmul %x, %w
      : (tensor<16x256xf16>, tensor<256x4096xf16>) -> tensor<16x4096xf16>
  %xa = mirage.matmul %x, %a
      : (tensor<16x256xf16>, tensor<256x16xf16>) -> tensor<16x16xf16>
  %xab = mirage.matmul %xa, %b
      : (tensor<16x16xf16>, tensor<16x4096xf16>) -> tensor<16x4096xf16>
  %y = mirage.add %xw, %xab
      : (tensor<16x4096xf16>, tensor<16x4096xf16>) -> tensor<16x4096xf16>
  return %y : tensor<16x4096xf16>
}
