// Multi-query attention (Mirage paper, MQA; batch 1): 1024 query rows share
// one K and V; O = (E / Σ_dim2 E)·V with E = exp(Q·K).
func.func @mqa(%q: tensor<1x1024x64xf16>, %k: tensor<1x64x4096xf16>,
               %v: tensor<1x4096x64xf16>) -> tensor<1x1024x64xf16> {
  %s = mirage.matmul %q, %k
      : (tensor<1x1024x64xf16>, tensor<1x64x4096xf16>) -> tensor<1x1024x4096xf16>
  %e = mirage.exp %s : tensor<1x1024x4096xf16>
  %z = mirage.reduce sum %e dim = 2
      : (tensor<1x1024x4096xf16>) -> tensor<1x1024x1xf16>
  %p = mirage.div %e, %z
      : (tensor<1x1024x4096xf16>, tensor<1x1024x1xf16>) -> tensor<1x1024x4096xf16>
  %o = mirage.matmul %p, %v
      : (tensor<1x1024x4096xf16>, tensor<1x4096x64xf16>) -> tensor<1x1024x64xf16>
  return %o : tensor<1x1024x64xf16>
}
