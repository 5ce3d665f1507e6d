// Bad input to mirage-superoptimize is a diagnostic naming the problem.

// RUN: mirage-opt %s --mirage-superoptimize="cache-dir=none" -split-input-file -verify-diagnostics

func.func @composite(%x: tensor<4x64xf16>) -> tensor<4x64xf16> {
  // expected-error @+1 {{the superoptimizer does not support 'mirage.softmax': it is a composite op; run mirage-decompose first}}
  %y = mirage.softmax %x dim = 1 : tensor<4x64xf16>
  return %y : tensor<4x64xf16>
}

// -----

func.func @reduce_max(%x: tensor<4x64xf16>) -> tensor<4x1xf16> {
  // expected-error @+1 {{the superoptimizer does not support 'mirage.reduce': max is outside the LAX fragment (multilinear ops, division, exp) that the verifier decides}}
  %y = mirage.reduce max %x dim = 1 : (tensor<4x64xf16>) -> tensor<4x1xf16>
  return %y : tensor<4x1xf16>
}

// -----

func.func @concat(%a: tensor<4x64xf16>, %b: tensor<4x64xf16>) -> tensor<4x128xf16> {
  // expected-error @+1 {{the superoptimizer does not support 'mirage.concat': concatenation has no abstract expression in the search's term language}}
  %y = mirage.concat %a, %b dim = 1 : (tensor<4x64xf16>, tensor<4x64xf16>) -> tensor<4x128xf16>
  return %y : tensor<4x128xf16>
}

// -----

// A single matmul is already its best μGraph: the input stays.
// expected-remark @+1 {{mirage-superoptimize: @single: no μGraph beats the input (1 kernel(s)}}
func.func @single(%a: tensor<64x64xf16>, %b: tensor<64x64xf16>) -> tensor<64x64xf16> {
  %y = mirage.matmul %a, %b : (tensor<64x64xf16>, tensor<64x64xf16>) -> tensor<64x64xf16>
  return %y : tensor<64x64xf16>
}

// -----

// Functions without mirage ops are left alone.
func.func @other(%a: f32) -> f32 {
  return %a : f32
}
