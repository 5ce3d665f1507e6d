// The attention core of a Llama-3-8B decoder layer at decode (batch 1, KV
// length 8192), grouped-query: 32 query heads share 8 KV heads, 4 each, so
// the queries are written head-major as (KV head, group, head dim) since the
// dialect has no reshape. O = softmax(Q·K / sqrt(128))·V per KV head.
func.func @llama3_8b_attention(%q: tensor<8x4x128xf16>,
                               %k: tensor<8x128x8192xf16>,
                               %v: tensor<8x8192x128xf16>)
    -> tensor<8x4x128xf16> {
  %s = mirage.matmul %q, %k
      : (tensor<8x4x128xf16>, tensor<8x128x8192xf16>) -> tensor<8x4x8192xf16>
  %t = mirage.mul_scalar %s, 0.0883883461 : tensor<8x4x8192xf16>
  %p = mirage.softmax %t dim = 2 : tensor<8x4x8192xf16>
  %o = mirage.matmul %p, %v
      : (tensor<8x4x8192xf16>, tensor<8x8192x128xf16>) -> tensor<8x4x128xf16>
  return %o : tensor<8x4x128xf16>
}
