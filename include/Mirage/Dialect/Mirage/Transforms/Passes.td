//===- Passes.td - Mirage dialect passes ------------------*- tablegen -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_DIALECT_MIRAGE_TRANSFORMS_PASSES_TD
#define MIRAGE_DIALECT_MIRAGE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def MirageDecompose : Pass<"mirage-decompose", "func::FuncOp"> {
  let summary = "Rewrite composite ops (softmax) into primitive kernel ops";
  let description = [{
    The superoptimizer searches over primitive ops whose abstract expressions
    it understands (the LAX fragment: multilinear ops, division and exp), so
    composite ops are expanded first. `mirage.softmax` along dim `d` becomes

    `softmax(x) = e^x / Σ_d e^x`

    i.e. `exp`, `reduce sum` down to extent 1 along `d`, and a broadcasting
    `div`. This is exactly the function softmax computes: the usual
    subtraction of the row maximum, `e^(x−m) / Σ e^(x−m)`, multiplies
    numerator and denominator by the same `e^(−m)`. The max subtraction is not
    in the LAX fragment, so it is not emitted here; the μGraph optimizer
    reinstates it in the kernels it generates (online softmax), where fp16
    overflow would otherwise occur.

    Before:
    ```mlir
    %p = mirage.softmax %s dim = 2 : tensor<2x256x4096xf16>
    ```
    After:
    ```mlir
    %e = mirage.exp %s : tensor<2x256x4096xf16>
    %z = mirage.reduce sum %e dim = 2
        : (tensor<2x256x4096xf16>) -> tensor<2x256x1xf16>
    %p = mirage.div %e, %z
        : (tensor<2x256x4096xf16>, tensor<2x256x1xf16>) -> tensor<2x256x4096xf16>
    ```
  }];
  let dependentDialects = ["::mlir::mirage::MirageDialect"];
}

def MirageExpandPredefinedKernels
    : Pass<"mirage-expand-predefined-kernels", "func::FuncOp"> {
  let summary = "Rewrite every pre-defined kernel op into a graph-defined kernel";
  let description = [{
    Replaces each kernel-level compute op of a kernel graph with an
    equivalent `mirage.graph_kernel` whose block graph is a sensible default,
    so that one lowering path serves every kernel:

    - `matmul`: a grid over output tiles (x over n, y over m, z over the
      last batch dim) and a for-loop over k; the block graph multiplies an
      (m-tile × k-tile) by a (k-tile × n-tile) per iteration and sums.
    - elementwise ops: a grid over the result's dims (x innermost); each
      block applies the op to its tile. Broadcast operands are replicated.
    - `reduce`: a grid over the kept dims; a long reduced dim is walked by the
      for-loop with a sum or max accumulator.
    - `rms_norm`, `softmax`, `concat`: a grid over the dims they do not work
      along; each block holds whole rows (softmax subtracts the row max).

    Tile extents are the largest divisors of each dim up to a cap (128 on
    the innermost grid axis, 8 and 1 on the next two, 64 for matmul m, n and
    k), shrunk until a tile has at most `max-tile-elements` elements. Every
    block graph gets `threads` threads.

    Before:
    ```mlir
    %y = mirage.exp %x : tensor<8x4096xf16>
    ```
    After:
    ```mlir
    %y = mirage.graph_kernel(%x) grid = [32, 1, 1] block = [128] forloop = 1
        : (tensor<8x4096xf16>) -> tensor<8x4096xf16> {
    ^bb0(%arg0: tensor<8x4096xf16>):
      %t = mirage.input_iterator %arg0 imap = {x = 1}
          : tensor<8x4096xf16> -> !mirage.tile<8x128xf16>
      %e = mirage.exp %t : !mirage.tile<8x128xf16>
      mirage.output_saver %e omap = {x = 1} : !mirage.tile<8x128xf16>
    }
    ```
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"128",
           "Threads per block of every generated kernel">,
    Option<"maxTileElements", "max-tile-elements", "int64_t",
           /*default=*/"8192",
           "Largest tile, in elements, the default block graphs use where "
           "they can split a dim">
  ];
  let dependentDialects = ["::mlir::mirage::MirageDialect"];
}

def MirageSuperoptimize : Pass<"mirage-superoptimize", "func::FuncOp"> {
  let summary = "Search, verify and rank μGraphs; replace the function with the best";
  let description = [{
    The superoptimizer. On a function of kernel-level compute ops (run
    `mirage-decompose` first), it

    1. enumerates, bottom up, the kernel-level ops that can compute the
       target, keeping only ops whose index-aware abstract expression is a
       subexpression of the target's modulo Mirage's axioms (an e-graph
       check), and collects the resulting equivalent kernel graphs;
    2. for each, enumerates partitions of its ops into graph-defined kernels
       and their block graphs (grid axes and sizes, for-loop index and
       range, imaps, fmaps, omaps, accumulators, split reductions), derived
       from the shapes and the target, ranked by an analytic cost model;
    3. verifies the best candidates, cheapest first, with random tests over
       Z_p × Z_q (false-accept probability at most 2^-30) and a float check
       against the reference interpreter; the first that passes replaces the
       function's body.

    docs/superoptimizer.md and docs/verification.md describe the search, the
    cost model and the bound. Results are cached by a hash of the function,
    the options and the target.

    Before:
    ```mlir
    %n = mirage.rms_norm %x normalized_shape = [4096] : tensor<2x4096xf16>
    %y = mirage.matmul %n, %w
        : (tensor<2x4096xf16>, tensor<4096x6144xf16>) -> tensor<2x6144xf16>
    ```
    After: one `mirage.graph_kernel` whose for-loop walks the hidden dim,
    accumulating X·W and Σx², and whose epilogue divides by the RMS.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"sm_90a\"",
           "GPU the cost model ranks kernels for: sm_80 (A100), sm_86 "
           "(A10), sm_89 (L4), sm_90a (H100), h200">,
    Option<"maxKernelOps", "max-kernel-ops", "unsigned", /*default=*/"4",
           "Most kernels in a μGraph">,
    Option<"maxBlockOps", "max-block-ops", "unsigned", /*default=*/"16",
           "Most compute ops in one block graph">,
    Option<"timeBudget", "time-budget", "double", /*default=*/"30.0",
           "Seconds the search may take; the best μGraph found by then is "
           "verified and used">,
    Option<"threads", "threads", "unsigned", /*default=*/"0",
           "Search threads (0: one per core); the result does not depend on "
           "it">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of the verifier's random tests">,
    Option<"cacheDir", "cache-dir", "std::string", /*default=*/"\"\"",
           "Directory of cached results (empty: ~/.cache/mirage-mlir; "
           "'none': no cache)">,
    Option<"verifyMemoryLimit", "verify-memory-limit", "unsigned",
           /*default=*/"1024",
           "MiB that verifying one candidate may hold (16 bytes a value in "
           "Z_p x Z_q, 4 in f32); larger programs are tested piece by piece "
           "with the same bound, a candidate whose pieces cannot be made "
           "small enough is not verified, and the address-space limit "
           "(ulimit -v) lowers the bound">,
    Option<"listCandidates", "list-candidates", "unsigned", /*default=*/"0",
           "Also emit a remark for each of the this many cheapest candidates "
           "(kernels, tilings, estimated cost), to show what the chosen one "
           "beat">
  ];
  let statistics = [
    Statistic<"candidatesExplored", "candidates-explored",
              "Candidate ops and block-graph tilings the search tried">,
    Statistic<"candidatesPruned", "candidates-pruned",
              "Candidates rejected by abstract expressions, indices or "
              "tiling rules">,
    Statistic<"candidatesVerified", "candidates-verified",
              "μGraphs that passed verification">,
    Statistic<"candidatesRejected", "candidates-rejected",
              "μGraphs that failed verification">,
    Statistic<"inputCostNs", "input-cost-ns",
              "Estimated run time of the input, in nanoseconds">,
    Statistic<"chosenCostNs", "chosen-cost-ns",
              "Estimated run time of the chosen μGraph, in nanoseconds">
  ];
  let dependentDialects = ["::mlir::mirage::MirageDialect"];
}

def MirageFormThreadGraphs : Pass<"mirage-form-thread-graphs", "func::FuncOp"> {
  let summary = "Fuse chains of elementwise block-level ops into thread graphs";
  let description = [{
    A μGraph optimizer pass on graph-defined kernels (run it after
    `mirage-superoptimize` and `mirage-safe-softmax`, before lowering). In
    each block graph (the kernel's body and its for-loop body, separately) it
    finds maximal groups of elementwise ops (`exp sqrt rsqrt square silu gelu
    relu sigmoid mul_scalar clamp add sub mul div pow`) and replaces each
    group of two or more with one `mirage.thread_graph`: every thread applies
    the whole chain to its elements in registers, reading the group's
    operands once (broadcast as in NumPy) and storing only its result. The
    intermediates take no shared-memory tile and are not rounded to the
    tile's element type.

    A group grows from its root (the op whose result is used outside the
    group) to producers that

    - are elementwise ops in the same block,
    - produce the root's tile shape (a thread graph has one iteration shape;
      a smaller operand, e.g. a `16x1` row statistic, stays an input), and
    - have every use of their result inside the group (a value used outside
      must be stored as a tile anyway, so it stays a block-level op).

    Other ops (matmul, reduce, rms_norm, concat, input iterators, accumulators)
    end a group. Existing thread graphs are left as they are, so running the
    pass twice changes nothing.

    Before:
    ```mlir
    %s = mirage.silu %a : !mirage.tile<8x64xf16>
    %y = mirage.mul %s, %b
        : (!mirage.tile<8x64xf16>, !mirage.tile<8x64xf16>) -> !mirage.tile<8x64xf16>
    mirage.output_saver %y omap = {x = 1} : !mirage.tile<8x64xf16>
    ```
    After:
    ```mlir
    %y = mirage.thread_graph(%a, %b)
        : (!mirage.tile<8x64xf16>, !mirage.tile<8x64xf16>) -> !mirage.tile<8x64xf16> {
    ^bb0(%ta: !mirage.tile<8x64xf16>, %tb: !mirage.tile<8x64xf16>):
      %s = mirage.silu %ta : !mirage.tile<8x64xf16>
      %m = mirage.mul %s, %tb
          : (!mirage.tile<8x64xf16>, !mirage.tile<8x64xf16>) -> !mirage.tile<8x64xf16>
      mirage.yield %m : !mirage.tile<8x64xf16>
    }
    mirage.output_saver %y omap = {x = 1} : !mirage.tile<8x64xf16>
    ```
  }];
  let statistics = [
    Statistic<"threadGraphsFormed", "thread-graphs-formed",
              "Thread graphs formed">,
    Statistic<"opsFused", "ops-fused",
              "Block-level ops moved into thread graphs">,
    Statistic<"sharedMemorySaved", "shared-memory-saved",
              "Bytes of peak shared memory per block saved, summed over "
              "kernels">
  ];
  let dependentDialects = ["::mlir::mirage::MirageDialect"];
}

def MirageSafeSoftmax : Pass<"mirage-safe-softmax", "func::FuncOp"> {
  let summary = "Subtract the max before exp where exponentials are divided by their sum";
  let description = [{
    A μGraph optimizer pass (run it after `mirage-superoptimize`, before
    `mirage-expand-predefined-kernels`, `mirage-form-thread-graphs` and
    lowering). The superoptimizer verifies
    μGraphs in a fragment without max (docs/verification.md), so the
    attention kernels it finds compute `e^s / Σ e^s` as written, and `e^s`
    overflows f16 (max 65504) once a score exceeds about 11. This pass
    rewrites every `exp` whose results are summed (by `reduce sum` or a
    matmul) into `e^(s − m)`, `m` the max of `s` along the summed dim, and
    rescales what is computed from it so that the function is unchanged
    (docs/mugraph-optimizer.md gives the argument):

    - in a block graph, `s − m` and its exp form a thread graph (no tile for
      the difference); values derived from the exponentials are tracked with
      their factor `e^(−m)` through linear ops (reductions and matmuls along
      dims `m` is constant on, products, quotients, `mul_scalar`);
    - a `sum` accumulator of per-iteration exponentials becomes
      `rescaled_sum` by a new `max` accumulator of the per-iteration maxima
      (online softmax);
    - a kernel that saves partial sums (a FlashDecoding split of the keys
      over the grid) also saves its maxima, and the kernel that adds up the
      chunks with `reduce sum ... size = s` walks them with a for-loop
      instead: `max` of the chunk maxima and `rescaled_sum` of each chunk's
      partial sums, i.e. each chunk is rescaled by `e^(m_chunk − m_global)`.
      Which max belongs to which partial sum is checked element by element
      through both kernels' imaps and omaps;
    - the factors must cancel (the program divides by the sum) before
      anything is returned.

    Each exp is rewritten on a copy of the function that replaces it only if
    every step succeeds and the result verifies (shared memory included);
    otherwise the exp is left as it was with a warning saying why. Exps
    already in the form `exp(s − reduce_max(s))`, exps inside thread graphs
    and exps whose results are not summed are left alone, so running the
    pass twice changes nothing. Kernel-level (pre-defined) `exp`, `reduce`,
    `div` chains are stabilised too.

    Before (one kernel, for-loop over the keys):
    ```mlir
    %l, %o = mirage.for_loop {
      ...
      %e = mirage.exp %s : !mirage.tile<16x64xf16>
      %li = mirage.reduce sum %e dim = 1 : (!mirage.tile<16x64xf16>) -> !mirage.tile<16x1xf16>
      %oi = mirage.matmul %e, %vt : (!mirage.tile<16x64xf16>, !mirage.tile<64x64xf16>) -> !mirage.tile<16x64xf16>
      mirage.accumulate sum(%li), sum(%oi) : !mirage.tile<16x1xf16>, !mirage.tile<16x64xf16>
    }
    %out = mirage.div %o, %l : (!mirage.tile<16x64xf16>, !mirage.tile<16x1xf16>) -> !mirage.tile<16x64xf16>
    ```
    After:
    ```mlir
    %l, %o, %m = mirage.for_loop {
      ...
      %mi = mirage.reduce max %s dim = 1 : (!mirage.tile<16x64xf16>) -> !mirage.tile<16x1xf16>
      %e = mirage.thread_graph(%s, %mi) : (!mirage.tile<16x64xf16>, !mirage.tile<16x1xf16>) -> !mirage.tile<16x64xf16> {
      ^bb0(%a: !mirage.tile<16x64xf16>, %b: !mirage.tile<16x1xf16>):
        %d = mirage.sub %a, %b : (!mirage.tile<16x64xf16>, !mirage.tile<16x1xf16>) -> !mirage.tile<16x64xf16>
        %x = mirage.exp %d : !mirage.tile<16x64xf16>
        mirage.yield %x : !mirage.tile<16x64xf16>
      }
      %li = mirage.reduce sum %e dim = 1 : (!mirage.tile<16x64xf16>) -> !mirage.tile<16x1xf16>
      %oi = mirage.matmul %e, %vt : (!mirage.tile<16x64xf16>, !mirage.tile<64x64xf16>) -> !mirage.tile<16x64xf16>
      mirage.accumulate rescaled_sum(%li, by = 2), rescaled_sum(%oi, by = 2), max(%mi)
          : !mirage.tile<16x1xf16>, !mirage.tile<16x64xf16>, !mirage.tile<16x1xf16>
    }
    %out = mirage.div %o, %l : (!mirage.tile<16x64xf16>, !mirage.tile<16x1xf16>) -> !mirage.tile<16x64xf16>
    ```
  }];
  let statistics = [
    Statistic<"expsStabilised", "exps-stabilised",
              "Exps rewritten to subtract their max">,
    Statistic<"combinesRescaled", "combines-rescaled",
              "Kernels that add up chunks of partial sums, rewritten to "
              "rescale them by their chunk's max">
  ];
  let dependentDialects = ["::mlir::mirage::MirageDialect"];
}

def MirageScheduleBlockGraphs
    : Pass<"mirage-schedule-block-graphs", "func::FuncOp"> {
  let summary = "Reorder the ops of each block graph so that its GPU code "
                "needs fewer barriers";
  let description = [{
    A μGraph optimizer pass (run it after `mirage-form-thread-graphs`, before
    `convert-mirage-to-gpu`). `mirage-map-tiles-to-threads` puts a barrier
    before a tile op only where a thread may read or overwrite shared bytes
    another thread wrote or read since the last barrier: the fewest for the
    block graph's op order, which is whatever order the superoptimizer or
    the user wrote. This pass picks the order.

    It models the lowering of each block graph: the linalg ops
    `convert-mirage-to-gpu` emits for each block-graph op, which thread owns
    which element of each shared tile they access (cyclic over the op's
    parallel extents for identity accesses, mma.sync's layout for tensor-core
    accumulators, any thread otherwise), and where each tile lives for that
    order as `convert-mirage-to-gpu`'s SharedMemoryAssignment says (private
    or shared, byte offsets, row padding, double-buffered loop tiles), and
    places barriers as `mirage-map-tiles-to-threads` does.
    Then it list-schedules the kernel body (the for-loop is one unit) and the
    loop body: ops that need no barrier first, in the original order; ops
    whose own barriers (an `rms_norm` has two inside) then also cover what is
    pending; a barrier only when no ready op can go without one. Operands
    come before their users and output savers keep their order.

    The new order is kept only if the model predicts that a thread block
    executes fewer barriers (a loop body's once per iteration) and the
    shared-memory plan still fits the target with as many blocks resident
    per SM as before (the cost model's occupancy; `preserve-plan-size`: only
    if the plan is no larger), since an op scheduled early keeps its tile
    alive longer. Otherwise, and for block graphs already in the order the
    scheduler picks, nothing changes; a second run takes another order only
    if the model finds a strictly better one.
    docs/mugraph-optimizer.md describes the model, its limits and the
    barriers saved on the benchmarks.

    Before: two independent chains, each a reduction and a division by it;
    every op waits for the one before it (5 barriers):
    ```mlir
    %a = mirage.input_iterator %X ... -> !mirage.tile<16x64xf16>
    %b = mirage.input_iterator %Y ... -> !mirage.tile<16x64xf16>
    %sa = mirage.reduce sum %a dim = 1 ...   // barrier: %a was just copied in
    %da = mirage.div %a, %sa ...             // barrier
    %sb = mirage.reduce sum %b dim = 1 ...   // barrier: the plan puts %sb
                                             // in the bytes of %sa
    %db = mirage.div %b, %sb ...             // barrier
    mirage.output_saver %da ...
    mirage.output_saver %db ...              // barrier
    ```
    After: the chains share their barriers (3):
    ```mlir
    %a = mirage.input_iterator %X ...
    %b = mirage.input_iterator %Y ...
    %sa = mirage.reduce sum %a dim = 1 ...   // barrier
    %sb = mirage.reduce sum %b dim = 1 ...
    %da = mirage.div %a, %sa ...             // barrier
    %db = mirage.div %b, %sb ...
    mirage.output_saver %da ...              // barrier
    mirage.output_saver %db ...
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"\"",
           "GPU whose shared-memory limit the lowering applies (sm_80, "
           "sm_86, sm_89, sm_90a, h200; empty: the module's mirage.target, "
           "else sm_90a), "
           "as convert-mirage-to-gpu's option of the same name">,
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"true",
           "Model matmuls on tensor cores as mirage-map-tiles-to-threads "
           "does with its option of the same name">,
    Option<"doubleBuffer", "double-buffer", "bool", /*default=*/"true",
           "Model double-buffered for-loop tiles as convert-mirage-to-gpu "
           "does with its option of the same name">,
    Option<"preservePlanSize", "preserve-plan-size", "bool",
           /*default=*/"false",
           "Keep an order only if its shared-memory plan is no larger than "
           "the original's (by default: if it fits and lets as many blocks "
           "reside per SM)">
  ];
  let statistics = [
    Statistic<"kernelsReordered", "kernels-reordered",
              "Graph-defined kernels whose ops were reordered">,
    Statistic<"kernelsKeptForSharedMemory", "kernels-kept-for-shared-memory",
              "Kernels left in their order because every order with fewer "
              "barriers needs more shared memory">,
    Statistic<"barriersBefore", "barriers-before",
              "Barriers the lowering needs before the pass (modelled, static "
              "count, summed over kernels)">,
    Statistic<"barriersAfter", "barriers-after",
              "Barriers the lowering needs after the pass (modelled, static "
              "count, summed over kernels)">
  ];
  let dependentDialects = ["::mlir::mirage::MirageDialect"];
}

#endif // MIRAGE_DIALECT_MIRAGE_TRANSFORMS_PASSES_TD
