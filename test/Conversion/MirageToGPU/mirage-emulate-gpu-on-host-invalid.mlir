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

// -----

// Only m16n8k16 mma.sync with f16 inputs and f32 accumulators is emulated.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @mma(%a: vector<2x2xf16>, %b: vector<1x2xf16>, %c: vector<2x2xf16>, %out: memref<2x2xf16>) kernel attributes {known_block_size = array<i32: 32, 1, 1>} {
      %t = gpu.thread_id x
      %c0 = arith.constant 0 : index
      // expected-error @+1 {{'nvgpu.mma.sync' op is not an m16n8k16 f16/bf16 mma with f32 accumulators; the host emulation has no other}}
      %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 8]} : (vector<2x2xf16>, vector<1x2xf16>, vector<2x2xf16>) -> vector<2x2xf16>
      vector.store %d, %out[%c0, %c0] : memref<2x2xf16>, vector<2x2xf16>
      gpu.return
    }
  }
}
