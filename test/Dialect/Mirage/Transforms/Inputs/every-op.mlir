// Every kernel-level op, on shapes that exercise broadcasting, batch
// broadcasting, reductions on leading dims and to a size, and long rows.
func.func @every_op(%a: tensor<2x16x96xf16>, %b: tensor<1x96x48xf16>,
                    %c: tensor<16x1xf16>, %d: tensor<48xf16>,
                    %e: tensor<2x16x2048xf16> {mirage.input_range = [0.0, 1.0]})
    -> (tensor<2x16x48xf16>, tensor<1x16x48xf16>, tensor<2x4x48xf16>,
        tensor<2x16x2048xf16>, tensor<2x16x1xf16>, tensor<2x16x144xf16>) {
  %mm = mirage.matmul %a, %b : (tensor<2x16x96xf16>, tensor<1x96x48xf16>) -> tensor<2x16x48xf16>
  %ad = mirage.add %mm, %c : (tensor<2x16x48xf16>, tensor<16x1xf16>) -> tensor<2x16x48xf16>
  %sb = mirage.sub %ad, %d : (tensor<2x16x48xf16>, tensor<48xf16>) -> tensor<2x16x48xf16>
  %sq = mirage.square %sb : tensor<2x16x48xf16>
  %sr = mirage.sqrt %sq : tensor<2x16x48xf16>
  %ex = mirage.exp %sb : tensor<2x16x48xf16>
  %rs = mirage.rsqrt %ex : tensor<2x16x48xf16>
  %si = mirage.silu %rs : tensor<2x16x48xf16>
  %ge = mirage.gelu %si : tensor<2x16x48xf16>
  %re = mirage.relu %sb : tensor<2x16x48xf16>
  %sg = mirage.sigmoid %re : tensor<2x16x48xf16>
  %ms = mirage.mul_scalar %sg, 0.5 : tensor<2x16x48xf16>
  %cl = mirage.clamp %ge min = -0.25 max = 0.75 : tensor<2x16x48xf16>
  %mu = mirage.mul %cl, %ms : (tensor<2x16x48xf16>, tensor<2x16x48xf16>) -> tensor<2x16x48xf16>
  %dv = mirage.div %mu, %ex : (tensor<2x16x48xf16>, tensor<2x16x48xf16>) -> tensor<2x16x48xf16>
  %pw = mirage.pow %sg, %sr : (tensor<2x16x48xf16>, tensor<2x16x48xf16>) -> tensor<2x16x48xf16>
  %out0 = mirage.add %dv, %pw : (tensor<2x16x48xf16>, tensor<2x16x48xf16>) -> tensor<2x16x48xf16>
  %r0 = mirage.reduce sum %out0 dim = 0 : (tensor<2x16x48xf16>) -> tensor<1x16x48xf16>
  %r1 = mirage.reduce max %out0 dim = 1 size = 4 : (tensor<2x16x48xf16>) -> tensor<2x4x48xf16>
  %sm = mirage.softmax %e dim = 2 : tensor<2x16x2048xf16>
  %nm = mirage.rms_norm %sm normalized_shape = [16, 2048] eps = 1.0e-05 : tensor<2x16x2048xf16>
  %rl = mirage.reduce sum %e dim = 2 : (tensor<2x16x2048xf16>) -> tensor<2x16x1xf16>
  %ct = mirage.concat %out0, %a dim = 2 : (tensor<2x16x48xf16>, tensor<2x16x96xf16>) -> tensor<2x16x144xf16>
  return %out0, %r0, %r1, %nm, %rl, %ct : tensor<2x16x48xf16>, tensor<1x16x48xf16>, tensor<2x4x48xf16>, tensor<2x16x2048xf16>, tensor<2x16x1xf16>, tensor<2x16x144xf16>
}
