// RMSNorm + matmul with a 4096 x 16384 weight: one finite-field test holds
// 1 GiB of weights in Z_p x Z_q (16 bytes a value).
func.func @rmsnorm_wide(%x: tensor<8x4096xf16>, %w: tensor<4096x16384xf16>)
    -> tensor<8x16384xf16> {
  %n = mirage.rms_norm %x normalized_shape = [4096] : tensor<8x4096xf16>
  %y = mirage.matmul %n, %w
      : (tensor<8x4096xf16>, tensor<4096x16384xf16>) -> tensor<8x16384xf16>
  return %y : tensor<8x16384xf16>
}
