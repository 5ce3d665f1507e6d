// RUN: mirage-opt %s --mirage-map-tiles-to-threads --split-input-file -verify-diagnostics

// The threads of a block come from known_block_size; without it there is
// nothing to map tiles to.
gpu.module @kernels {
  // expected-error @+1 {{'gpu.func' op needs known_block_size = [threads, 1, 1] to map tiles to threads}}
  gpu.func @no_block_size(%x: memref<8xf32>) kernel {
    gpu.return
  }
}

// -----

gpu.module @kernels {
  // expected-error @+1 {{'gpu.func' op needs known_block_size = [threads, 1, 1] to map tiles to threads}}
  gpu.func @two_dims(%x: memref<8xf32>) kernel attributes {known_block_size = array<i32: 32, 4, 1>} {
    gpu.return
  }
}
