// RUN: mirage-opt %s --mirage-legalize-mma-for-nvvm --split-input-file | FileCheck %s

// A bf16 mma.sync m16n8k16 becomes nvvm.mma.sync with explicit bf16 PTX
// types: row r of A and B is register r (two bf16 in an i32, the first in
// the low half), C is passed as four f32 in row-major order and D is read
// back in the same order.

// CHECK-LABEL: gpu.func @bf16_m16n8k16
// CHECK-SAME: (%[[A:.*]]: vector<4x2xbf16>, %[[B:.*]]: vector<2x2xbf16>, %[[C:.*]]: vector<2x2xf32>)
// CHECK: %[[A0:.*]] = vector.extract %[[A]][0] : vector<2xbf16> from vector<4x2xbf16>
// CHECK: %[[RA0:.*]] = llvm.bitcast %[[A0]] : vector<2xbf16> to i32
// CHECK: %[[A1:.*]] = vector.extract %[[A]][1]
// CHECK: %[[RA1:.*]] = llvm.bitcast %[[A1]]
// CHECK: %[[A2:.*]] = vector.extract %[[A]][2]
// CHECK: %[[RA2:.*]] = llvm.bitcast %[[A2]]
// CHECK: %[[A3:.*]] = vector.extract %[[A]][3]
// CHECK: %[[RA3:.*]] = llvm.bitcast %[[A3]]
// CHECK: %[[B0:.*]] = vector.extract %[[B]][0] : vector<2xbf16> from vector<2x2xbf16>
// CHECK: %[[RB0:.*]] = llvm.bitcast %[[B0]] : vector<2xbf16> to i32
// CHECK: %[[B1:.*]] = vector.extract %[[B]][1]
// CHECK: %[[RB1:.*]] = llvm.bitcast %[[B1]]
// CHECK: %[[C00:.*]] = vector.extract %[[C]][0, 0] : f32 from vector<2x2xf32>
// CHECK: %[[C01:.*]] = vector.extract %[[C]][0, 1]
// CHECK: %[[C10:.*]] = vector.extract %[[C]][1, 0]
// CHECK: %[[C11:.*]] = vector.extract %[[C]][1, 1]
// CHECK: %[[MMA:.*]] = nvvm.mma.sync A[%[[RA0]], %[[RA1]], %[[RA2]], %[[RA3]]] B[%[[RB0]], %[[RB1]]] C[%[[C00]], %[[C01]], %[[C10]], %[[C11]]]
// CHECK-SAME: layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>
// CHECK-SAME: multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>
// CHECK-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 16>
// CHECK-SAME: : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK: %[[D0:.*]] = llvm.extractvalue %[[MMA]][0]
// CHECK: %[[D1:.*]] = llvm.extractvalue %[[MMA]][1]
// CHECK: %[[D2:.*]] = llvm.extractvalue %[[MMA]][2]
// CHECK: %[[D3:.*]] = llvm.extractvalue %[[MMA]][3]
// CHECK: %[[D:.*]] = vector.from_elements %[[D0]], %[[D1]], %[[D2]], %[[D3]] : vector<2x2xf32>
// CHECK-NOT: nvgpu.mma.sync
// CHECK: gpu.return %[[D]]
gpu.module @kernels {
  gpu.func @bf16_m16n8k16(%a: vector<4x2xbf16>, %b: vector<2x2xbf16>, %c: vector<2x2xf32>) -> vector<2x2xf32> {
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]}
        : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
    gpu.return %d : vector<2x2xf32>
  }
}

// -----

// m16n8k8 has half the A and B registers.

// CHECK-LABEL: gpu.func @bf16_m16n8k8
// CHECK: nvvm.mma.sync A[%{{.*}}, %{{.*}}] B[%{{.*}}] C[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK-SAME: multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>
// CHECK-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 8>
// CHECK-NOT: nvgpu.mma.sync
gpu.module @kernels {
  gpu.func @bf16_m16n8k8(%a: vector<2x2xbf16>, %b: vector<1x2xbf16>, %c: vector<2x2xf32>) -> vector<2x2xf32> {
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 8]}
        : (vector<2x2xbf16>, vector<1x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
    gpu.return %d : vector<2x2xf32>
  }
}

// -----

// f16 mma.sync, which convert-nvgpu-to-nvvm lowers itself, is left alone.

// CHECK-LABEL: gpu.func @f16
// CHECK-NEXT: %[[D:.*]] = nvgpu.mma.sync(%{{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK-NEXT: gpu.return %[[D]]
// CHECK-NOT: nvvm.mma.sync
gpu.module @kernels {
  gpu.func @f16(%a: vector<4x2xf16>, %b: vector<2x2xf16>, %c: vector<2x2xf32>) -> vector<2x2xf32> {
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]}
        : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    gpu.return %d : vector<2x2xf32>
  }
}
