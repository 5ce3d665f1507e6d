// A 16 KiB output.
func.func @f(%x: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %y = mirage.exp %x : tensor<64x64xf32>
  return %y : tensor<64x64xf32>
}
