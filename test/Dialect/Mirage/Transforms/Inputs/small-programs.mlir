// Small versions of the benchmark programs, for superoptimizer tests that
// finish in about a second.

// RMSNorm + matmul: Y = rms_norm(X)·W.
func.func @rmsnorm_matmul(%x: tensor<4x256xf16>, %w: tensor<256x512xf16>)
    -> tensor<4x512xf16> {
  %n = mirage.rms_norm %x normalized_shape = [256] eps = 1.000000e-06
      : tensor<4x256xf16>
  %y = mirage.matmul %n, %w
      : (tensor<4x256xf16>, tensor<256x512xf16>) -> tensor<4x512xf16>
  return %y : tensor<4x512xf16>
}

// Gated MLP: silu(X·W1) ⊙ (X·W2).
func.func @gated_mlp(%x: tensor<8x256xf16>, %w1: tensor<256x256xf16>,
                     %w2: tensor<256x256xf16>) -> tensor<8x256xf16> {
  %a = mirage.matmul %x, %w1
      : (tensor<8x256xf16>, tensor<256x256xf16>) -> tensor<8x256xf16>
  %b = mirage.matmul %x, %w2
      : (tensor<8x256xf16>, tensor<256x256xf16>) -> tensor<8x256xf16>
  %s = mirage.silu %a : tensor<8x256xf16>
  %y = mirage.mul %s, %b
      : (tensor<8x256xf16>, tensor<8x256xf16>) -> tensor<8x256xf16>
  return %y : tensor<8x256xf16>
}

// LoRA: X·W + (X·A)·B.
func.func @lora(%x: tensor<16x256xf16>, %w: tensor<256x256xf16>,
                %a: tensor<256x16xf16>, %b: tensor<16x256xf16>)
    -> tensor<16x256xf16> {
  %xw = mirage.matmul %x, %w
      : (tensor<16x256xf16>, tensor<256x256xf16>) -> tensor<16x256xf16>
  %xa = mirage.matmul %x, %a
      : (tensor<16x256xf16>, tensor<256x16xf16>) -> tensor<16x16xf16>
  %xab = mirage.matmul %xa, %b
      : (tensor<16x16xf16>, tensor<16x256xf16>) -> tensor<16x256xf16>
  %y = mirage.add %xw, %xab
      : (tensor<16x256xf16>, tensor<16x256xf16>) -> tensor<16x256xf16>
  return %y : tensor<16x256xf16>
}

// Decode attention, 8 heads, 2048 keys: softmax(Q·K)·V.
func.func @attention(%q: tensor<8x1x64xf16>, %k: tensor<8x64x2048xf16>,
                     %v: tensor<8x2048x64xf16>) -> tensor<8x1x64xf16> {
  %s = mirage.matmul %q, %k
      : (tensor<8x1x64xf16>, tensor<8x64x2048xf16>) -> tensor<8x1x2048xf16>
  %p = mirage.softmax %s dim = 2 : tensor<8x1x2048xf16>
  %o = mirage.matmul %p, %v
      : (tensor<8x1x2048xf16>, tensor<8x2048x64xf16>) -> tensor<8x1x64xf16>
  return %o : tensor<8x1x64xf16>
}
