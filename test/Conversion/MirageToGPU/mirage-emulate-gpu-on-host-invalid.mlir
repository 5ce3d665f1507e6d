// RUN: mirage-opt %s --mirage-emulate-gpu-on-host --split-input-file -verify-diagnostics

// Only thread ids along x (blocks of [threads, 1, 1]) are emulated.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @threads(%a: memref<128xf32>) kernel attributes {known_block_size = array<i32: 128, 1, 1>} {
      // expected-error @+1 {{'gpu.thread_id' op must be a single gpu.thread_id x at the top of the kernel to be emulated}}
      %t = gpu.thread_id y
      %v = arith.constant 1.0 : f32
      memref.store %v, %a[%t] : memref<128xf32>
      gpu.return
    }
  }
}

// -----

// A per-thread value may not cross a barrier.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @crossing(%a: memref<128xf32>) kernel attributes {known_block_size = array<i32: 128, 1, 1>} {
      %t = gpu.thread_id x
      %c1 = arith.constant 1 : index
      // expected-error @+1 {{'arith.addi' op defines a per-thread value used after a barrier; the host emulation cannot carry it across}}
      %u = arith.addi %t, %c1 : index
      %v = memref.load %a[%u] : memref<128xf32>
      gpu.barrier
      memref.store %v, %a[%u] : memref<128xf32>
      gpu.return
    }
  }
}
