// softmax as a composite op: the reference for reference.test.
func.func @attention(%s: tensor<4x8x32xf16>) -> tensor<4x8x32xf16> {
  %p = mirage.softmax %s dim = 2 : tensor<4x8x32xf16>
  return %p : tensor<4x8x32xf16>
}
