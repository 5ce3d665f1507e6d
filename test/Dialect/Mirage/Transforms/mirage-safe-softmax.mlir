// RUN: mirage-opt %s --split-input-file --mirage-safe-softmax --verify-diagnostics | FileCheck %s
// Idempotent: a second run changes nothing.
// RUN: mirage-opt %s --split-input-file --mirage-safe-softmax -o %t.once.mlir 2> /dev/null
// RUN: mirage-opt %t.once.mlir --split-input-file --mirage-safe-softmax | diff %t.once.mlir -

// Kernel level (pre-defined kernels): the max along the summed dim is
// subtracted before exp; the division cancels e^(−m).
// CHECK-LABEL: func.func @kernel_level
// CHECK-SAME: (%[[S:.*]]: tensor<4x64xf16>)
// CHECK-NEXT: %[[M:.*]] = mirage.reduce max %[[S]] dim = 1 : (tensor<4x64xf16>) -> tensor<4x1xf16>
// CHECK-NEXT: %[[D:.*]] = mirage.sub %[[S]], %[[M]] : (tensor<4x64xf16>, tensor<4x1xf16>) -> tensor<4x64xf16>
// CHECK-NEXT: %[[E:.*]] = mirage.exp %[[D]] : tensor<4x64xf16>
// CHECK-NEXT: %[[Z:.*]] = mirage.reduce sum %[[E]] dim = 1
// CHECK-NEXT: %[[P:.*]] = mirage.div %[[E]], %[[Z]]
// CHECK-NEXT: return %[[P]]
func.func @kernel_level(%s: tensor<4x64xf16>) -> tensor<4x64xf16> {
  %e = mirage.exp %s : tensor<4x64xf16>
  %z = mirage.reduce sum %e dim = 1 : (tensor<4x64xf16>) -> tensor<4x1xf16>
  %p = mirage.div %e, %z : (tensor<4x64xf16>, tensor<4x1xf16>) -> tensor<4x64xf16>
  return %p : tensor<4x64xf16>
}

// -----

// One kernel, no for-loop: s − m and its exp form a thread graph (the
// difference needs no tile); the epilogue's division cancels the factor.
// CHECK-LABEL: func.func @block_no_loop
// CHECK: %[[S:.*]] = mirage.matmul
// CHECK-NEXT: %[[M:.*]] = mirage.reduce max %[[S]] dim = 2 : (!mirage.tile<1x8x64xf16>) -> !mirage.tile<1x8x1xf16>
// CHECK-NEXT: %[[E:.*]] = mirage.thread_graph(%[[S]], %[[M]]) : (!mirage.tile<1x8x64xf16>, !mirage.tile<1x8x1xf16>) -> !mirage.tile<1x8x64xf16> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: !mirage.tile<1x8x64xf16>, %[[B:.*]]: !mirage.tile<1x8x1xf16>):
// CHECK-NEXT: %[[D:.*]] = mirage.sub %[[A]], %[[B]]
// CHECK-NEXT: %[[X:.*]] = mirage.exp %[[D]]
// CHECK-NEXT: mirage.yield %[[X]]
// CHECK-NEXT: }
// CHECK-NEXT: %[[Z:.*]] = mirage.reduce sum %[[E]] dim = 2
// CHECK-NEXT: %[[O:.*]] = mirage.matmul %[[E]], %{{.*}}
// CHECK-NEXT: %[[R:.*]] = mirage.div %[[O]], %[[Z]]
// CHECK-NEXT: mirage.output_saver %[[R]] omap = {x = 0}
// CHECK-NOT: mirage.output_saver
func.func @block_no_loop(%q: tensor<2x8x16xf16>, %k: tensor<2x16x64xf16>, %v: tensor<2x64x16xf16>) -> tensor<2x8x16xf16> {
  %y = mirage.graph_kernel(%q, %k, %v) grid = [2, 1, 1] block = [128] forloop = 1
      : (tensor<2x8x16xf16>, tensor<2x16x64xf16>, tensor<2x64x16xf16>) -> tensor<2x8x16xf16> {
  ^bb0(%Q: tensor<2x8x16xf16>, %K: tensor<2x16x64xf16>, %V: tensor<2x64x16xf16>):
    %qt = mirage.input_iterator %Q imap = {x = 0} : tensor<2x8x16xf16> -> !mirage.tile<1x8x16xf16>
    %kt = mirage.input_iterator %K imap = {x = 0} : tensor<2x16x64xf16> -> !mirage.tile<1x16x64xf16>
    %vt = mirage.input_iterator %V imap = {x = 0} : tensor<2x64x16xf16> -> !mirage.tile<1x64x16xf16>
    %s = mirage.matmul %qt, %kt : (!mirage.tile<1x8x16xf16>, !mirage.tile<1x16x64xf16>) -> !mirage.tile<1x8x64xf16>
    %e = mirage.exp %s : !mirage.tile<1x8x64xf16>
    %z = mirage.reduce sum %e dim = 2 : (!mirage.tile<1x8x64xf16>) -> !mirage.tile<1x8x1xf16>
    %o = mirage.matmul %e, %vt : (!mirage.tile<1x8x64xf16>, !mirage.tile<1x64x16xf16>) -> !mirage.tile<1x8x16xf16>
    %r = mirage.div %o, %z : (!mirage.tile<1x8x16xf16>, !mirage.tile<1x8x1xf16>) -> !mirage.tile<1x8x16xf16>
    mirage.output_saver %r omap = {x = 0} : !mirage.tile<1x8x16xf16>
  }
  return %y : tensor<2x8x16xf16>
}

// -----

// The for-loop walks the keys: the per-iteration max becomes a max
// accumulator and the sums become rescaled sums by it (online softmax).
// CHECK-LABEL: func.func @online_softmax
// CHECK: %[[ACC:.*]]:3 = mirage.for_loop {
// CHECK: %[[S:.*]] = mirage.matmul
// CHECK-NEXT: %[[M:.*]] = mirage.reduce max %[[S]] dim = 2
// CHECK-NEXT: %[[E:.*]] = mirage.thread_graph(%[[S]], %[[M]])
// CHECK: %[[L:.*]] = mirage.reduce sum %[[E]] dim = 2
// CHECK-NEXT: %[[O:.*]] = mirage.matmul %[[E]], %{{.*}}
// CHECK-NEXT: mirage.accumulate rescaled_sum(%[[L]], by = 2), rescaled_sum(%[[O]], by = 2), max(%[[M]]) : !mirage.tile<1x4x1xf16>, !mirage.tile<1x4x16xf16>, !mirage.tile<1x4x1xf16>
// CHECK-NEXT: }
// CHECK-NEXT: %[[R:.*]] = mirage.div %[[ACC]]#1, %[[ACC]]#0
// CHECK-NEXT: mirage.output_saver %[[R]] omap = {x = 0}
// CHECK-NOT: mirage.output_saver
func.func @online_softmax(%q: tensor<2x4x16xf16>, %k: tensor<2x16x64xf16>, %v: tensor<2x64x16xf16>) -> tensor<2x4x16xf16> {
  %y = mirage.graph_kernel(%q, %k, %v) grid = [2, 1, 1] block = [128] forloop = 4
      : (tensor<2x4x16xf16>, tensor<2x16x64xf16>, tensor<2x64x16xf16>) -> tensor<2x4x16xf16> {
  ^bb0(%Q: tensor<2x4x16xf16>, %K: tensor<2x16x64xf16>, %V: tensor<2x64x16xf16>):
    %qt = mirage.input_iterator %Q imap = {x = 0} : tensor<2x4x16xf16> -> !mirage.tile<1x4x16xf16>
    %l, %o = mirage.for_loop {
      %kt = mirage.input_iterator %K imap = {x = 0} fmap = 2 : tensor<2x16x64xf16> -> !mirage.tile<1x16x16xf16>
      %vt = mirage.input_iterator %V imap = {x = 0} fmap = 1 : tensor<2x64x16xf16> -> !mirage.tile<1x16x16xf16>
      %s = mirage.matmul %qt, %kt : (!mirage.tile<1x4x16xf16>, !mirage.tile<1x16x16xf16>) -> !mirage.tile<1x4x16xf16>
      %e = mirage.exp %s : !mirage.tile<1x4x16xf16>
      %li = mirage.reduce sum %e dim = 2 : (!mirage.tile<1x4x16xf16>) -> !mirage.tile<1x4x1xf16>
      %oi = mirage.matmul %e, %vt : (!mirage.tile<1x4x16xf16>, !mirage.tile<1x16x16xf16>) -> !mirage.tile<1x4x16xf16>
      mirage.accumulate sum(%li), sum(%oi) : !mirage.tile<1x4x1xf16>, !mirage.tile<1x4x16xf16>
    }
    %out = mirage.div %o, %l : (!mirage.tile<1x4x16xf16>, !mirage.tile<1x4x1xf16>) -> !mirage.tile<1x4x16xf16>
    mirage.output_saver %out omap = {x = 0} : !mirage.tile<1x4x16xf16>
  }
  return %y : tensor<2x4x16xf16>
}

// -----

// FlashDecoding, as the superoptimizer emits it: kernel 1 splits the keys
// over grid y and writes partial Σexp and exp·V per chunk; kernel 2 adds
// the chunks (reduce ... size = s) and divides. Kernel 1 now also saves its
// maxima (laid out like the partial sums); kernel 2 walks the 4 chunks with
// a for-loop: a max accumulator finds the overall max and rescaled sums
// rescale each chunk by e^(m_chunk − m).
// CHECK-LABEL: func.func @flash_decoding
// CHECK: %[[P:.*]]:3 = mirage.graph_kernel(%{{.*}}, %{{.*}}, %{{.*}}) grid = [4, 4, 1] block = [128] forloop = 4 : ({{.*}}) -> (tensor<4x2x4xf16>, tensor<4x2x64xf16>, tensor<4x2x4xf16>) {
// CHECK: %[[ACC:.*]]:3 = mirage.for_loop {
// CHECK: mirage.accumulate rescaled_sum(%{{.*}}, by = 2), rescaled_sum(%{{.*}}, by = 2), max(%{{.*}})
// CHECK: mirage.output_saver %[[ACC]]#0 omap = {x = 0, y = 2} : !mirage.tile<1x2x1xf16>
// CHECK-NEXT: mirage.output_saver %[[ACC]]#1 omap = {x = 0, y = 2} : !mirage.tile<1x2x16xf16>
// CHECK-NEXT: mirage.output_saver %[[ACC]]#2 omap = {x = 0, y = 2} : !mirage.tile<1x2x1xf16>
// CHECK: mirage.graph_kernel(%[[P]]#0, %[[P]]#1, %[[P]]#2) grid = [4, 1, 1] block = [128] forloop = 4
// CHECK-NEXT: ^bb0(%[[Z:.*]]: tensor<4x2x4xf16>, %[[O:.*]]: tensor<4x2x64xf16>, %[[MAX:.*]]: tensor<4x2x4xf16>):
// CHECK-NEXT: %[[C:.*]]:3 = mirage.for_loop {
// CHECK-NEXT: %[[MT:.*]] = mirage.input_iterator %[[MAX]] imap = {x = 0} fmap = 2 : tensor<4x2x4xf16> -> !mirage.tile<1x2x1xf16>
// CHECK-NEXT: %[[ZT:.*]] = mirage.input_iterator %[[Z]] imap = {x = 0} fmap = 2 : tensor<4x2x4xf16> -> !mirage.tile<1x2x1xf16>
// CHECK-NEXT: %[[OT:.*]] = mirage.input_iterator %[[O]] imap = {x = 0} fmap = 2 : tensor<4x2x64xf16> -> !mirage.tile<1x2x16xf16>
// CHECK-NEXT: mirage.accumulate max(%[[MT]]), rescaled_sum(%[[ZT]], by = 0), rescaled_sum(%[[OT]], by = 0)
// CHECK-NEXT: }
// CHECK-NEXT: %[[R:.*]] = mirage.div %[[C]]#2, %[[C]]#1
// CHECK-NEXT: mirage.output_saver %[[R]] omap = {x = 0}
// CHECK-NOT: mirage.reduce sum
func.func @flash_decoding(%q: tensor<4x2x16xf16>, %k: tensor<4x16x256xf16>, %v: tensor<4x256x16xf16>) -> tensor<4x2x16xf16> {
  %partial_sum, %partial_out = mirage.graph_kernel(%q, %k, %v)
      grid = [4, 4, 1] block = [128] forloop = 4
      : (tensor<4x2x16xf16>, tensor<4x16x256xf16>, tensor<4x256x16xf16>)
        -> (tensor<4x2x4xf16>, tensor<4x2x64xf16>) {
  ^bb0(%Q: tensor<4x2x16xf16>, %K: tensor<4x16x256xf16>, %V: tensor<4x256x16xf16>):
    %qt = mirage.input_iterator %Q imap = {x = 0} : tensor<4x2x16xf16> -> !mirage.tile<1x2x16xf16>
    %z, %o = mirage.for_loop {
      %kt = mirage.input_iterator %K imap = {x = 0, y = 2} fmap = 2 : tensor<4x16x256xf16> -> !mirage.tile<1x16x16xf16>
      %vt = mirage.input_iterator %V imap = {x = 0, y = 1} fmap = 1 : tensor<4x256x16xf16> -> !mirage.tile<1x16x16xf16>
      %s = mirage.matmul %qt, %kt : (!mirage.tile<1x2x16xf16>, !mirage.tile<1x16x16xf16>) -> !mirage.tile<1x2x16xf16>
      %e = mirage.exp %s : !mirage.tile<1x2x16xf16>
      %sum = mirage.reduce sum %e dim = 2 : (!mirage.tile<1x2x16xf16>) -> !mirage.tile<1x2x1xf16>
      %pv = mirage.matmul %e, %vt : (!mirage.tile<1x2x16xf16>, !mirage.tile<1x16x16xf16>) -> !mirage.tile<1x2x16xf16>
      mirage.accumulate sum(%sum), sum(%pv) : !mirage.tile<1x2x1xf16>, !mirage.tile<1x2x16xf16>
    }
    mirage.output_saver %z omap = {x = 0, y = 2} : !mirage.tile<1x2x1xf16>
    mirage.output_saver %o omap = {x = 0, y = 2} : !mirage.tile<1x2x16xf16>
  }
  %out = mirage.graph_kernel(%partial_sum, %partial_out)
      grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<4x2x4xf16>, tensor<4x2x64xf16>) -> tensor<4x2x16xf16> {
  ^bb0(%Z: tensor<4x2x4xf16>, %O: tensor<4x2x64xf16>):
    %zt = mirage.input_iterator %Z imap = {x = 0} : tensor<4x2x4xf16> -> !mirage.tile<1x2x4xf16>
    %ot = mirage.input_iterator %O imap = {x = 0} : tensor<4x2x64xf16> -> !mirage.tile<1x2x64xf16>
    %zsum = mirage.reduce sum %zt dim = 2 : (!mirage.tile<1x2x4xf16>) -> !mirage.tile<1x2x1xf16>
    %osum = mirage.reduce sum %ot dim = 2 size = 16 : (!mirage.tile<1x2x64xf16>) -> !mirage.tile<1x2x16xf16>
    %r = mirage.div %osum, %zsum : (!mirage.tile<1x2x16xf16>, !mirage.tile<1x2x1xf16>) -> !mirage.tile<1x2x16xf16>
    mirage.output_saver %r omap = {x = 0} : !mirage.tile<1x2x16xf16>
  }
  return %out : tensor<4x2x16xf16>
}

// -----

// The chunks laid out along different dims (partial exp·V along dim 0, as
// in the superoptimized MQA; partial sums along dim 2): one tile of maxima,
// saved like the first partial result, serves both; each of its elements is
// checked to be the max of the chunk and row it is paired with.
// CHECK-LABEL: func.func @chunks_along_different_dims
// CHECK: -> (tensor<4x16x8xf16>, tensor<1x16x4xf16>, tensor<4x16x1xf16>)
// CHECK: mirage.output_saver %{{.*}} omap = {x = 0, y = 1} : !mirage.tile<1x4x1xf16>
// CHECK: grid = [16, 1, 1] block = [128] forloop = 4
// CHECK-NEXT: ^bb0(%[[O:.*]]: tensor<4x16x8xf16>, %[[Z:.*]]: tensor<1x16x4xf16>, %[[MAX:.*]]: tensor<4x16x1xf16>):
// CHECK-NEXT: mirage.for_loop {
// CHECK-NEXT: mirage.input_iterator %[[MAX]] imap = {x = 1} fmap = 0 : tensor<4x16x1xf16> -> !mirage.tile<1x1x1xf16>
// CHECK-NEXT: mirage.input_iterator %[[O]] imap = {x = 1} fmap = 0 : tensor<4x16x8xf16> -> !mirage.tile<1x1x8xf16>
// CHECK-NEXT: mirage.input_iterator %[[Z]] imap = {x = 1} fmap = 2 : tensor<1x16x4xf16> -> !mirage.tile<1x1x1xf16>
// CHECK-NEXT: mirage.accumulate max
func.func @chunks_along_different_dims(%q: tensor<1x16x8xf16>, %k: tensor<1x8x64xf16>, %v: tensor<1x64x8xf16>) -> tensor<1x16x8xf16> {
  %po, %pz = mirage.graph_kernel(%q, %k, %v) grid = [4, 4, 1] block = [128] forloop = 1
      : (tensor<1x16x8xf16>, tensor<1x8x64xf16>, tensor<1x64x8xf16>) -> (tensor<4x16x8xf16>, tensor<1x16x4xf16>) {
  ^bb0(%Q: tensor<1x16x8xf16>, %K: tensor<1x8x64xf16>, %V: tensor<1x64x8xf16>):
    %qt = mirage.input_iterator %Q imap = {y = 1} : tensor<1x16x8xf16> -> !mirage.tile<1x4x8xf16>
    %kt = mirage.input_iterator %K imap = {x = 2} : tensor<1x8x64xf16> -> !mirage.tile<1x8x16xf16>
    %vt = mirage.input_iterator %V imap = {x = 1} : tensor<1x64x8xf16> -> !mirage.tile<1x16x8xf16>
    %s = mirage.matmul %qt, %kt : (!mirage.tile<1x4x8xf16>, !mirage.tile<1x8x16xf16>) -> !mirage.tile<1x4x16xf16>
    %e = mirage.exp %s : !mirage.tile<1x4x16xf16>
    %o = mirage.matmul %e, %vt : (!mirage.tile<1x4x16xf16>, !mirage.tile<1x16x8xf16>) -> !mirage.tile<1x4x8xf16>
    %z = mirage.reduce sum %e dim = 2 : (!mirage.tile<1x4x16xf16>) -> !mirage.tile<1x4x1xf16>
    mirage.output_saver %o omap = {x = 0, y = 1} : !mirage.tile<1x4x8xf16>
    mirage.output_saver %z omap = {x = 2, y = 1} : !mirage.tile<1x4x1xf16>
  }
  %out = mirage.graph_kernel(%po, %pz) grid = [16, 1, 1] block = [128] forloop = 1
      : (tensor<4x16x8xf16>, tensor<1x16x4xf16>) -> tensor<1x16x8xf16> {
  ^bb0(%O: tensor<4x16x8xf16>, %Z: tensor<1x16x4xf16>):
    %ot = mirage.input_iterator %O imap = {x = 1} : tensor<4x16x8xf16> -> !mirage.tile<4x1x8xf16>
    %osum = mirage.reduce sum %ot dim = 0 : (!mirage.tile<4x1x8xf16>) -> !mirage.tile<1x1x8xf16>
    %zt = mirage.input_iterator %Z imap = {x = 1} : tensor<1x16x4xf16> -> !mirage.tile<1x1x4xf16>
    %zsum = mirage.reduce sum %zt dim = 2 : (!mirage.tile<1x1x4xf16>) -> !mirage.tile<1x1x1xf16>
    %r = mirage.div %osum, %zsum : (!mirage.tile<1x1x8xf16>, !mirage.tile<1x1x1xf16>) -> !mirage.tile<1x1x8xf16>
    mirage.output_saver %r omap = {x = 1} : !mirage.tile<1x1x8xf16>
  }
  return %out : tensor<1x16x8xf16>
}

// -----

// Already stable (the hand-written online-softmax form): left alone.
// CHECK-LABEL: func.func @already_stable
// CHECK-COUNT-1: mirage.reduce max
// CHECK-NOT: mirage.reduce max
// CHECK: mirage.accumulate max(%{{.*}}), rescaled_sum(%{{.*}}, by = 0)
// CHECK-NOT: mirage.thread_graph
func.func @already_stable(%q: tensor<1x4x16xf16>, %k: tensor<1x16x64xf16>) -> tensor<1x4x1xf16> {
  %y = mirage.graph_kernel(%q, %k) grid = [1, 1, 1] block = [128] forloop = 4
      : (tensor<1x4x16xf16>, tensor<1x16x64xf16>) -> tensor<1x4x1xf16> {
  ^bb0(%Q: tensor<1x4x16xf16>, %K: tensor<1x16x64xf16>):
    %qt = mirage.input_iterator %Q imap = {} : tensor<1x4x16xf16> -> !mirage.tile<1x4x16xf16>
    %m, %l = mirage.for_loop {
      %kt = mirage.input_iterator %K imap = {} fmap = 2 : tensor<1x16x64xf16> -> !mirage.tile<1x16x16xf16>
      %s = mirage.matmul %qt, %kt : (!mirage.tile<1x4x16xf16>, !mirage.tile<1x16x16xf16>) -> !mirage.tile<1x4x16xf16>
      %mi = mirage.reduce max %s dim = 2 : (!mirage.tile<1x4x16xf16>) -> !mirage.tile<1x4x1xf16>
      %d = mirage.sub %s, %mi : (!mirage.tile<1x4x16xf16>, !mirage.tile<1x4x1xf16>) -> !mirage.tile<1x4x16xf16>
      %e = mirage.exp %d : !mirage.tile<1x4x16xf16>
      %li = mirage.reduce sum %e dim = 2 : (!mirage.tile<1x4x16xf16>) -> !mirage.tile<1x4x1xf16>
      mirage.accumulate max(%mi), rescaled_sum(%li, by = 0) : !mirage.tile<1x4x1xf16>, !mirage.tile<1x4x1xf16>
    }
    %r = mirage.div %l, %l : (!mirage.tile<1x4x1xf16>, !mirage.tile<1x4x1xf16>) -> !mirage.tile<1x4x1xf16>
    mirage.output_saver %r omap = {} : !mirage.tile<1x4x1xf16>
  }
  return %y : tensor<1x4x1xf16>
}

// -----

// Not a softmax: the exponentials are never summed (saved as they are), so
// there is nothing to stabilise and nothing is said.
// CHECK-LABEL: func.func @not_summed
// CHECK: mirage.exp %{{.*}} : !mirage.tile<8x16xf16>
// CHECK-NOT: mirage.reduce max
func.func @not_summed(%x: tensor<8x64xf16>) -> tensor<8x64xf16> {
  %y = mirage.graph_kernel(%x) grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<8x64xf16>) -> tensor<8x64xf16> {
  ^bb0(%X: tensor<8x64xf16>):
    %t = mirage.input_iterator %X imap = {x = 1} : tensor<8x64xf16> -> !mirage.tile<8x16xf16>
    %e = mirage.exp %t : !mirage.tile<8x16xf16>
    mirage.output_saver %e omap = {x = 1} : !mirage.tile<8x16xf16>
  }
  return %y : tensor<8x64xf16>
}

// -----

// Summed but never divided by the sum (exp(X·A)·B, as in MoE): the result
// would keep the factor e^(−m), so the exp is left alone, with a warning.
// CHECK-LABEL: func.func @not_normalised
// CHECK-NOT: mirage.reduce max
func.func @not_normalised(%x: tensor<8x64xf16>, %b: tensor<64x8xf16>) -> tensor<8x8xf16> {
  // expected-warning @+1 {{exp left without max subtraction (fp16 may overflow): the function would return exponentials scaled by e^(−max)}}
  %e = mirage.exp %x : tensor<8x64xf16>
  %y = mirage.matmul %e, %b : (tensor<8x64xf16>, tensor<64x8xf16>) -> tensor<8x8xf16>
  // expected-note @+1 {{here}}
  return %y : tensor<8x8xf16>
}

// -----

// An op that is not linear in the exponentials (relu of a sum) stops the
// rewrite; the function is left exactly as it was.
// CHECK-LABEL: func.func @not_linear
// CHECK-NOT: mirage.reduce max
// CHECK-NOT: mirage.thread_graph
func.func @not_linear(%x: tensor<8x64xf16>) -> tensor<8x1xf16> {
  %y = mirage.graph_kernel(%x) grid = [8, 1, 1] block = [128] forloop = 1
      : (tensor<8x64xf16>) -> tensor<8x1xf16> {
  ^bb0(%X: tensor<8x64xf16>):
    %t = mirage.input_iterator %X imap = {x = 0} : tensor<8x64xf16> -> !mirage.tile<1x64xf16>
    // expected-warning @+1 {{exp left without max subtraction (fp16 may overflow): 'mirage.relu' is not linear in the exponentials it reads, so their max cannot be factored out of it}}
    %e = mirage.exp %t : !mirage.tile<1x64xf16>
    %z = mirage.reduce sum %e dim = 1 : (!mirage.tile<1x64xf16>) -> !mirage.tile<1x1xf16>
    // expected-note @+1 {{here}}
    %r = mirage.relu %z : !mirage.tile<1x1xf16>
    %d = mirage.div %r, %z : (!mirage.tile<1x1xf16>, !mirage.tile<1x1xf16>) -> !mirage.tile<1x1xf16>
    mirage.output_saver %d omap = {x = 0} : !mirage.tile<1x1xf16>
  }
  return %y : tensor<8x1xf16>
}

// -----

// The combining kernel adds the 16-wide chunks in pairs (size = 32): each
// loop step would hold two chunks with different maxima, so no tile of
// maxima can be paired with it; nothing is rewritten.
// CHECK-LABEL: func.func @chunks_mismatch
// CHECK-NOT: mirage.reduce max
// CHECK-NOT: mirage.accumulate
func.func @chunks_mismatch(%q: tensor<1x2x16xf16>, %k: tensor<1x16x64xf16>, %v: tensor<1x64x16xf16>) -> tensor<1x2x32xf16> {
  %pz, %po = mirage.graph_kernel(%q, %k, %v) grid = [1, 4, 1] block = [128] forloop = 1
      : (tensor<1x2x16xf16>, tensor<1x16x64xf16>, tensor<1x64x16xf16>) -> (tensor<1x2x4xf16>, tensor<1x2x64xf16>) {
  ^bb0(%Q: tensor<1x2x16xf16>, %K: tensor<1x16x64xf16>, %V: tensor<1x64x16xf16>):
    %qt = mirage.input_iterator %Q imap = {} : tensor<1x2x16xf16> -> !mirage.tile<1x2x16xf16>
    %kt = mirage.input_iterator %K imap = {y = 2} : tensor<1x16x64xf16> -> !mirage.tile<1x16x16xf16>
    %vt = mirage.input_iterator %V imap = {y = 1} : tensor<1x64x16xf16> -> !mirage.tile<1x16x16xf16>
    %s = mirage.matmul %qt, %kt : (!mirage.tile<1x2x16xf16>, !mirage.tile<1x16x16xf16>) -> !mirage.tile<1x2x16xf16>
    // expected-warning @+1 {{exp left without max subtraction (fp16 may overflow): the chunks the combining kernel adds up do not match the producer's blocks: the maxima do not broadcast to one chunk}}
    %e = mirage.exp %s : !mirage.tile<1x2x16xf16>
    %z = mirage.reduce sum %e dim = 2 : (!mirage.tile<1x2x16xf16>) -> !mirage.tile<1x2x1xf16>
    %o = mirage.matmul %e, %vt : (!mirage.tile<1x2x16xf16>, !mirage.tile<1x16x16xf16>) -> !mirage.tile<1x2x16xf16>
    mirage.output_saver %z omap = {y = 2} : !mirage.tile<1x2x1xf16>
    mirage.output_saver %o omap = {y = 2} : !mirage.tile<1x2x16xf16>
  }
  %out = mirage.graph_kernel(%pz, %po) grid = [1, 1, 1] block = [128] forloop = 1
      : (tensor<1x2x4xf16>, tensor<1x2x64xf16>) -> tensor<1x2x32xf16> {
  ^bb0(%Z: tensor<1x2x4xf16>, %O: tensor<1x2x64xf16>):
    %zt = mirage.input_iterator %Z imap = {} : tensor<1x2x4xf16> -> !mirage.tile<1x2x4xf16>
    %ot = mirage.input_iterator %O imap = {} : tensor<1x2x64xf16> -> !mirage.tile<1x2x64xf16>
    // expected-note @+1 {{here}}
    %zsum = mirage.reduce sum %zt dim = 2 size = 2 : (!mirage.tile<1x2x4xf16>) -> !mirage.tile<1x2x2xf16>
    %osum = mirage.reduce sum %ot dim = 2 size = 32 : (!mirage.tile<1x2x64xf16>) -> !mirage.tile<1x2x32xf16>
    %zz = mirage.reduce sum %zsum dim = 2 : (!mirage.tile<1x2x2xf16>) -> !mirage.tile<1x2x1xf16>
    %r = mirage.div %osum, %zz : (!mirage.tile<1x2x32xf16>, !mirage.tile<1x2x1xf16>) -> !mirage.tile<1x2x32xf16>
    mirage.output_saver %r omap = {} : !mirage.tile<1x2x32xf16>
  }
  return %out : tensor<1x2x32xf16>
}

// -----

// Each block of the combining kernel takes one row of the partial exp·V
// (grid x) but every row of the partial sums: a tile of maxima laid out like
// either read pairs some partial result with the max of another row (or
// does not broadcast), so nothing is rewritten.
// CHECK-LABEL: func.func @rows_paired_wrongly
// CHECK-NOT: mirage.reduce max
// CHECK-NOT: mirage.accumulate
func.func @rows_paired_wrongly(%q: tensor<1x2x16xf16>, %k: tensor<1x16x64xf16>, %v: tensor<1x64x16xf16>) -> tensor<1x4x16xf16> {
  %pz, %po = mirage.graph_kernel(%q, %k, %v) grid = [1, 4, 1] block = [128] forloop = 1
      : (tensor<1x2x16xf16>, tensor<1x16x64xf16>, tensor<1x64x16xf16>) -> (tensor<1x2x4xf16>, tensor<1x2x64xf16>) {
  ^bb0(%Q: tensor<1x2x16xf16>, %K: tensor<1x16x64xf16>, %V: tensor<1x64x16xf16>):
    %qt = mirage.input_iterator %Q imap = {} : tensor<1x2x16xf16> -> !mirage.tile<1x2x16xf16>
    %kt = mirage.input_iterator %K imap = {y = 2} : tensor<1x16x64xf16> -> !mirage.tile<1x16x16xf16>
    %vt = mirage.input_iterator %V imap = {y = 1} : tensor<1x64x16xf16> -> !mirage.tile<1x16x16xf16>
    %s = mirage.matmul %qt, %kt : (!mirage.tile<1x2x16xf16>, !mirage.tile<1x16x16xf16>) -> !mirage.tile<1x2x16xf16>
    // expected-warning @+1 {{exp left without max subtraction (fp16 may overflow): the combining kernel would pair a partial result with another block's max}}
    %e = mirage.exp %s : !mirage.tile<1x2x16xf16>
    %z = mirage.reduce sum %e dim = 2 : (!mirage.tile<1x2x16xf16>) -> !mirage.tile<1x2x1xf16>
    %o = mirage.matmul %e, %vt : (!mirage.tile<1x2x16xf16>, !mirage.tile<1x16x16xf16>) -> !mirage.tile<1x2x16xf16>
    mirage.output_saver %z omap = {y = 2} : !mirage.tile<1x2x1xf16>
    mirage.output_saver %o omap = {y = 2} : !mirage.tile<1x2x16xf16>
  }
  %out = mirage.graph_kernel(%pz, %po) grid = [2, 1, 1] block = [128] forloop = 1
      : (tensor<1x2x4xf16>, tensor<1x2x64xf16>) -> tensor<1x4x16xf16> {
  ^bb0(%Z: tensor<1x2x4xf16>, %O: tensor<1x2x64xf16>):
    %zt = mirage.input_iterator %Z imap = {} : tensor<1x2x4xf16> -> !mirage.tile<1x2x4xf16>
    %ot = mirage.input_iterator %O imap = {x = 1} : tensor<1x2x64xf16> -> !mirage.tile<1x1x64xf16>
    // expected-note @+1 {{here}}
    %zsum = mirage.reduce sum %zt dim = 2 : (!mirage.tile<1x2x4xf16>) -> !mirage.tile<1x2x1xf16>
    %osum = mirage.reduce sum %ot dim = 2 size = 16 : (!mirage.tile<1x1x64xf16>) -> !mirage.tile<1x1x16xf16>
    %r = mirage.div %osum, %zsum : (!mirage.tile<1x1x16xf16>, !mirage.tile<1x2x1xf16>) -> !mirage.tile<1x2x16xf16>
    mirage.output_saver %r omap = {x = 1} : !mirage.tile<1x2x16xf16>
  }
  return %out : tensor<1x4x16xf16>
}

// -----

// The combining kernel returns the sum of exp·V without dividing by Σexp:
// the chunks could be rescaled, but the result would keep the factor
// e^(−max), so nothing is rewritten.
// CHECK-LABEL: func.func @combined_not_normalised
// CHECK-NOT: mirage.reduce max
// CHECK-NOT: mirage.accumulate
func.func @combined_not_normalised(%q: tensor<1x2x16xf16>, %k: tensor<1x16x64xf16>, %v: tensor<1x64x16xf16>) -> tensor<1x2x16xf16> {
  %po = mirage.graph_kernel(%q, %k, %v) grid = [1, 4, 1] block = [128] forloop = 1
      : (tensor<1x2x16xf16>, tensor<1x16x64xf16>, tensor<1x64x16xf16>) -> tensor<1x2x64xf16> {
  ^bb0(%Q: tensor<1x2x16xf16>, %K: tensor<1x16x64xf16>, %V: tensor<1x64x16xf16>):
    %qt = mirage.input_iterator %Q imap = {} : tensor<1x2x16xf16> -> !mirage.tile<1x2x16xf16>
    %kt = mirage.input_iterator %K imap = {y = 2} : tensor<1x16x64xf16> -> !mirage.tile<1x16x16xf16>
    %vt = mirage.input_iterator %V imap = {y = 1} : tensor<1x64x16xf16> -> !mirage.tile<1x16x16xf16>
    %s = mirage.matmul %qt, %kt : (!mirage.tile<1x2x16xf16>, !mirage.tile<1x16x16xf16>) -> !mirage.tile<1x2x16xf16>
    // expected-warning @+1 {{exp left without max subtraction (fp16 may overflow): 'func.return' reads partial sums of exponentials; only graph-defined kernels can be rewritten to rescale them}}
    %e = mirage.exp %s : !mirage.tile<1x2x16xf16>
    %o = mirage.matmul %e, %vt : (!mirage.tile<1x2x16xf16>, !mirage.tile<1x16x16xf16>) -> !mirage.tile<1x2x16xf16>
    mirage.output_saver %o omap = {y = 2} : !mirage.tile<1x2x16xf16>
  }
  %out = mirage.graph_kernel(%po) grid = [1, 1, 1] block = [128] forloop = 1
      : (tensor<1x2x64xf16>) -> tensor<1x2x16xf16> {
  ^bb0(%O: tensor<1x2x64xf16>):
    %ot = mirage.input_iterator %O imap = {} : tensor<1x2x64xf16> -> !mirage.tile<1x2x64xf16>
    %osum = mirage.reduce sum %ot dim = 2 size = 16 : (!mirage.tile<1x2x64xf16>) -> !mirage.tile<1x2x16xf16>
    mirage.output_saver %osum omap = {} : !mirage.tile<1x2x16xf16>
  }
  // expected-note @+1 {{here}}
  return %out : tensor<1x2x16xf16>
}
