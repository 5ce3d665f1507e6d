//===- MirageBlockOps.td - Graph-defined kernels ----------*- tablegen -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The block and thread levels of μGraphs: a graph-defined kernel whose region
// is a block graph (input iterators, a for-loop with accumulators, an
// epilogue, output savers), and thread graphs (fused elementwise chains).
// docs/block-graphs.md explains the semantics with an example.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_DIALECT_MIRAGE_IR_MIRAGEBLOCKOPS_TD
#define MIRAGE_DIALECT_MIRAGE_IR_MIRAGEBLOCKOPS_TD

include "Mirage/Dialect/Mirage/IR/MirageBase.td"
include "Mirage/Dialect/Mirage/IR/MirageAttrs.td"
include "Mirage/Dialect/Mirage/IR/MirageTypes.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// graph_kernel
//===----------------------------------------------------------------------===//

def Mirage_GraphKernelOp : Mirage_Op<"graph_kernel", [IsolatedFromAbove,
    RecursiveMemoryEffects,
    SingleBlockImplicitTerminator<"::mlir::mirage::BlockGraphEndOp">]> {
  let summary = "a graph-defined kernel: one launch whose body is a block graph";
  let description = [{
    One GPU kernel launch over a grid of `grid = [gx, gy, gz]` thread blocks
    of `block = [threads]` threads. Its region is the *block graph*, run once
    by every thread block; its values are tiles in shared memory. The entry
    block's arguments stand for the kernel's operands (tensors in device
    memory) and are read only through `mirage.input_iterator`.

    The block graph holds, in order: input iterators and block-level ops that
    do not depend on the loop, at most one `mirage.for_loop` (run `forloop`
    times; required when `forloop > 1`) whose accumulators are its results,
    the *epilogue* (ops on the accumulators), and one `mirage.output_saver`
    per kernel result, in result order. Result `i` has the saved tile's shape
    multiplied, along each dim an `omap` axis maps to, by that axis' grid size.

    ```mlir
    %y = mirage.graph_kernel(%x, %w) grid = [96, 1, 1] block = [128] forloop = 64
        : (tensor<2x4096xf16>, tensor<4096x6144xf16>) -> tensor<2x6144xf16> {
    ^bb0(%X: tensor<2x4096xf16>, %W: tensor<4096x6144xf16>):
      %ms, %acc = mirage.for_loop {
        %xt = mirage.input_iterator %X imap = {} fmap = 1
            : tensor<2x4096xf16> -> !mirage.tile<2x64xf16>
        %wt = mirage.input_iterator %W imap = {x = 1} fmap = 0
            : tensor<4096x6144xf16> -> !mirage.tile<64x64xf16>
        %sq = mirage.square %xt : !mirage.tile<2x64xf16>
        %ss = mirage.reduce sum %sq dim = 1
            : (!mirage.tile<2x64xf16>) -> !mirage.tile<2x1xf16>
        %m = mirage.mul_scalar %ss, 1.562500e-02 : !mirage.tile<2x1xf16>
        %p = mirage.matmul %xt, %wt
            : (!mirage.tile<2x64xf16>, !mirage.tile<64x64xf16>) -> !mirage.tile<2x64xf16>
        mirage.accumulate rms(%m), sum(%p)
            : !mirage.tile<2x1xf16>, !mirage.tile<2x64xf16>
      }
      %y = mirage.div %acc, %ms
          : (!mirage.tile<2x64xf16>, !mirage.tile<2x1xf16>) -> !mirage.tile<2x64xf16>
      mirage.output_saver %y omap = {x = 1} : !mirage.tile<2x64xf16>
    }
    ```

    The verifier checks the grid (three positive sizes within the target's
    launch limits: x ≤ 2^31 − 1, y and z ≤ 65535), the block (x and y ≤ 1024,
    z ≤ 64, at most 1024 threads), the loop structure, each saver against its
    result type, that every grid axis of size > 1 is in each omap, and that
    the block graph's shared memory fits the target (`mirage.target` on the
    enclosing module, default sm_90a; see SharedMemoryUsage).
  }];
  let arguments = (ins Variadic<Mirage_Tensor>:$inputs,
                   DenseI64ArrayAttr:$grid, DenseI64ArrayAttr:$block,
                   ConfinedAttr<I64Attr, [IntPositive]>:$forloop);
  let results = (outs Variadic<Mirage_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `(` $inputs `)` `grid` `=` $grid `block` `=` $block `forloop` `=` $forloop
    attr-dict `:` functional-type($inputs, $results) $body
  }];
  let extraClassDeclaration = [{
    /// The block graph's single block.
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
    /// The for-loop of the block graph, if it has one.
    ForLoopOp getForLoop();
    /// The output savers, in result order.
    ::llvm::SmallVector<OutputSaverOp, 4> getOutputSavers();
    /// Total number of thread blocks.
    int64_t getNumBlocks();
    /// Threads per block.
    int64_t getNumThreads();
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

def Mirage_BlockGraphEndOp : Mirage_Op<"block_graph_end", [Terminator,
    HasParent<"GraphKernelOp">, Pure]> {
  let summary = "end of a block graph (implicit)";
  let assemblyFormat = "attr-dict";
}

//===----------------------------------------------------------------------===//
// input_iterator
//===----------------------------------------------------------------------===//

def Mirage_InputIteratorOp : Mirage_Op<"input_iterator", [Pure]> {
  let summary = "a thread block's tile of a kernel operand";
  let description = [{
    Reads the calling thread block's tile of a kernel operand (an argument of
    the graph-defined kernel's block graph). `imap` names, per grid axis, the
    operand dim that axis partitions (unnamed axes replicate the operand);
    `fmap`, if present, names the dim split across the for-loop's iterations,
    and the iterator must then sit in the for-loop body.

    Along dim `d` of extent `D`, with grid axis `a` mapped to it (size `g`,
    block index `b`) and the for-loop (`F` iterations, iteration `i`) split
    over it, the tile has extent `t = D / (g·F)` and starts at
    `b·(D/g) + i·t`; either factor is 1 when absent. `D` must be divisible by
    `g·F`.

    ```mlir
    %wt = mirage.input_iterator %W imap = {x = 1} fmap = 0
        : tensor<4096x6144xf16> -> !mirage.tile<64x64xf16>
    ```
  }];
  let arguments = (ins Mirage_Tensor:$input, Mirage_GridMapAttr:$imap,
                   OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$fmap);
  let results = (outs Mirage_TileType:$tile);
  let assemblyFormat = [{
    $input `imap` `=` $imap (`fmap` `=` $fmap^)? attr-dict `:` type($input)
    `->` qualified(type($tile))
  }];
  let extraClassDeclaration = [{
    /// The enclosing graph-defined kernel.
    GraphKernelOp getKernel();
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// for_loop and accumulate
//===----------------------------------------------------------------------===//

def Mirage_ForLoopOp : Mirage_Op<"for_loop", [HasParent<"GraphKernelOp">,
    RecursiveMemoryEffects,
    SingleBlockImplicitTerminator<"::mlir::mirage::AccumulateOp">]> {
  let summary = "the block graph's for-loop; its results are accumulators";
  let description = [{
    Runs its body once per iteration `i = 0 .. forloop−1` of the enclosing
    kernel; input iterators with an `fmap` in the body see slice `i`. Values
    of the body reach the rest of the block graph only through the
    accumulators of its terminator, `mirage.accumulate`, which are the loop's
    results.
  }];
  let results = (outs Variadic<Mirage_TileType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let extraClassDeclaration = [{
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
    AccumulateOp getAccumulateOp();
  }];
  let hasRegionVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "::mlir::TypeRange":$resultTypes)>
  ];
}

def Mirage_AccumulateOp : Mirage_Op<"accumulate", [Terminator, Pure,
    HasParent<"ForLoopOp">]> {
  let summary = "for-loop accumulators: how body values combine across iterations";
  let description = [{
    Terminates a for-loop body. Operand `k` feeds accumulator `k`, the loop's
    result `k`, which combines that operand's per-iteration values `v_i`
    (`i < F`) elementwise:

    | kind | result |
    |---|---|
    | `sum(%v)` | `Σ_i v_i` |
    | `mean(%v)` | `(1/F) Σ_i v_i` |
    | `rms(%v)` | `√((1/F) Σ_i v_i)`, e.g. of per-iteration mean squares |
    | `max(%v)` | `max_i v_i` |
    | `rescaled_sum(%v, by = j)` | `Σ_i v_i · e^(m_i − M)`, where accumulator `j` is `max(%m)`, `m_i` its iteration-`i` value and `M` its result |

    `rescaled_sum` is online softmax's combination: when `v_i` was computed
    relative to a per-iteration maximum `m_i` (say `v_i = Σ e^(s − m_i)`),
    the result is relative to the overall maximum `M`. `m` must broadcast to
    `v`'s shape. Accumulation runs in f32 registers: a value that only feeds
    accumulators is never stored as a tile (so not rounded to its element
    type), and the result is rounded to the accumulator's element type once,
    after the last iteration.

    ```mlir
    mirage.accumulate max(%m), rescaled_sum(%l, by = 0), rescaled_sum(%o, by = 0)
        : !mirage.tile<16x1xf16>, !mirage.tile<16x1xf16>, !mirage.tile<16x64xf16>
    ```
  }];
  let arguments = (ins Variadic<Mirage_TileType>:$values,
                   TypedArrayAttrBase<Mirage_AccumulatorKindAttr,
                                      "accumulator kinds">:$kinds,
                   DenseI64ArrayAttr:$rescale_by);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The kind of accumulator `k`.
    AccumulatorKind getKind(unsigned k);
    /// For a rescaled_sum accumulator, the index of its max accumulator.
    std::optional<unsigned> getRescaleIndex(unsigned k);
  }];
  let builders = [
    OpBuilder<(ins), [{
      build($_builder, $_state, ::mlir::ValueRange(),
            $_builder.getArrayAttr({}), $_builder.getDenseI64ArrayAttr({}));
    }]>
  ];
}

//===----------------------------------------------------------------------===//
// output_saver
//===----------------------------------------------------------------------===//

def Mirage_OutputSaverOp : Mirage_Op<"output_saver", [
    HasParent<"GraphKernelOp">]> {
  let summary = "writes a thread block's tile to a kernel result";
  let description = [{
    The `k`-th output saver of a block graph writes its tile into the
    kernel's result `k`: along each dim `d` that `omap` maps a grid axis to
    (block index `b`), at offset `b·t` where `t` is the tile's extent. Every
    grid axis of size > 1 must be mapped, or blocks would overwrite each
    other.

    ```mlir
    mirage.output_saver %y omap = {x = 1} : !mirage.tile<2x64xf16>
    ```
  }];
  let arguments = (ins Mirage_TileType:$tile, Mirage_GridMapAttr:$omap);
  let assemblyFormat =
      "$tile `omap` `=` $omap attr-dict `:` qualified(type($tile))";
}

//===----------------------------------------------------------------------===//
// thread_graph and yield
//===----------------------------------------------------------------------===//

def Mirage_ThreadGraphOp : Mirage_Op<"thread_graph", [IsolatedFromAbove,
    RecursiveMemoryEffects]> {
  let summary = "a chain of elementwise ops that each thread applies in registers";
  let description = [{
    A thread graph fuses elementwise ops: every element of the results is
    computed by one thread, reading its operands' elements (broadcast as in
    NumPy) from shared memory once and keeping intermediates in registers.
    Its region's arguments stand for the operands; its ops are elementwise
    mirage ops (unary, binary, mul_scalar, clamp) whose results all have the
    thread graph's iteration shape (that of its results); `mirage.yield`
    returns the results.

    ```mlir
    %y = mirage.thread_graph(%a, %b)
        : (!mirage.tile<8x64xf16>, !mirage.tile<8x64xf16>) -> !mirage.tile<8x64xf16> {
    ^bb0(%ta: !mirage.tile<8x64xf16>, %tb: !mirage.tile<8x64xf16>):
      %s = mirage.silu %ta : !mirage.tile<8x64xf16>
      %p = mirage.mul %s, %tb
          : (!mirage.tile<8x64xf16>, !mirage.tile<8x64xf16>) -> !mirage.tile<8x64xf16>
      mirage.yield %p : !mirage.tile<8x64xf16>
    }
    ```
  }];
  let arguments = (ins Variadic<Mirage_TileType>:$inputs);
  let results = (outs Variadic<Mirage_TileType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasRegionVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "::mlir::TypeRange":$resultTypes,
                   "::mlir::ValueRange":$inputs)>
  ];
}

def Mirage_YieldOp : Mirage_Op<"yield", [Terminator, Pure, ReturnLike,
    HasParent<"ThreadGraphOp">]> {
  let summary = "returns a thread graph's results";
  let arguments = (ins Variadic<Mirage_TileType>:$values);
  let assemblyFormat = "($values^ `:` qualified(type($values)))? attr-dict";
  let builders = [OpBuilder<(ins), [{ build($_builder, $_state, {}); }]>];
}

#endif // MIRAGE_DIALECT_MIRAGE_IR_MIRAGEBLOCKOPS_TD
