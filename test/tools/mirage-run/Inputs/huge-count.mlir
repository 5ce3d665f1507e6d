// 2^66 elements, which wrap to 0.
func.func @f(%x: tensor<8589934592x8589934592xf16>) -> tensor<8589934592x1xf16> {
  %y = mirage.reduce sum %x dim = 1 : (tensor<8589934592x8589934592xf16>) -> tensor<8589934592x1xf16>
  return %y : tensor<8589934592x1xf16>
}
