// A negative time budget is an error.

// RUN: mirage-opt %s --mirage-superoptimize="time-budget=-1 cache-dir=none" -verify-diagnostics

// expected-error @+1 {{time-budget must not be negative}}
func.func @f(%a: tensor<64x64xf16>) -> tensor<64x64xf16> {
  %y = mirage.exp %a : tensor<64x64xf16>
  return %y : tensor<64x64xf16>
}
