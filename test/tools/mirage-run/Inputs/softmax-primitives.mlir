// softmax from primitives, as mirage-decompose writes it.
func.func @attention(%s: tensor<4x8x32xf16>) -> tensor<4x8x32xf16> {
  %e = mirage.exp %s : tensor<4x8x32xf16>
  %z = mirage.reduce sum %e dim = 2 : (tensor<4x8x32xf16>) -> tensor<4x8x1xf16>
  %p = mirage.div %e, %z : (tensor<4x8x32xf16>, tensor<4x8x1xf16>) -> tensor<4x8x32xf16>
  return %p : tensor<4x8x32xf16>
}
