// RUN: mirage-run %s --seed=3 | FileCheck %s

// Σ rms_norm(x)² over the normalised dim is 64 for any x, so the checksum of
// the first output is known: 4 rows of 64. The second output is the input
// drawn from the argument's mirage.input_range.

// CHECK: @norm_squares in {{.*}}summary.mlir: evaluated in {{[0-9.]+}} s on random inputs (seed 3)
// CHECK-NEXT: input 0: tensor<4x64xf16>  uniform in [-0.5, 0.5)
// CHECK-NEXT: input 1: tensor<64xf16>  uniform in [1, 2)
// CHECK-NEXT: output 0: tensor<4x1xf16>  checksum 2.560000e+02  max|x| 6.400e+01
// CHECK-NEXT: output 1: tensor<64xf16>  checksum 9.{{[0-9]+}}e+01  max|x| 1.{{[0-9]+}}e+00
// CHECK-NOT: WARNING
func.func @norm_squares(%x: tensor<4x64xf16>,
                        %y: tensor<64xf16> {mirage.input_range = [1.0, 2.0]})
    -> (tensor<4x1xf16>, tensor<64xf16>) {
  %n = mirage.rms_norm %x normalized_shape = [64] : tensor<4x64xf16>
  %s = mirage.square %n : tensor<4x64xf16>
  %r = mirage.reduce sum %s dim = 1 : (tensor<4x64xf16>) -> tensor<4x1xf16>
  return %r, %y : tensor<4x1xf16>, tensor<64xf16>
}
