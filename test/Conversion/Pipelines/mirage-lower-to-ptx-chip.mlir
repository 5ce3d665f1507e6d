// Every chip mirage-lower-to-ptx does not support is an error naming the
// supported ones, before anything is lowered. Without the check, an empty
// chip crashed in NVVMTargetAttr::verifyTarget, sm_70, sm_75 and an AMD name
// aborted in LLVM ("Cannot select" an mma), sm_100a aborted too, and sm_90
// got wgmma, which only sm_90a has.

// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=" --verify-diagnostics
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_70" --verify-diagnostics
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_75" --verify-diagnostics
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_90" --verify-diagnostics
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_100a" --verify-diagnostics
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=gfx90a" --verify-diagnostics
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=bogus" --verify-diagnostics

// expected-error-re @below {{mirage-lower-to-ptx: unknown chip '{{(sm_70|sm_75|sm_90|sm_100a|gfx90a|bogus)?}}'; supported chips: sm_80, sm_86, sm_89, sm_90a}}
module {
  func.func @exp(%x: tensor<8x64xf16>) -> tensor<8x64xf16> {
    %y = mirage.exp %x : tensor<8x64xf16>
    return %y : tensor<8x64xf16>
  }
}
