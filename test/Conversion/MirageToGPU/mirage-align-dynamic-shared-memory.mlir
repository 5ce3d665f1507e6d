// RUN: mirage-opt %s --pass-pipeline="builtin.module(gpu.module(mirage-align-dynamic-shared-memory))" --split-input-file | FileCheck %s

// Every gpu.dynamic_shared_memory becomes the address of one external,
// zero-sized workgroup global declared 1024-byte aligned.

// CHECK-LABEL: gpu.module @kernels
// CHECK-NEXT: memref.global @__mirage_dynamic_shared_memory : memref<0xi8, #gpu.address_space<workgroup>> {alignment = 1024 : i64}
// CHECK-LABEL: gpu.func @two_views
// CHECK: %[[BASE:.*]] = memref.get_global @__mirage_dynamic_shared_memory : memref<0xi8, #gpu.address_space<workgroup>>
// CHECK: %[[DYN:.*]] = memref.cast %[[BASE]] : memref<0xi8, #gpu.address_space<workgroup>> to memref<?xi8, #gpu.address_space<workgroup>>
// CHECK: memref.view %[[DYN]]
// CHECK-NOT: gpu.dynamic_shared_memory
// CHECK-LABEL: gpu.func @other
// CHECK: memref.get_global @__mirage_dynamic_shared_memory
gpu.module @kernels {
  gpu.func @two_views() kernel {
    %c0 = arith.constant 0 : index
    %c1024 = arith.constant 1024 : index
    %s = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
    %a = memref.view %s[%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<16x16xf16, #gpu.address_space<workgroup>>
    %b = memref.view %s[%c1024][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<16x16xf16, #gpu.address_space<workgroup>>
    %v = memref.load %a[%c0, %c0] : memref<16x16xf16, #gpu.address_space<workgroup>>
    memref.store %v, %b[%c0, %c0] : memref<16x16xf16, #gpu.address_space<workgroup>>
    gpu.return
  }
  gpu.func @other() kernel {
    %c0 = arith.constant 0 : index
    %s = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
    %a = memref.view %s[%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<8xf32, #gpu.address_space<workgroup>>
    %v = memref.load %a[%c0] : memref<8xf32, #gpu.address_space<workgroup>>
    memref.store %v, %a[%c0] : memref<8xf32, #gpu.address_space<workgroup>>
    gpu.return
  }
}

// -----

// A module without dynamic shared memory is left alone.
// CHECK-LABEL: gpu.module @no_shared
// CHECK-NOT: memref.global
gpu.module @no_shared {
  gpu.func @k() kernel {
    gpu.return
  }
}
