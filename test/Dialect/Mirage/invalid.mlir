// RUN: mirage-opt %s --split-input-file --verify-diagnostics

// One case per verifier error of the kernel-level ops.

func.func @element_type(%x: tensor<4x8xi32>) -> tensor<4x8xi32> {
  // expected-error @+1 {{'mirage.exp' op operand #0 must be statically shaped tensor or tile of f16, bf16 or f32 with positive dimensions, but got 'tensor<4x8xi32>'}}
  %0 = mirage.exp %x : tensor<4x8xi32>
  return %0 : tensor<4x8xi32>
}

// -----

func.func @dynamic_shape(%x: tensor<?x8xf16>) -> tensor<?x8xf16> {
  // expected-error @+1 {{'mirage.relu' op operand #0 must be statically shaped tensor or tile of f16, bf16 or f32 with positive dimensions, but got 'tensor<?x8xf16>'}}
  %0 = mirage.relu %x : tensor<?x8xf16>
  return %0 : tensor<?x8xf16>
}

// -----

func.func @zero_dim(%x: tensor<0x8xf16>) -> tensor<0x8xf16> {
  // expected-error @+1 {{'mirage.relu' op operand #0 must be statically shaped tensor or tile of f16, bf16 or f32 with positive dimensions, but got 'tensor<0x8xf16>'}}
  %0 = mirage.relu %x : tensor<0x8xf16>
  return %0 : tensor<0x8xf16>
}

// -----

func.func @matmul_rank(%a: tensor<64xf16>, %b: tensor<64x8xf16>) -> tensor<8xf16> {
  // expected-error @+1 {{'mirage.matmul' op operands must have rank >= 2, got 1 and 2}}
  %0 = mirage.matmul %a, %b : (tensor<64xf16>, tensor<64x8xf16>) -> tensor<8xf16>
  return %0 : tensor<8xf16>
}

// -----

func.func @matmul_rank_mismatch(%a: tensor<2x4x64xf16>, %b: tensor<64x8xf16>) -> tensor<2x4x8xf16> {
  // expected-error @+1 {{'mirage.matmul' op operands must have the same rank, got 3 (2x4x64) and 2 (64x8)}}
  %0 = mirage.matmul %a, %b : (tensor<2x4x64xf16>, tensor<64x8xf16>) -> tensor<2x4x8xf16>
  return %0 : tensor<2x4x8xf16>
}

// -----

func.func @matmul_contraction(%a: tensor<2x256x64xf16>, %b: tensor<2x32x4096xf16>) -> tensor<2x256x4096xf16> {
  // expected-error @+1 {{'mirage.matmul' op contraction dims differ: lhs is 256x64 (m x k) but rhs is 32x4096 (k x n)}}
  %0 = mirage.matmul %a, %b : (tensor<2x256x64xf16>, tensor<2x32x4096xf16>) -> tensor<2x256x4096xf16>
  return %0 : tensor<2x256x4096xf16>
}

// -----

func.func @matmul_batch(%a: tensor<2x4x8xf16>, %b: tensor<3x8x4xf16>) -> tensor<3x4x4xf16> {
  // expected-error @+1 {{'mirage.matmul' op batch dims 2 and 3 do not broadcast}}
  %0 = mirage.matmul %a, %b : (tensor<2x4x8xf16>, tensor<3x8x4xf16>) -> tensor<3x4x4xf16>
  return %0 : tensor<3x4x4xf16>
}

// -----

func.func @matmul_result(%a: tensor<4x8xf16>, %b: tensor<8x2xf16>) -> tensor<4x8xf16> {
  // expected-error @+1 {{'mirage.matmul' op result type 'tensor<4x8xf16>' does not match the inferred type 'tensor<4x2xf16>'}}
  %0 = mirage.matmul %a, %b : (tensor<4x8xf16>, tensor<8x2xf16>) -> tensor<4x8xf16>
  return %0 : tensor<4x8xf16>
}

// -----

func.func @matmul_element_types(%a: tensor<4x8xf16>, %b: tensor<8x2xf32>) -> tensor<4x2xf16> {
  // expected-error @+1 {{'mirage.matmul' op failed to verify that all of {lhs, rhs, result} have same element type}}
  %0 = mirage.matmul %a, %b : (tensor<4x8xf16>, tensor<8x2xf32>) -> tensor<4x2xf16>
  return %0 : tensor<4x2xf16>
}

// -----

func.func @unary_result_type(%x: tensor<4x8xf16>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'mirage.sqrt' op requires the same type for all operands and results}}
  %0 = "mirage.sqrt"(%x) : (tensor<4x8xf16>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @mul_scalar_inf(%x: tensor<4xf16>) -> tensor<4xf16> {
  // expected-error @+1 {{'mirage.mul_scalar' op scalar must be finite}}
  %0 = mirage.mul_scalar %x, 0x7F800000 : tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @clamp_bounds(%x: tensor<4xf16>) -> tensor<4xf16> {
  // expected-error @+1 {{'mirage.clamp' op min (2.000000e+00) must not exceed max (1.000000e+00)}}
  %0 = mirage.clamp %x min = 2.0 max = 1.0 : tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @clamp_nan(%x: tensor<4xf16>) -> tensor<4xf16> {
  // expected-error @+1 {{'mirage.clamp' op bounds must not be NaN}}
  %0 = mirage.clamp %x min = 0x7FC00000 max = 1.0 : tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @broadcast(%a: tensor<2x3xf16>, %b: tensor<4x3xf16>) -> tensor<4x3xf16> {
  // expected-error @+1 {{'mirage.add' op operand shapes 2x3 and 4x3 do not broadcast}}
  %0 = mirage.add %a, %b : (tensor<2x3xf16>, tensor<4x3xf16>) -> tensor<4x3xf16>
  return %0 : tensor<4x3xf16>
}

// -----

func.func @broadcast_result(%a: tensor<2x1xf16>, %b: tensor<1x3xf16>) -> tensor<2x1xf16> {
  // expected-error @+1 {{'mirage.mul' op result type 'tensor<2x1xf16>' does not match the inferred type 'tensor<2x3xf16>'}}
  %0 = mirage.mul %a, %b : (tensor<2x1xf16>, tensor<1x3xf16>) -> tensor<2x1xf16>
  return %0 : tensor<2x1xf16>
}

// -----

func.func @binary_element_types(%a: tensor<2x3xf16>, %b: tensor<2x3xbf16>) -> tensor<2x3xf16> {
  // expected-error @+1 {{'mirage.div' op failed to verify that all of {lhs, rhs, result} have same element type}}
  %0 = mirage.div %a, %b : (tensor<2x3xf16>, tensor<2x3xbf16>) -> tensor<2x3xf16>
  return %0 : tensor<2x3xf16>
}

// -----

func.func @reduce_dim(%x: tensor<2x3xf16>) -> tensor<2x3xf16> {
  // expected-error @+1 {{'mirage.reduce' op dim 2 is out of range for rank 2}}
  %0 = mirage.reduce sum %x dim = 2 : (tensor<2x3xf16>) -> tensor<2x3xf16>
  return %0 : tensor<2x3xf16>
}

// -----

func.func @reduce_size(%x: tensor<2x6xf16>) -> tensor<2x4xf16> {
  // expected-error @+1 {{'mirage.reduce' op size 4 does not divide dim 1 of extent 6}}
  %0 = mirage.reduce sum %x dim = 1 size = 4 : (tensor<2x6xf16>) -> tensor<2x4xf16>
  return %0 : tensor<2x4xf16>
}

// -----

func.func @reduce_size_zero(%x: tensor<2x6xf16>) -> tensor<2x6xf16> {
  // expected-error @+1 {{'mirage.reduce' op attribute 'size' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = mirage.reduce sum %x dim = 1 size = 0 : (tensor<2x6xf16>) -> tensor<2x6xf16>
  return %0 : tensor<2x6xf16>
}

// -----

func.func @reduce_result(%x: tensor<2x6xf16>) -> tensor<2x6xf16> {
  // expected-error @+1 {{'mirage.reduce' op result type 'tensor<2x6xf16>' does not match the inferred type 'tensor<2x1xf16>'}}
  %0 = mirage.reduce max %x dim = 1 : (tensor<2x6xf16>) -> tensor<2x6xf16>
  return %0 : tensor<2x6xf16>
}

// -----

func.func @reduce_kind(%x: tensor<2x6xf16>) -> tensor<2x1xf16> {
  // expected-error @+1 {{expected reduction kind 'sum' or 'max', got 'mean'}}
  %0 = mirage.reduce mean %x dim = 1 : (tensor<2x6xf16>) -> tensor<2x1xf16>
  return %0 : tensor<2x1xf16>
}

// -----

func.func @reduce_element_type(%x: tensor<2x6xf16>) -> tensor<2x1xf32> {
  // expected-error @+1 {{'mirage.reduce' op requires the same element type for all operands and results}}
  %0 = mirage.reduce sum %x dim = 1 : (tensor<2x6xf16>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

func.func @rms_norm_shape(%x: tensor<2x4096xf16>) -> tensor<2x4096xf16> {
  // expected-error @+1 {{'mirage.rms_norm' op normalized_shape [2048] must equal the trailing dims of the operand (2x4096)}}
  %0 = mirage.rms_norm %x normalized_shape = [2048] : tensor<2x4096xf16>
  return %0 : tensor<2x4096xf16>
}

// -----

func.func @rms_norm_empty(%x: tensor<2x4096xf16>) -> tensor<2x4096xf16> {
  // expected-error @+1 {{'mirage.rms_norm' op normalized_shape must not be empty}}
  %0 = mirage.rms_norm %x normalized_shape = [] : tensor<2x4096xf16>
  return %0 : tensor<2x4096xf16>
}

// -----

func.func @rms_norm_eps(%x: tensor<2x4096xf16>) -> tensor<2x4096xf16> {
  // expected-error @+1 {{'mirage.rms_norm' op eps must be finite and non-negative, got -1}}
  %0 = mirage.rms_norm %x normalized_shape = [4096] eps = -1.0 : tensor<2x4096xf16>
  return %0 : tensor<2x4096xf16>
}

// -----

func.func @concat_arity(%a: tensor<2x3xf16>) -> tensor<2x3xf16> {
  // expected-error @+1 {{'mirage.concat' op expects at least two operands, got 1}}
  %0 = mirage.concat %a dim = 0 : (tensor<2x3xf16>) -> tensor<2x3xf16>
  return %0 : tensor<2x3xf16>
}

// -----

func.func @concat_dim(%a: tensor<2x3xf16>, %b: tensor<2x3xf16>) -> tensor<2x6xf16> {
  // expected-error @+1 {{'mirage.concat' op dim 2 is out of range for rank 2}}
  %0 = mirage.concat %a, %b dim = 2 : (tensor<2x3xf16>, tensor<2x3xf16>) -> tensor<2x6xf16>
  return %0 : tensor<2x6xf16>
}

// -----

func.func @concat_shapes(%a: tensor<2x3xf16>, %b: tensor<4x3xf16>) -> tensor<2x6xf16> {
  // expected-error @+1 {{'mirage.concat' op operand 1 has shape 4x3, which does not match operand 0 (2x3) outside dim 1}}
  %0 = mirage.concat %a, %b dim = 1 : (tensor<2x3xf16>, tensor<4x3xf16>) -> tensor<2x6xf16>
  return %0 : tensor<2x6xf16>
}

// -----

func.func @concat_element_types(%a: tensor<2x3xf16>, %b: tensor<2x3xf32>) -> tensor<2x6xf16> {
  // expected-error @+1 {{'mirage.concat' op requires the same element type for all operands and results}}
  %0 = mirage.concat %a, %b dim = 1 : (tensor<2x3xf16>, tensor<2x3xf32>) -> tensor<2x6xf16>
  return %0 : tensor<2x6xf16>
}

// -----

func.func @concat_result(%a: tensor<2x3xf16>, %b: tensor<2x3xf16>) -> tensor<4x3xf16> {
  // expected-error @+1 {{'mirage.concat' op result type 'tensor<4x3xf16>' does not match the inferred type 'tensor<2x6xf16>'}}
  %0 = mirage.concat %a, %b dim = 1 : (tensor<2x3xf16>, tensor<2x3xf16>) -> tensor<4x3xf16>
  return %0 : tensor<4x3xf16>
}

// -----

func.func @softmax_dim(%x: tensor<2x3xf16>) -> tensor<2x3xf16> {
  // expected-error @+1 {{'mirage.softmax' op dim 2 is out of range for rank 2}}
  %0 = mirage.softmax %x dim = 2 : tensor<2x3xf16>
  return %0 : tensor<2x3xf16>
}

// -----

// expected-error @+1 {{mirage.input_range of argument 0 must be [lo, hi] with two float values}}
func.func @input_range_arity(%x: tensor<4xf16> {mirage.input_range = [1.0]}) -> tensor<4xf16> {
  return %x : tensor<4xf16>
}

// -----

// expected-error @+1 {{mirage.input_range of argument 0 must satisfy lo < hi with finite bounds}}
func.func @input_range_order(%x: tensor<4xf16> {mirage.input_range = [1.0, -1.0]}) -> tensor<4xf16> {
  return %x : tensor<4xf16>
}

// -----

// expected-error @+1 {{unknown mirage argument attribute 'mirage.range'}}
func.func @input_range_name(%x: tensor<4xf16> {mirage.range = [0.0, 1.0]}) -> tensor<4xf16> {
  return %x : tensor<4xf16>
}

// -----

// Size limits (ShapeLimits.h): a dim past 2^31 - 1 (here 2^62 + 1, whose
// element count 2^64 + 4 would wrap around to 4).
func.func @dim_too_large(%x: tensor<4611686018427387905x4xf16>) -> tensor<4611686018427387905x4xf16> {
  // expected-error @+1 {{'mirage.exp' op operand #0 (tensor<4611686018427387905x4xf16>) is too large: dim 0 has extent 4611686018427387905, more than 2147483647 (2^31 - 1)}}
  %0 = mirage.exp %x : tensor<4611686018427387905x4xf16>
  return %0 : tensor<4611686018427387905x4xf16>
}

// -----

// 2^66 elements, each dim 2^33.
func.func @count_2_66(%a: tensor<8589934592x8589934592xf16>) -> tensor<8589934592x1xf16> {
  // expected-error @+1 {{'mirage.reduce' op operand #0 (tensor<8589934592x8589934592xf16>) is too large: dim 0 has extent 8589934592, more than 2147483647 (2^31 - 1)}}
  %0 = mirage.reduce sum %a dim = 1 : (tensor<8589934592x8589934592xf16>) -> tensor<8589934592x1xf16>
  return %0 : tensor<8589934592x1xf16>
}

// -----

func.func @dim_2_40(%a: tensor<1099511627776x4xf32>, %b: tensor<4x4xf32>) -> tensor<1099511627776x4xf32> {
  // expected-error @+1 {{'mirage.matmul' op operand #0 (tensor<1099511627776x4xf32>) is too large: dim 0 has extent 1099511627776, more than 2147483647 (2^31 - 1)}}
  %0 = mirage.matmul %a, %b : (tensor<1099511627776x4xf32>, tensor<4x4xf32>) -> tensor<1099511627776x4xf32>
  return %0 : tensor<1099511627776x4xf32>
}

// -----

// Every dim within the bound, but the element count overflows int64.
func.func @count_overflow(%x: tensor<2147483647x2147483647x2147483647xf16>) -> tensor<2147483647x2147483647x2147483647xf16> {
  // expected-error @+1 {{'mirage.relu' op operand #0 (tensor<2147483647x2147483647x2147483647xf16>) is too large: its size overflows 64-bit integers; a tensor takes at most 1099511627776 bytes (2^40)}}
  %0 = mirage.relu %x : tensor<2147483647x2147483647x2147483647xf16>
  return %0 : tensor<2147483647x2147483647x2147483647xf16>
}

// -----

// Representable, but 2^41 bytes.
func.func @bytes_too_large(%x: tensor<1048576x1048576xf16>) -> tensor<1048576x1048576xf16> {
  // expected-error @+1 {{'mirage.sqrt' op operand #0 (tensor<1048576x1048576xf16>) is too large: it takes 2199023255552 bytes, more than 1099511627776 (2^40)}}
  %0 = mirage.sqrt %x : tensor<1048576x1048576xf16>
  return %0 : tensor<1048576x1048576xf16>
}

// -----

// Operands within the bound, a result past it: 2^20 x 2^20 f32 is 2^42 bytes.
func.func @result_too_large(%a: tensor<1048576x1xf32>, %b: tensor<1x1048576xf32>) -> tensor<1048576x1048576xf32> {
  // expected-error @+1 {{'mirage.matmul' op result #0 (tensor<1048576x1048576xf32>) is too large: it takes 4398046511104 bytes, more than 1099511627776 (2^40)}}
  %0 = mirage.matmul %a, %b : (tensor<1048576x1xf32>, tensor<1x1048576xf32>) -> tensor<1048576x1048576xf32>
  return %0 : tensor<1048576x1048576xf32>
}
