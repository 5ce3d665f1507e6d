// 2 GiB an f32 tensor: 4 GiB in all, more than `ulimit -v 2000000` allows.
func.func @f(%x: tensor<32768x16384xf32>) -> tensor<32768x16384xf32> {
  %y = mirage.exp %x : tensor<32768x16384xf32>
  return %y : tensor<32768x16384xf32>
}
