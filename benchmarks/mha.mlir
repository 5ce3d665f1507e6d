// Multi-head attention, decode-style (Mirage paper, MHA; batch 1): 32 heads
// with 16 query rows each; O = (E / Σ_dim2 E)·V with E = exp(Q·K).
func.func @mha(%q: tensor<32x16x64xf16>, %k: tensor<32x64x4096xf16>,
               %v: tensor<32x4096x64xf16>) -> tensor<32x16x64xf16> {
  %s = mirage.matmul %q, %k
      : (tensor<32x16x64xf16>, tensor<32x64x4096xf16>) -> tensor<32x16x4096xf16>
  %e = mirage.exp %s : tensor<32x16x4096xf16>
  %z = mirage.reduce sum %e dim = 2
      : (tensor<32x16x4096xf16>) -> tensor<32x16x1xf16>
  %p = mirage.div %e, %z
      : (tensor<32x16x4096xf16>, tensor<32x16x1xf16>) -> tensor<32x16x4096xf16>
  %o = mirage.matmul %p, %v
      : (tensor<32x16x4096xf16>, tensor<32x4096x64xf16>) -> tensor<32x16x64xf16>
  return %o : tensor<32x16x64xf16>
}
