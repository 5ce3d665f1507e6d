func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = mirage.exp %x : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
