// RMSNorm followed by a linear layer (Mirage paper, RMSNorm+Linear; batch 1):
// Y = rms_norm(X)·W. W's test inputs follow nn.Linear's default init,
// U(-1/√4096, 1/√4096).
func.func @rmsnorm(%x: tensor<2x4096xf16>,
                   %w: tensor<4096x6144xf16>
                       {mirage.input_range = [-1.562500e-02, 1.562500e-02]})
    -> tensor<2x6144xf16> {
  %n = mirage.rms_norm %x normalized_shape = [4096] : tensor<2x4096xf16>
  %y = mirage.matmul %n, %w
      : (tensor<2x4096xf16>, tensor<4096x6144xf16>) -> tensor<2x6144xf16>
  return %y : tensor<2x6144xf16>
}
