//===- MirageThreadOps.td - Mirage thread-level ops -------*- tablegen -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Ops of thread-level GPU code (after mirage-map-tiles-to-threads) that no
// upstream dialect expresses in a form the host emulation can run. Each is
// rewritten into NVVM by mirage-legalize-mma-for-nvvm.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_DIALECT_MIRAGE_IR_MIRAGETHREADOPS_TD
#define MIRAGE_DIALECT_MIRAGE_IR_MIRAGETHREADOPS_TD

include "Mirage/Dialect/Mirage/IR/MirageBase.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Mirage_WarpgroupMmaOp : Mirage_Op<"warpgroup_mma", [
    MemoryEffects<[MemRead]>, AllTypesMatch<["acc", "result"]>]> {
  let summary = "warpgroup matrix multiply-accumulate (Hopper wgmma), A from "
                "registers, B from a swizzled shared-memory tile";
  let description = [{
    Thread-level code; executed by the 128 threads of a warpgroup (four
    consecutive warps, the first one's index a multiple of 4) together,
    converged. Computes `D = A·B + C` for a 64xN tile of f32 accumulators,
    A 64x16, B 16xN (N = 2 · the length of `acc`, a multiple of 8, at most
    256), with f16 or bf16 A and B and f32 products and sums: one PTX
    `wgmma.mma_async.sync.aligned.m64nNk16.f32` (PTX ISA 8.0, sm_90a).

    Thread t of the warpgroup, in warp r = (t / 32) mod 4 with lane l,
    g = l / 4 and q = l mod 4, holds (PTX ISA, "Register Fragments and
    Shared Memory Matrix Layouts" for wgmma .m64nNk16):
    - `a`: rows 16r + g and 16r + g + 8 of A, columns 2q, 2q + 1, 2q + 8
      and 2q + 9, as the A fragment of `mma.sync` m16n8k16 for the 16 rows
      of its warp: `a[i][h]` is row 16r + g + 8·(i mod 2), column
      2q + h + 8·(i / 2);
    - `acc` and the result: element 4j + e is row 16r + g + 8·(e / 2),
      column 8j + 2q + (e mod 2), for j < N / 8.

    B is rows kStart .. kStart + 15 and columns nStart .. nStart + N − 1
    of a [K, 64·NB] tile that `b` holds in Hopper's 128-byte-swizzled
    layout for MN-major operands (MatrixDescriptor.h): NB column blocks of
    64 elements, each a [K, 64] array of 128-byte rows, with element (k, c)
    of a block at row k, 16-byte chunk (c / 8) XOR (k mod 8), position
    c mod 8; that is
    `b[n / 64][k][((n mod 64) / 8 xor k mod 8) · 8 + n mod 8]`. The tile
    must start 1024-byte aligned in shared memory (the hardware swizzles
    address bits, the pattern repeating every 8 rows of 128 bytes);
    `kStart` must be a multiple of 8 and `nStart` of 64.

    ```mlir
    %d = mirage.warpgroup_mma %a, %b[%k, %n], %c
        : vector<4x2xf16>, memref<4x64x64xf16, #gpu.address_space<workgroup>>,
          vector<32xf32>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[2], [F16, BF16]>:$a,
                   MemRefRankOf<[F16, BF16], [3]>:$b, Index:$kStart, Index:$nStart,
                   VectorOfRankAndType<[1], [F32]>:$acc);
  let results = (outs VectorOfRankAndType<[1], [F32]>:$result);
  let assemblyFormat = [{
    $a `,` $b `[` $kStart `,` $nStart `]` `,` $acc attr-dict `:` type($a) `,` type($b)
    `,` type($acc)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// N, the columns of B and of the accumulator tile.
    int64_t getNumColumns() { return 2 * getAcc().getType().getNumElements(); }
  }];
}

#endif // MIRAGE_DIALECT_MIRAGE_IR_MIRAGETHREADOPS_TD
