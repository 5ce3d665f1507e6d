// Programs whose values are used in two roles, or whose distinct dims have
// equal extents: the superoptimizer must keep distinct dims distinct.

// A residual around a square weight (every transformer sublayer).
func.func @residual(%x: tensor<8x256xf16>, %w: tensor<256x256xf16>)
    -> tensor<8x256xf16> {
  %y = mirage.matmul %x, %w
      : (tensor<8x256xf16>, tensor<256x256xf16>) -> tensor<8x256xf16>
  %o = mirage.add %x, %y
      : (tensor<8x256xf16>, tensor<8x256xf16>) -> tensor<8x256xf16>
  return %o : tensor<8x256xf16>
}

// The pre-norm sublayer: x + rms_norm(x)·W.
func.func @prenorm_residual(%x: tensor<8x256xf16>, %w: tensor<256x256xf16>)
    -> tensor<8x256xf16> {
  %n = mirage.rms_norm %x normalized_shape = [256] : tensor<8x256xf16>
  %y = mirage.matmul %n, %w
      : (tensor<8x256xf16>, tensor<256x256xf16>) -> tensor<8x256xf16>
  %o = mirage.add %x, %y
      : (tensor<8x256xf16>, tensor<8x256xf16>) -> tensor<8x256xf16>
  return %o : tensor<8x256xf16>
}

// A self product.
func.func @self_product(%x: tensor<128x128xf16>) -> tensor<128x128xf16> {
  %y = mirage.matmul %x, %x
      : (tensor<128x128xf16>, tensor<128x128xf16>) -> tensor<128x128xf16>
  %e = mirage.exp %y : tensor<128x128xf16>
  return %e : tensor<128x128xf16>
}

// Attention whose sequence length equals its head dim.
func.func @square_attention(%q: tensor<4x64x64xf16>, %k: tensor<4x64x64xf16>,
                            %v: tensor<4x64x64xf16>) -> tensor<4x64x64xf16> {
  %s = mirage.matmul %q, %k
      : (tensor<4x64x64xf16>, tensor<4x64x64xf16>) -> tensor<4x64x64xf16>
  %p = mirage.softmax %s dim = 2 : tensor<4x64x64xf16>
  %o = mirage.matmul %p, %v
      : (tensor<4x64x64xf16>, tensor<4x64x64xf16>) -> tensor<4x64x64xf16>
  return %o : tensor<4x64x64xf16>
}
