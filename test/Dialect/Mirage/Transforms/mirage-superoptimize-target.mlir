// An unknown target is an error naming the ones there are.

// RUN: mirage-opt %s --mirage-superoptimize="target=sm_42 cache-dir=none" -verify-diagnostics

// expected-error @+1 {{unknown target 'sm_42'; expected one of sm_80 (a100), sm_86 (a10), sm_89 (l4), sm_90a (sm_90, h100), h200}}
func.func @f(%a: tensor<64x64xf16>) -> tensor<64x64xf16> {
  %y = mirage.exp %a : tensor<64x64xf16>
  return %y : tensor<64x64xf16>
}
