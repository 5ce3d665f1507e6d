// The thread-level emulation runs each barrier-free stretch for every thread
// in turn: with the barrier, every thread sees its neighbour's value; without
// it, threads read slots their neighbours have not written yet, which hold
// NaN (emulated shared memory starts as all-ones bytes), and the emulation
// shows it.

// RUN: mirage-opt %s --mirage-emulate-gpu-on-host | mlir-opt --convert-linalg-to-loops --convert-vector-to-scf --convert-scf-to-cf --convert-vector-to-llvm --finalize-memref-to-llvm --convert-arith-to-llvm --convert-cf-to-llvm --convert-func-to-llvm --reconcile-unrealized-casts | mlir-runner -e main --entry-point-result=void --shared-libs=%mlir_c_runner_utils | FileCheck %s --check-prefix=SYNCED
// SYNCED: ( 2, 3, 4, 1 )

// RUN: sed -e 's/gpu.barrier//' %s | mirage-opt --mirage-emulate-gpu-on-host | mlir-opt --convert-linalg-to-loops --convert-vector-to-scf --convert-scf-to-cf --convert-vector-to-llvm --finalize-memref-to-llvm --convert-arith-to-llvm --convert-cf-to-llvm --convert-func-to-llvm --reconcile-unrealized-casts | mlir-runner -e main --entry-point-result=void --shared-libs=%mlir_c_runner_utils | FileCheck %s --check-prefix=RACY
// RACY: ( -nan, -nan, -nan, 1 )

module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @rotate(%in: memref<4xf32>, %out: memref<4xf32>) kernel
        attributes {known_block_size = array<i32: 4, 1, 1>} {
      %t = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      %smem = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
      %s = memref.view %smem[%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<4xf32, #gpu.address_space<workgroup>>
      %v = memref.load %in[%t] : memref<4xf32>
      memref.store %v, %s[%t] : memref<4xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %u = arith.addi %t, %c1 : index
      %n = arith.remui %u, %c4 : index
      %w = memref.load %s[%n] : memref<4xf32, #gpu.address_space<workgroup>>
      memref.store %w, %out[%t] : memref<4xf32>
      gpu.return
    }
  }
  func.func @main() {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %bytes = arith.constant 16 : i32
    %zero = arith.constant 0.0 : f32
    %in = memref.alloc() : memref<4xf32>
    %out = memref.alloc() : memref<4xf32>
    scf.for %i = %c0 to %c4 step %c1 {
      %ii = arith.index_cast %i : index to i32
      %f = arith.sitofp %ii : i32 to f32
      %one = arith.constant 1.0 : f32
      %v = arith.addf %f, %one : f32
      memref.store %v, %in[%i] : memref<4xf32>
    }
    gpu.launch_func @k::@rotate blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1)
        dynamic_shared_memory_size %bytes args(%in : memref<4xf32>, %out : memref<4xf32>)
    %vec = vector.load %out[%c0] : memref<4xf32>, vector<4xf32>
    vector.print %vec : vector<4xf32>
    return
  }
}
