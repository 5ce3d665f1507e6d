//===- Passes.td - Mirage conversion passes ----------------*- tablegen -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_CONVERSION_PASSES_TD
#define MIRAGE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertMirageToGPU : Pass<"convert-mirage-to-gpu", "ModuleOp"> {
  let summary = "Lower graph-defined kernels to tile-level gpu.func kernels "
                "and a host function that launches them";
  let description = [{
    Every function whose body is a kernel graph of `mirage.graph_kernel` ops
    (run `mirage-expand-predefined-kernels` first for pre-defined ones)
    becomes:

    - a `gpu.module @<function>_kernels` holding one `gpu.func` per graph
      kernel, at *tile level*: the block graph as the work of one thread
      block, with `gpu.block_id` for the block's place in the grid, every
      tile a `memref.view` of `gpu.dynamic_shared_memory` at the offset the
      shared-memory plan gives it (tiles whose lifetimes do not overlap share
      bytes), the for-loop an `scf.for`, tile ops `linalg` ops on those
      memrefs computing in f32, and input iterators and output savers
      `linalg.copy`s between device memory and tiles. Threads are not
      assigned yet (`mirage-map-tiles-to-threads` does that);
    - a host function of the same name on memrefs, results passed as extra
      trailing arguments (destination-passing style), that allocates
      intermediate tensors with `gpu.alloc` and launches the kernels in
      order with `gpu.launch_func`.

    Numerics follow the reference interpreter: tile ops compute in f32 and
    round to the tile's element type when they store; values that only feed
    accumulators, and accumulators themselves, stay in f32.

    Before:
    ```mlir
    func.func @f(%x: tensor<8x64xf16>) -> tensor<8x64xf16> {
      %y = mirage.graph_kernel(%x) grid = [4, 1, 1] block = [128] forloop = 1
          : (tensor<8x64xf16>) -> tensor<8x64xf16> {
      ^bb0(%X: tensor<8x64xf16>):
        %t = mirage.input_iterator %X imap = {x = 0} : tensor<8x64xf16> -> !mirage.tile<2x64xf16>
        %e = mirage.exp %t : !mirage.tile<2x64xf16>
        mirage.output_saver %e omap = {x = 0} : !mirage.tile<2x64xf16>
      }
      return %y : tensor<8x64xf16>
    }
    ```
    After (abridged):
    ```mlir
    gpu.module @f_kernels {
      gpu.func @f_kernel_0(%X: memref<8x64xf16>, %Y: memref<8x64xf16>) kernel {
        %smem = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
        %t = memref.view %smem[%c0][] : ... to memref<2x64xf16, #gpu.address_space<workgroup>>
        %bx = gpu.block_id x
        ...
        linalg.copy ins(%sub : ...) outs(%t : ...)
        linalg.generic ... { math.exp ... }
        linalg.copy ins(%e : ...) outs(%out : ...)
        gpu.return
      }
    }
    func.func @f(%x: memref<8x64xf16>, %y: memref<8x64xf16>) {
      gpu.launch_func @f_kernels::@f_kernel_0 blocks in (%c4, %c1, %c1)
          threads in (%c128, %c1, %c1) dynamic_shared_memory_size %c512
          args(%x : memref<8x64xf16>, %y : memref<8x64xf16>)
      return
    }
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"\"",
           "GPU whose shared-memory limit applies (sm_80, sm_90a, h200; "
           "empty: the module's mirage.target, else sm_90a)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def MirageEmulateGPUOnHost : Pass<"mirage-emulate-gpu-on-host", "ModuleOp"> {
  let summary = "Run tile-level kernels on the CPU: launches become loops "
                "over the grid calling host copies of the kernels";
  let description = [{
    Makes the output of `convert-mirage-to-gpu` runnable by the upstream CPU
    lowering (and the ExecutionEngine): each `gpu.func` becomes a
    `func.func` taking the block index and the dynamic shared memory as
    extra arguments, each `gpu.launch_func` an `scf.for` nest over the grid
    calling it, `gpu.alloc`/`gpu.dealloc` become `memref.alloc`/`dealloc`, and
    workgroup memory spaces are dropped. Kernels must be at tile level (no
    `gpu.thread_id` or `gpu.barrier`): a thread block's work is then the
    same on one CPU thread as on a GPU block.

    Before:
    ```mlir
    gpu.launch_func @f_kernels::@f_kernel_0 blocks in (%c4, %c1, %c1)
        threads in (%c128, %c1, %c1) dynamic_shared_memory_size %c512 args(...)
    ```
    After:
    ```mlir
    %smem = memref.alloc(%c512) : memref<?xi8>
    scf.for %z = %c0 to %c1 step %c1 {
      scf.for %y = %c0 to %c1 step %c1 {
        scf.for %x = %c0 to %c4 step %c1 {
          func.call @f_kernel_0(%x, %y, %z, %smem, ...) : ...
        }
      }
    }
    memref.dealloc %smem : memref<?xi8>
    ```
  }];
  let dependentDialects = [
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

#endif // MIRAGE_CONVERSION_PASSES_TD
