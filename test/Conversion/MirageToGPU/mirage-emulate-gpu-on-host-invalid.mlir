// RUN: mirage-opt %s --mirage-emulate-gpu-on-host -verify-diagnostics

// Thread-level kernels are not emulated.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @threads(%a: memref<128xf32>) kernel {
      // expected-error @+1 {{'gpu.thread_id' op is thread-level; the host emulation runs tile-level kernels (before mirage-map-tiles-to-threads)}}
      %t = gpu.thread_id x
      %v = arith.constant 1.0 : f32
      memref.store %v, %a[%t] : memref<128xf32>
      gpu.return
    }
  }
}
