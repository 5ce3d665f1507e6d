// The MLP sublayer of a Llama-3-8B decoder layer at decode (batch 1):
// h = x + W_down·(silu(W_gate·n) ⊙ W_up·n), n = rms_norm(x, eps = 1e-5) ⊙ g.
// Hidden size 4096, intermediate size 14336, fp16 (Meta's Llama 3 config).
func.func @llama3_8b_mlp(%x: tensor<1x4096xf16>, %g: tensor<4096xf16>,
                         %w_gate: tensor<4096x14336xf16>,
                         %w_up: tensor<4096x14336xf16>,
                         %w_down: tensor<14336x4096xf16>) -> tensor<1x4096xf16> {
  %r = mirage.rms_norm %x normalized_shape = [4096] eps = 1.000000e-05
      : tensor<1x4096xf16>
  %n = mirage.mul %r, %g
      : (tensor<1x4096xf16>, tensor<4096xf16>) -> tensor<1x4096xf16>
  %a = mirage.matmul %n, %w_gate
      : (tensor<1x4096xf16>, tensor<4096x14336xf16>) -> tensor<1x14336xf16>
  %b = mirage.matmul %n, %w_up
      : (tensor<1x4096xf16>, tensor<4096x14336xf16>) -> tensor<1x14336xf16>
  %s = mirage.silu %a : tensor<1x14336xf16>
  %m = mirage.mul %s, %b
      : (tensor<1x14336xf16>, tensor<1x14336xf16>) -> tensor<1x14336xf16>
  %d = mirage.matmul %m, %w_down
      : (tensor<1x14336xf16>, tensor<14336x4096xf16>) -> tensor<1x4096xf16>
  %h = mirage.add %x, %d
      : (tensor<1x4096xf16>, tensor<1x4096xf16>) -> tensor<1x4096xf16>
  return %h : tensor<1x4096xf16>
}
