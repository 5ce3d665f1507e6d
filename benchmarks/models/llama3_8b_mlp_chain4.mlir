// Four Llama-3-8B MLP sublayers in a row (llama3_8b_mlp.mlir's, each with
// its own weights) at decode: a 32-op kernel graph, larger than one search
// takes at once.
func.func @llama3_8b_mlp_chain4(%x: tensor<1x4096xf16>,
    %g0: tensor<4096xf16>,
    %wg0: tensor<4096x14336xf16>,
    %wu0: tensor<4096x14336xf16>,
    %wd0: tensor<14336x4096xf16>,
    %g1: tensor<4096xf16>,
    %wg1: tensor<4096x14336xf16>,
    %wu1: tensor<4096x14336xf16>,
    %wd1: tensor<14336x4096xf16>,
    %g2: tensor<4096xf16>,
    %wg2: tensor<4096x14336xf16>,
    %wu2: tensor<4096x14336xf16>,
    %wd2: tensor<14336x4096xf16>,
    %g3: tensor<4096xf16>,
    %wg3: tensor<4096x14336xf16>,
    %wu3: tensor<4096x14336xf16>,
    %wd3: tensor<14336x4096xf16>)
    -> tensor<1x4096xf16> {
  %r0 = mirage.rms_norm %x normalized_shape = [4096] eps = 1.000000e-05
      : tensor<1x4096xf16>
  %n0 = mirage.mul %r0, %g0
      : (tensor<1x4096xf16>, tensor<4096xf16>) -> tensor<1x4096xf16>
  %a0 = mirage.matmul %n0, %wg0
      : (tensor<1x4096xf16>, tensor<4096x14336xf16>) -> tensor<1x14336xf16>
  %b0 = mirage.matmul %n0, %wu0
      : (tensor<1x4096xf16>, tensor<4096x14336xf16>) -> tensor<1x14336xf16>
  %s0 = mirage.silu %a0 : tensor<1x14336xf16>
  %m0 = mirage.mul %s0, %b0
      : (tensor<1x14336xf16>, tensor<1x14336xf16>) -> tensor<1x14336xf16>
  %d0 = mirage.matmul %m0, %wd0
      : (tensor<1x14336xf16>, tensor<14336x4096xf16>) -> tensor<1x4096xf16>
  %h0 = mirage.add %x, %d0
      : (tensor<1x4096xf16>, tensor<1x4096xf16>) -> tensor<1x4096xf16>
  %r1 = mirage.rms_norm %h0 normalized_shape = [4096] eps = 1.000000e-05
      : tensor<1x4096xf16>
  %n1 = mirage.mul %r1, %g1
      : (tensor<1x4096xf16>, tensor<4096xf16>) -> tensor<1x4096xf16>
  %a1 = mirage.matmul %n1, %wg1
      : (tensor<1x4096xf16>, tensor<4096x14336xf16>) -> tensor<1x14336xf16>
  %b1 = mirage.matmul %n1, %wu1
      : (tensor<1x4096xf16>, tensor<4096x14336xf16>) -> tensor<1x14336xf16>
  %s1 = mirage.silu %a1 : tensor<1x14336xf16>
  %m1 = mirage.mul %s1, %b1
      : (tensor<1x14336xf16>, tensor<1x14336xf16>) -> tensor<1x14336xf16>
  %d1 = mirage.matmul %m1, %wd1
      : (tensor<1x14336xf16>, tensor<14336x4096xf16>) -> tensor<1x4096xf16>
  %h1 = mirage.add %h0, %d1
      : (tensor<1x4096xf16>, tensor<1x4096xf16>) -> tensor<1x4096xf16>
  %r2 = mirage.rms_norm %h1 normalized_shape = [4096] eps = 1.000000e-05
      : tensor<1x4096xf16>
  %n2 = mirage.mul %r2, %g2
      : (tensor<1x4096xf16>, tensor<4096xf16>) -> tensor<1x4096xf16>
  %a2 = mirage.matmul %n2, %wg2
      : (tensor<1x4096xf16>, tensor<4096x14336xf16>) -> tensor<1x14336xf16>
  %b2 = mirage.matmul %n2, %wu2
      : (tensor<1x4096xf16>, tensor<4096x14336xf16>) -> tensor<1x14336xf16>
  %s2 = mirage.silu %a2 : tensor<1x14336xf16>
  %m2 = mirage.mul %s2, %b2
      : (tensor<1x14336xf16>, tensor<1x14336xf16>) -> tensor<1x14336xf16>
  %d2 = mirage.matmul %m2, %wd2
      : (tensor<1x14336xf16>, tensor<14336x4096xf16>) -> tensor<1x4096xf16>
  %h2 = mirage.add %h1, %d2
      : (tensor<1x4096xf16>, tensor<1x4096xf16>) -> tensor<1x4096xf16>
  %r3 = mirage.rms_norm %h2 normalized_shape = [4096] eps = 1.000000e-05
      : tensor<1x4096xf16>
  %n3 = mirage.mul %r3, %g3
      : (tensor<1x4096xf16>, tensor<4096xf16>) -> tensor<1x4096xf16>
  %a3 = mirage.matmul %n3, %wg3
      : (tensor<1x4096xf16>, tensor<4096x14336xf16>) -> tensor<1x14336xf16>
  %b3 = mirage.matmul %n3, %wu3
      : (tensor<1x4096xf16>, tensor<4096x14336xf16>) -> tensor<1x14336xf16>
  %s3 = mirage.silu %a3 : tensor<1x14336xf16>
  %m3 = mirage.mul %s3, %b3
      : (tensor<1x14336xf16>, tensor<1x14336xf16>) -> tensor<1x14336xf16>
  %d3 = mirage.matmul %m3, %wd3
      : (tensor<1x14336xf16>, tensor<14336x4096xf16>) -> tensor<1x4096xf16>
  %h3 = mirage.add %h2, %d3
      : (tensor<1x4096xf16>, tensor<1x4096xf16>) -> tensor<1x4096xf16>
  return %h3 : tensor<1x4096xf16>
}
