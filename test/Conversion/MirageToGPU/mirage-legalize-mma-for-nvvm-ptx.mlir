// REQUIRES: ptxas
// RUN: rm -rf %t && mkdir -p %t
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_80" --mirage-export-kernel-package="output-dir=%t/sm_80 ptxas=none" -o /dev/null
// RUN: FileCheck %s --input-file=%t/sm_80/kernels.ptx
// RUN: %ptxas -arch=sm_80 %t/sm_80/kernels.ptx -o %t/sm_80.cubin
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_90a" --mirage-export-kernel-package="output-dir=%t/sm_90a ptxas=none" -o /dev/null
// RUN: FileCheck %s --input-file=%t/sm_90a/kernels.ptx
// RUN: %ptxas -arch=sm_90a %t/sm_90a/kernels.ptx -o %t/sm_90a.cubin

// A bf16 mma.sync through mirage-lower-to-ptx (which runs
// mirage-legalize-mma-for-nvvm before convert-nvgpu-to-nvvm, which fails on
// it alone) to PTX that ptxas accepts for sm_80 and sm_90a: one bf16
// m16n8k16 with f32 accumulators, A in 4 registers, B in 2, C and D in 4.
// The kernel is a whole 16x8x16 product D = A·B for one warp: each lane
// loads its fragments where the PTX ISA puts them and stores its D.

// CHECK: .entry mma_kernel_0(
// CHECK-NOT: mma.sync
// CHECK: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK-NEXT: {%r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}},
// CHECK-NEXT: {%r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}},
// CHECK-NEXT: {%r{{[0-9]+}}, %r{{[0-9]+}}},
// CHECK-NEXT: {%r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}};
// CHECK-NOT: mma.sync

module attributes {gpu.container_module, mirage.launch_plans = {mma = {
    buffers = [],
    inputs = [{dtype = "bf16", shape = array<i64: 16, 16>},
              {dtype = "bf16", shape = array<i64: 16, 8>}],
    kernels = [{args = [{index = 0 : i64, kind = "input"},
                        {index = 1 : i64, kind = "input"},
                        {index = 0 : i64, kind = "output"}],
                block = array<i64: 32, 1, 1>, grid = array<i64: 1, 1, 1>,
                name = "mma_kernel_0", shared_memory_bytes = 0 : i64}],
    outputs = [{dtype = "f32", shape = array<i64: 16, 8>}]}}} {
  gpu.module @mma_kernels {
    gpu.func @mma_kernel_0(%A: memref<16x16xbf16>, %B: memref<16x8xbf16>,
                           %D: memref<16x8xf32>) kernel
        attributes {known_block_size = array<i32: 32, 1, 1>} {
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %c9 = arith.constant 9 : index
      // Lane l: g = l / 4, q = l mod 4.
      %lane = gpu.thread_id x
      %g = arith.divui %lane, %c4 : index
      %q = arith.remui %lane, %c4 : index
      %g8 = arith.addi %g, %c8 : index
      %k0 = arith.muli %q, %c2 : index
      %k1 = arith.addi %k0, %c1 : index
      %k8 = arith.addi %k0, %c8 : index
      %k9 = arith.addi %k0, %c9 : index
      // a0..a3: rows g, g+8, g, g+8; columns 2q, 2q+1 (+8 for a2, a3).
      %a00 = memref.load %A[%g, %k0] : memref<16x16xbf16>
      %a01 = memref.load %A[%g, %k1] : memref<16x16xbf16>
      %a10 = memref.load %A[%g8, %k0] : memref<16x16xbf16>
      %a11 = memref.load %A[%g8, %k1] : memref<16x16xbf16>
      %a20 = memref.load %A[%g, %k8] : memref<16x16xbf16>
      %a21 = memref.load %A[%g, %k9] : memref<16x16xbf16>
      %a30 = memref.load %A[%g8, %k8] : memref<16x16xbf16>
      %a31 = memref.load %A[%g8, %k9] : memref<16x16xbf16>
      // b0, b1: rows 2q, 2q+1 (+8 for b1) of column g.
      %b00 = memref.load %B[%k0, %g] : memref<16x8xbf16>
      %b01 = memref.load %B[%k1, %g] : memref<16x8xbf16>
      %b10 = memref.load %B[%k8, %g] : memref<16x8xbf16>
      %b11 = memref.load %B[%k9, %g] : memref<16x8xbf16>
      %a = vector.from_elements %a00, %a01, %a10, %a11, %a20, %a21, %a30, %a31 : vector<4x2xbf16>
      %b = vector.from_elements %b00, %b01, %b10, %b11 : vector<2x2xbf16>
      %c = arith.constant dense<0.0> : vector<2x2xf32>
      %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]}
          : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
      // d0, d1: row g, columns 2q, 2q+1; d2, d3: row g+8.
      %d0 = vector.extract %d[0, 0] : f32 from vector<2x2xf32>
      %d1 = vector.extract %d[0, 1] : f32 from vector<2x2xf32>
      %d2 = vector.extract %d[1, 0] : f32 from vector<2x2xf32>
      %d3 = vector.extract %d[1, 1] : f32 from vector<2x2xf32>
      memref.store %d0, %D[%g, %k0] : memref<16x8xf32>
      memref.store %d1, %D[%g, %k1] : memref<16x8xf32>
      memref.store %d2, %D[%g8, %k0] : memref<16x8xf32>
      memref.store %d3, %D[%g8, %k1] : memref<16x8xf32>
      gpu.return
    }
  }
}
