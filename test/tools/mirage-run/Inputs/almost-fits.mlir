// 1 GiB an f32 tensor; at most three alive at once: 3 GiB.
func.func @f(%x: tensor<16384x16384xf32>) -> tensor<16384x16384xf32> {
  %y = mirage.exp %x : tensor<16384x16384xf32>
  %z = mirage.exp %y : tensor<16384x16384xf32>
  return %z : tensor<16384x16384xf32>
}
