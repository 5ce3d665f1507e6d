// Option values the option parser accepts but the pass cannot use are errors.

// RUN: mirage-opt %s --split-input-file --mirage-superoptimize="time-budget=-1 cache-dir=none" -verify-diagnostics
// RUN: mirage-opt %s --split-input-file --mirage-superoptimize="time-budget=nan cache-dir=none" -verify-diagnostics

// expected-error @+1 {{time-budget must be a non-negative number of seconds, got}}
func.func @f(%a: tensor<64x64xf16>) -> tensor<64x64xf16> {
  %y = mirage.exp %a : tensor<64x64xf16>
  return %y : tensor<64x64xf16>
}
