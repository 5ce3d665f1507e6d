// The PTX declares the kernels' dynamic shared memory 1024-byte aligned
// (mirage-align-dynamic-shared-memory), as wgmma's 128-byte swizzle on
// address bits needs, instead of upstream's `.align 16`.

// RUN: rm -rf %t && mkdir -p %t
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_90a" --mirage-export-kernel-package="output-dir=%t/sm_90a ptxas=none" -o /dev/null
// RUN: FileCheck %s --check-prefixes=CHECK,SM90A --input-file=%t/sm_90a/kernels.ptx
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_86" --mirage-export-kernel-package="output-dir=%t/sm_86 ptxas=none" -o /dev/null
// RUN: FileCheck %s --check-prefixes=CHECK,SM86 --input-file=%t/sm_86/kernels.ptx

// SM90A: .target sm_90a
// SM86: .target sm_86
// CHECK: .extern .shared .align 1024 .b8 __mirage_dynamic_shared_memory[];
// CHECK-NOT: .align 16 .b8 __dynamic_shmem
// CHECK: .entry

func.func @exp(%x: tensor<8x64xf16>) -> tensor<8x64xf16> {
  %y = mirage.exp %x : tensor<8x64xf16>
  return %y : tensor<8x64xf16>
}
