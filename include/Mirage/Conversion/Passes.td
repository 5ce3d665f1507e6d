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
      `linalg.copy`s between device memory and tiles. Tiles that tensor
      cores will read get rows padded against bank conflicts
      (SharedMemoryLayout.h), and for-loop input tiles a second slot
      (`double-buffer`): iteration i reads slot i mod 2 while the next
      iteration's tile is copied into the other (a copy marked
      `mirage.async_copy`). Padding, then second slots, are given up where
      the plan would exceed the target's limit. Threads are not assigned
      yet (`mirage-map-tiles-to-threads` does that);
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
           "GPU whose limits apply (sm_80, sm_86, sm_89, sm_90a, h200; "
           "empty: the module's mirage.target, else sm_90a)">,
    Option<"doubleBuffer", "double-buffer", "bool", /*default=*/"true",
           "Give for-loop input tiles a second shared-memory slot, filled "
           "with the next iteration's tile while the current one is read "
           "(when the plan still fits the target's limit)">
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

def MirageMapTilesToThreads
    : Pass<"mirage-map-tiles-to-threads", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Distribute the tile ops of tile-level kernels over the "
                "threads of a block";
  let description = [{
    The second stage of the lowering (after `convert-mirage-to-gpu`): in
    every kernel of the `gpu.module`, each `linalg` op on tiles becomes a
    loop in which thread t of the block's T threads (`known_block_size`)
    handles the points t, t + T, ... of the op's parallel iteration space,
    running reductions sequentially per point.

    - Private buffers (the tile level's `memref.alloca`s: f32 accumulators
      and values that only feed them) are read and written element for
      element by every op, so each thread owns the same elements throughout
      and keeps them in a per-thread array of ⌈N/T⌉ elements.
    - Copies between device and shared memory whose rows are multiples of
      16 bytes move 128 bits per thread and step (`vector.load/store`).
    - `gpu.barrier`s go where a thread may read or overwrite shared bytes
      that another thread wrote or read since the last barrier, in program
      order and across iterations of the for-loop; ops that access one
      buffer with the same thread mapping need none.
    - With `tensor-cores`, a matmul of f16 or bf16 tiles in shared memory
      into an f32 private accumulator (M a multiple of 16, N of 8, K of 16,
      the 16x8 output tiles a multiple of the warps) becomes
      `nvgpu.mma.sync` m16n8k16 ops, one per output tile and 16-wide
      k-step; warp w owns tiles w·S ... w·S + S − 1 and lane l the
      accumulator elements PTX assigns it. Every op on those accumulators
      (and the private buffers it shares ops with) uses that ownership
      instead of the cyclic one. With `ldmatrix`, fragments are loaded with
      `nvgpu.ldmatrix` (x4 for A, x4.trans for two column tiles of B) when
      the tile's rows start 16-byte aligned.
    - A copy marked `mirage.async_copy` (the next for-loop iteration's
      tile, copied into the free slot of a double buffer by
      convert-mirage-to-gpu) is issued as `cp.async` (16 bytes a thread and
      step, then a commit); each for-loop body that issues one starts with
      `cp.async.wait_group 0` and a barrier, so the tile the iteration reads
      has arrived and every thread is done with the slot being refilled.
    - With `prefetch`, a copy from a read-only kernel argument into shared
      memory at the top of a for-loop is software-pipelined: iteration 0's
      tile is loaded into registers before the loop, and each iteration
      stores its tile from registers and loads the next one's, so the
      device-memory latency overlaps the iteration's compute.
    - With `wgmma`, on a target that has warpgroup MMA (sm_90a: the
      `mirage.target` of the gpu.module, which convert-mirage-to-gpu sets),
      a tensor-core matmul whose M is a multiple of 64 and whose B is a
      [K, N] tile (N a multiple of 64) that only vectorised copies from
      device memory write, only such matmuls read, and that starts
      1024-byte aligned (as the shared-memory assignment places it on such
      targets) becomes `mirage.warpgroup_mma` ops: B stays in shared memory
      in the 128-byte-swizzled layout (the copies write it so), A is loaded
      as for mma.sync, and warp w of each warpgroup owns rows 16·(w mod 4)
      .. + 15 of every 64-row block of the accumulator. Copies into such a
      tile end with `fence.proxy.async.shared::cta` (the tensor cores read
      it through the async proxy).

    Before:
    ```mlir
    linalg.generic {...} ins(%a : memref<2x64xf16, #wg>) outs(%b : memref<2x64xf16, #wg>) {...}
    ```
    After:
    ```mlir
    %t = gpu.thread_id x
    scf.for %i = %c0 to %c1 step %c1 {
      %p = arith.addi %t, (%i * 128)
      %col = arith.remui %p, %c64
      %row = arith.divui %p, %c64
      %x = memref.load %a[%row, %col] ...
      ...
      memref.store %y, %b[%row, %col] ...
    }
    ```
  }];
  let options = [
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"true",
           "Run f16/bf16 matmul tiles with f32 accumulators on tensor cores "
           "(nvgpu.mma.sync m16n8k16, sm_80 and later)">,
    Option<"ldMatrix", "ldmatrix", "bool", /*default=*/"true",
           "Load tensor-core fragments from shared memory with "
           "nvgpu.ldmatrix (four 8x8 matrices per instruction instead of "
           "one load per element)">,
    Option<"prefetch", "prefetch", "bool", /*default=*/"true",
           "Load the next for-loop iteration's input tiles into registers "
           "while the current one computes">,
    Option<"wgmma", "wgmma", "bool", /*default=*/"true",
           "On targets with warpgroup MMA (sm_90a), run eligible matmul "
           "tiles as mirage.warpgroup_mma (wgmma.mma_async) with B in "
           "shared memory in the 128-byte-swizzled layout">
  ];
  let dependentDialects = [
    "::mlir::mirage::MirageDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::ub::UBDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def MirageExportKernelPackage
    : Pass<"mirage-export-kernel-package", "ModuleOp"> {
  let summary = "Write the PTX of lowered kernels and their launch plan as "
                "a kernel package the runtime loads";
  let description = [{
    After `mirage-lower-to-ptx`, writes one kernel package
    (docs/kernel-package.md) per lowered function: `kernels.ptx` (the
    `gpu.binary`'s PTX), `kernels.cubin` (assembled by `ptxas` for the
    binary's chip when `ptxas` is found: on PATH, in $CUDA_HOME/bin or
    /usr/local/cuda/bin) and `manifest.json` (the launch plan
    `convert-mirage-to-gpu` recorded in `mirage.launch_plans`). With one
    lowered function the package is `output-dir` itself, with several one
    directory per function inside it. The module is not changed.
  }];
  let options = [
    Option<"outputDir", "output-dir", "std::string", /*default=*/"\"\"",
           "Directory to write the package(s) to (created if missing)">,
    Option<"ptxas", "ptxas", "std::string", /*default=*/"\"auto\"",
           "ptxas to assemble a cubin with: 'auto' (search), 'none', or a "
           "path">
  ];
}

def MiragePrintSharedMemoryPlan
    : Pass<"mirage-print-shared-memory-plan", "ModuleOp"> {
  let summary = "Report where each tile of each graph-defined kernel lives in "
                "shared memory";
  let description = [{
    Runs the shared-memory assignment convert-mirage-to-gpu lowers with
    (SharedMemoryAssignment.h: buffers, live intervals, private f32 values,
    rows padded against bank conflicts, second slots of double-buffered
    for-loop tiles, offsets with reuse) on every `mirage.graph_kernel` and
    reports it as remarks, leaving the IR unchanged: on the kernel, the
    plan's bytes against the target's limit; on each op, where its shared
    result tile lives:

    ```
    remark: shared memory: 35840 bytes of 232448 (NVIDIA H100 80GB HBM3), 2 tiles padded, 0 double-buffered
    remark: tile 64x128xf16: bytes [18432, 35840), live at points 1-3, rows padded by 8 elements
    ```

    Fails with the lowering's diagnostic where a kernel does not fit.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"\"",
           "GPU whose shared-memory limit applies (as for "
           "convert-mirage-to-gpu)">,
    Option<"doubleBuffer", "double-buffer", "bool", /*default=*/"true",
           "As convert-mirage-to-gpu's option">
  ];
}

def MirageLegalizeMathForNVPTX
    : Pass<"mirage-legalize-math-for-nvptx", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Rewrite math ops of GPU kernels into LLVM intrinsics NVPTX "
                "implements, so no libdevice is needed";
  let description = [{
    Without this pass, `convert-gpu-to-nvvm` turns math ops into calls of
    libdevice (`__nv_expf`, ...), which must then be found in a CUDA
    toolkit at compile time: the PTX would depend on the machine that built
    it. Instead: `math.erf` becomes a polynomial approximation (MLIR's, max
    error about 1e-7), `math.powf` becomes exp(y·log x), and every remaining
    math op an LLVM intrinsic the NVPTX backend lowers itself (exp via
    `ex2.approx` with range reduction, sqrt as `sqrt.rn`).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def MirageLegalizeMmaForNVVM
    : Pass<"mirage-legalize-mma-for-nvvm", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Rewrite bf16 nvgpu.mma.sync ops into nvvm.mma.sync, which "
                "convert-nvgpu-to-nvvm cannot do, and mirage.warpgroup_mma "
                "into inline wgmma PTX";
  let description = [{
    MLIR 22's `convert-nvgpu-to-nvvm` knows no PTX type for bf16 operands
    and fails on a bf16 `nvgpu.mma.sync` ("failed to deduce operand PTX
    types"). `nvvm.mma.sync` supports bf16 when it is given the PTX types
    and its A and B operands as 32-bit registers of two bf16 each (the low
    half the first element). This pass writes that op for each
    `nvgpu.mma.sync` with bf16 A and B and f32 C (m16n8k16 or m16n8k8; PTX
    `mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32`, sm_80 and later)
    and leaves every other op, f16 mma.sync included, to the upstream
    conversion. A bf16 mma.sync with f16 accumulators, which PTX does not
    have, is an error.

    Each `mirage.warpgroup_mma` becomes one `llvm.inline_asm` statement:
    `wgmma.fence`, `wgmma.mma_async.sync.aligned.m64nNk16.f32` with A's
    four registers, B's matrix descriptor (its shared address plus the
    offset of the k-step and column block, and the constant fields of
    MatrixDescriptor.h: 128-byte swizzle, MN-major strides), scale-d 1 and
    imm-trans-b 1, then `wgmma.commit_group` and `wgmma.wait_group 0`, so
    the accumulators are complete when the statement ends. (MLIR 22's
    `nvvm.wgmma.mma_async` takes A only from shared memory.)

    Before:
    ```mlir
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]}
        : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
    ```
    After:
    ```mlir
    %a0 = vector.extract %a[0] : vector<2xbf16> from vector<4x2xbf16>
    %r0 = llvm.bitcast %a0 : vector<2xbf16> to i32
    ...                                    // %r1 ... %r3 (A), %r4, %r5 (B)
    %c0 = vector.extract %c[0, 0] : f32 from vector<2x2xf32>
    ...                                    // %c1 ... %c3
    %s = nvvm.mma.sync A[%r0, %r1, %r2, %r3] B[%r4, %r5] C[%c0, %c1, %c2, %c3]
        {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
         multiplicandAPtxType = #nvvm.mma_type<bf16>,
         multiplicandBPtxType = #nvvm.mma_type<bf16>,
         shape = #nvvm.shape<m = 16, n = 8, k = 16>}
        : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
    %d0 = llvm.extractvalue %s[0] : !llvm.struct<(f32, f32, f32, f32)>
    ...                                    // %d1 ... %d3
    %d = vector.from_elements %d0, %d1, %d2, %d3 : vector<2x2xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def MirageAlignDynamicSharedMemory
    : Pass<"mirage-align-dynamic-shared-memory", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Declare the kernels' dynamic shared memory with the "
                "alignment their shared-memory layout assumes";
  let description = [{
    Upstream `convert-gpu-to-nvvm` declares dynamic shared memory 16-byte
    aligned (`.extern .shared .align 16 .b8 __dynamic_shmem__0[]`), but the
    128-byte swizzle of warpgroup MMA operands works on address bits: a
    swizzled tile must start 1024-byte aligned in the shared window, not
    only relative to the start of dynamic shared memory. This pass replaces
    every `gpu.dynamic_shared_memory` with a zero-sized external workgroup
    `memref.global` carrying `alignment` (which becomes the PTX variable's
    `.align`; dynamic shared memory starts at the largest alignment any
    such declaration asks for), cast to the op's dynamic type.

    Before:
    ```mlir
    %s = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
    ```
    After:
    ```mlir
    memref.global @__mirage_dynamic_shared_memory
        : memref<0xi8, #gpu.address_space<workgroup>> {alignment = 1024 : i64}
    ...
    %g = memref.get_global @__mirage_dynamic_shared_memory
        : memref<0xi8, #gpu.address_space<workgroup>>
    %s = memref.cast %g : memref<0xi8, #gpu.address_space<workgroup>>
        to memref<?xi8, #gpu.address_space<workgroup>>
    ```
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"1024",
           "Alignment of dynamic shared memory, in bytes (a power of two)">
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
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
    workgroup memory spaces are dropped. At tile level a thread block's
    work is the same on one CPU thread as on a GPU block. Thread-level
    kernels (after `mirage-map-tiles-to-threads`) run each barrier-free
    stretch for every thread in turn; their warp- and warpgroup-level ops
    (`nvgpu.ldmatrix`, `nvgpu.mma.sync`, `mirage.warpgroup_mma`) are
    computed from the fragments of all the lanes where the PTX ISA places
    them, cp.async copies run where they are issued, and fences are
    dropped.

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
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

#endif // MIRAGE_CONVERSION_PASSES_TD
