func.func @first(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = mirage.exp %x : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
func.func @second(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %y = mirage.relu %x : tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}
func.func private @declared(%x: tensor<8x4xf32>) -> tensor<8x4xf32>
