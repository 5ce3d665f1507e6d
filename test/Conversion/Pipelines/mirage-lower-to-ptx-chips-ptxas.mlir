// REQUIRES: ptxas
// Every supported chip gets PTX that ptxas accepts for it: a matmul on
// tensor cores (mma.sync on sm_80, sm_86 and sm_89; wgmma on sm_90a, which
// reads B through the 1024-byte-aligned dynamic shared memory).

// RUN: rm -rf %t && mkdir -p %t
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_80" --mirage-export-kernel-package="output-dir=%t/sm_80 ptxas=none" -o /dev/null
// RUN: %ptxas -arch=sm_80 %t/sm_80/kernels.ptx -o %t/sm_80.cubin
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_86" --mirage-export-kernel-package="output-dir=%t/sm_86 ptxas=none" -o /dev/null
// RUN: %ptxas -arch=sm_86 %t/sm_86/kernels.ptx -o %t/sm_86.cubin
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_89" --mirage-export-kernel-package="output-dir=%t/sm_89 ptxas=none" -o /dev/null
// RUN: %ptxas -arch=sm_89 %t/sm_89/kernels.ptx -o %t/sm_89.cubin
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_90a" --mirage-export-kernel-package="output-dir=%t/sm_90a ptxas=none" -o /dev/null
// RUN: %ptxas -arch=sm_90a %t/sm_90a/kernels.ptx -o %t/sm_90a.cubin
// RUN: FileCheck %s --input-file=%t/sm_90a/kernels.ptx

// CHECK: .extern .shared .align 1024 .b8 __mirage_dynamic_shared_memory[];
// CHECK: wgmma.mma_async

func.func @matmul(%a: tensor<128x64xf16>, %b: tensor<64x128xf16>) -> tensor<128x128xf16> {
  %c = mirage.matmul %a, %b : (tensor<128x64xf16>, tensor<64x128xf16>) -> tensor<128x128xf16>
  return %c : tensor<128x128xf16>
}
