// A near miss: the sum runs over dim 1 instead of dim 2.
func.func @attention(%s: tensor<4x8x32xf16>) -> tensor<4x8x32xf16> {
  %e = mirage.exp %s : tensor<4x8x32xf16>
  %z = mirage.reduce sum %e dim = 1 : (tensor<4x8x32xf16>) -> tensor<4x1x32xf16>
  %p = mirage.div %e, %z : (tensor<4x8x32xf16>, tensor<4x1x32xf16>) -> tensor<4x8x32xf16>
  return %p : tensor<4x8x32xf16>
}
