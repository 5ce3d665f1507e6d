// RUN: mirage-opt %s --mirage-legalize-math-for-nvptx --split-input-file --verify-diagnostics | FileCheck %s

// exp is ex2.approx of x·log2(e); sqrt is the correctly rounded sqrt.rn; an
// f16 operand is computed in f32; a vector is computed element by element.
// No math op and no libdevice function remains.

// CHECK-LABEL: gpu.func @scalars
// CHECK-DAG: %[[LOG2E:.*]] = arith.constant 1.44269502 : f32
// CHECK: %[[SCALED:.*]] = arith.mulf %{{.*}}, %[[LOG2E]] : f32
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.f32"(%[[SCALED]]) : (f32) -> f32
// CHECK: %[[WIDE:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: %[[ROOT:.*]] = llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"(%[[WIDE]]) : (f32) -> f32
// CHECK: arith.truncf %[[ROOT]] : f32 to f16
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"
// CHECK: vector.from_elements {{.*}} : vector<2xf32>
// CHECK-NOT: math.
// CHECK-NOT: __nv_
gpu.module @kernels {
  gpu.func @scalars(%x: f32, %h: f16, %v: vector<2xf32>, %out: memref<4xf32>,
                    %hout: memref<1xf16>, %vout: memref<2xf32>) kernel {
    %c0 = arith.constant 0 : index
    %e = math.exp %x : f32
    %s = math.sqrt %h : f16
    %vs = math.sqrt %v : vector<2xf32>
    memref.store %e, %out[%c0] : memref<4xf32>
    memref.store %s, %hout[%c0] : memref<1xf16>
    vector.store %vs, %vout[%c0] : memref<2xf32>, vector<2xf32>
    gpu.return
  }
}

// -----

// erf (in GELU) becomes MLIR's polynomial approximation, powf exp(y·log x):
// only arithmetic and ex2/lg2 remain.

// CHECK-LABEL: gpu.func @expanded
// CHECK-NOT: math.
// CHECK: llvm.call_intrinsic "llvm.nvvm.lg2.approx.f"
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.f32"
// CHECK-NOT: math.
// CHECK: gpu.return
gpu.module @kernels {
  gpu.func @expanded(%x: f32, %y: f32, %out: memref<2xf32>) kernel {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %e = math.erf %x : f32
    %p = math.powf %x, %y : f32
    memref.store %e, %out[%c0] : memref<2xf32>
    memref.store %p, %out[%c1] : memref<2xf32>
    gpu.return
  }
}

// -----

gpu.module @kernels {
  gpu.func @unsupported(%x: f32, %out: memref<1xf32>) kernel {
    %c0 = arith.constant 0 : index
    // expected-error @below {{'math.sin' has no NVPTX lowering without libdevice}}
    %s = math.sin %x : f32
    memref.store %s, %out[%c0] : memref<1xf32>
    gpu.return
  }
}
