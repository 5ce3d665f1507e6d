// Group-query attention, decode-style with 256 query rows per head group
// (Mirage paper, GQA; batch 1): E = exp(Q·K), O = (E / Σ_dim2 E)·V.
func.func @gqa(%q: tensor<2x256x64xf16>, %k: tensor<2x64x4096xf16>,
               %v: tensor<2x4096x64xf16>) -> tensor<2x256x64xf16> {
  %s = mirage.matmul %q, %k
      : (tensor<2x256x64xf16>, tensor<2x64x4096xf16>) -> tensor<2x256x4096xf16>
  %e = mirage.exp %s : tensor<2x256x4096xf16>
  %z = mirage.reduce sum %e dim = 2
      : (tensor<2x256x4096xf16>) -> tensor<2x256x1xf16>
  %p = mirage.div %e, %z
      : (tensor<2x256x4096xf16>, tensor<2x256x1xf16>) -> tensor<2x256x4096xf16>
  %o = mirage.matmul %p, %v
      : (tensor<2x256x4096xf16>, tensor<2x4096x64xf16>) -> tensor<2x256x64xf16>
  return %o : tensor<2x256x64xf16>
}
