// Decode attention, the example in ARCHITECTURE.md and the Python API's seed
// example: 64 heads, one query each, 4096 cached keys; O = softmax(Q·K)·V.
// softmax is composite: run mirage-decompose before the superoptimizer.
func.func @seed_attention(%q: tensor<64x1x128xf16>, %k: tensor<64x128x4096xf16>,
                          %v: tensor<64x4096x128xf16>) -> tensor<64x1x128xf16> {
  %s = mirage.matmul %q, %k
      : (tensor<64x1x128xf16>, tensor<64x128x4096xf16>) -> tensor<64x1x4096xf16>
  %p = mirage.softmax %s dim = 2 : tensor<64x1x4096xf16>
  %o = mirage.matmul %p, %v
      : (tensor<64x1x4096xf16>, tensor<64x4096x128xf16>) -> tensor<64x1x128xf16>
  return %o : tensor<64x1x128xf16>
}
