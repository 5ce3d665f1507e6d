// Within the size limits (2^40 bytes each), but 4 TiB as f32 values.
func.func @f(%x: tensor<1048576x524288xf16>) -> tensor<1048576x524288xf16> {
  %y = mirage.exp %x : tensor<1048576x524288xf16>
  return %y : tensor<1048576x524288xf16>
}
