// Operands within the bounds, a 2^42-byte result.
func.func @f(%a: tensor<1048576x1xf32>, %b: tensor<1x1048576xf32>) -> tensor<1048576x1048576xf32> {
  %c = mirage.matmul %a, %b : (tensor<1048576x1xf32>, tensor<1x1048576xf32>) -> tensor<1048576x1048576xf32>
  return %c : tensor<1048576x1048576xf32>
}
