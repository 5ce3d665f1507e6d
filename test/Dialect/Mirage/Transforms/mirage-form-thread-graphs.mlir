// RUN: mirage-opt %s --split-input-file --mirage-form-thread-graphs | FileCheck %s
// Idempotent: a second run changes nothing.
// RUN: mirage-opt %s --split-input-file --mirage-form-thread-graphs -o %t.once.mlir
// RUN: mirage-opt %t.once.mlir --split-input-file --mirage-form-thread-graphs | diff %t.once.mlir -

// A two-op epilogue chain becomes one thread graph; its operands are read
// once, the intermediate silu stays in registers.
// CHECK-LABEL: func.func @epilogue_chain
// CHECK: %[[A:.*]]:2 = mirage.for_loop
// CHECK: %[[TG:.*]] = mirage.thread_graph(%[[A]]#0, %[[A]]#1) : (!mirage.tile<8x32xf16>, !mirage.tile<8x32xf16>) -> !mirage.tile<8x32xf16> {
// CHECK-NEXT: ^bb0(%[[TA:.*]]: !mirage.tile<8x32xf16>, %[[TB:.*]]: !mirage.tile<8x32xf16>):
// CHECK-NEXT: %[[S:.*]] = mirage.silu %[[TA]] : !mirage.tile<8x32xf16>
// CHECK-NEXT: %[[M:.*]] = mirage.mul %[[S]], %[[TB]]
// CHECK-NEXT: mirage.yield %[[M]] : !mirage.tile<8x32xf16>
// CHECK-NEXT: }
// CHECK-NEXT: mirage.output_saver %[[TG]] omap = {x = 1}
func.func @epilogue_chain(%x: tensor<8x256xf16>, %w1: tensor<256x128xf16>, %w2: tensor<256x128xf16>) -> tensor<8x128xf16> {
  %y = mirage.graph_kernel(%x, %w1, %w2) grid = [4, 1, 1] block = [128] forloop = 8
      : (tensor<8x256xf16>, tensor<256x128xf16>, tensor<256x128xf16>) -> tensor<8x128xf16> {
  ^bb0(%X: tensor<8x256xf16>, %W1: tensor<256x128xf16>, %W2: tensor<256x128xf16>):
    %a, %b = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<8x256xf16> -> !mirage.tile<8x32xf16>
      %w1t = mirage.input_iterator %W1 imap = {x = 1} fmap = 0 : tensor<256x128xf16> -> !mirage.tile<32x32xf16>
      %w2t = mirage.input_iterator %W2 imap = {x = 1} fmap = 0 : tensor<256x128xf16> -> !mirage.tile<32x32xf16>
      %p1 = mirage.matmul %xt, %w1t : (!mirage.tile<8x32xf16>, !mirage.tile<32x32xf16>) -> !mirage.tile<8x32xf16>
      %p2 = mirage.matmul %xt, %w2t : (!mirage.tile<8x32xf16>, !mirage.tile<32x32xf16>) -> !mirage.tile<8x32xf16>
      mirage.accumulate sum(%p1), sum(%p2) : !mirage.tile<8x32xf16>, !mirage.tile<8x32xf16>
    }
    %g = mirage.silu %a : !mirage.tile<8x32xf16>
    %out = mirage.mul %g, %b : (!mirage.tile<8x32xf16>, !mirage.tile<8x32xf16>) -> !mirage.tile<8x32xf16>
    mirage.output_saver %out omap = {x = 1} : !mirage.tile<8x32xf16>
  }
  return %y : tensor<8x128xf16>
}

// -----

// A value used outside the chain (%e also feeds the reduction) must be
// stored as a tile: it stays a block-level op and is an input of the thread
// graph formed after it. The reduction ends the chain; the row statistic
// (16x1) is a broadcast input, not a member: a thread graph has one
// iteration shape.
// CHECK-LABEL: func.func @multi_use_and_broadcast
// CHECK: %[[T:.*]] = mirage.input_iterator
// CHECK-NEXT: %[[E:.*]] = mirage.exp %[[T]] : !mirage.tile<16x64xf32>
// CHECK-NEXT: %[[Z:.*]] = mirage.reduce sum %[[E]] dim = 1
// CHECK-NEXT: %[[R:.*]] = mirage.rsqrt %[[Z]] : !mirage.tile<16x1xf32>
// CHECK-NEXT: %[[TG:.*]] = mirage.thread_graph(%[[E]], %[[R]]) : (!mirage.tile<16x64xf32>, !mirage.tile<16x1xf32>) -> !mirage.tile<16x64xf32> {
// CHECK-NEXT: ^bb0(%[[TE:.*]]: !mirage.tile<16x64xf32>, %[[TR:.*]]: !mirage.tile<16x1xf32>):
// CHECK-NEXT: %[[M:.*]] = mirage.mul %[[TE]], %[[TR]] : (!mirage.tile<16x64xf32>, !mirage.tile<16x1xf32>) -> !mirage.tile<16x64xf32>
// CHECK-NEXT: %[[C:.*]] = mirage.clamp %[[M]] min = 0.000000e+00 max = 1.000000e+00 : !mirage.tile<16x64xf32>
// CHECK-NEXT: mirage.yield %[[C]]
// CHECK-NEXT: }
// CHECK-NEXT: mirage.output_saver %[[TG]]
func.func @multi_use_and_broadcast(%x: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %y = mirage.graph_kernel(%x) grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<64x64xf32>) -> tensor<64x64xf32> {
  ^bb0(%X: tensor<64x64xf32>):
    %t = mirage.input_iterator %X imap = {x = 0} : tensor<64x64xf32> -> !mirage.tile<16x64xf32>
    %e = mirage.exp %t : !mirage.tile<16x64xf32>
    %z = mirage.reduce sum %e dim = 1 : (!mirage.tile<16x64xf32>) -> !mirage.tile<16x1xf32>
    %r = mirage.rsqrt %z : !mirage.tile<16x1xf32>
    %m = mirage.mul %e, %r : (!mirage.tile<16x64xf32>, !mirage.tile<16x1xf32>) -> !mirage.tile<16x64xf32>
    %c = mirage.clamp %m min = 0.0 max = 1.0 : !mirage.tile<16x64xf32>
    mirage.output_saver %c omap = {x = 0} : !mirage.tile<16x64xf32>
  }
  return %y : tensor<64x64xf32>
}

// -----

// Chains inside the for-loop body fuse there; a value the body reads from
// before the loop is an input. A chain does not reach across a matmul.
// CHECK-LABEL: func.func @loop_body
// CHECK: %[[Q:.*]] = mirage.input_iterator %{{.*}} imap = {x = 0}
// CHECK: mirage.for_loop {
// CHECK: %[[K:.*]] = mirage.input_iterator
// CHECK-NEXT: %[[S:.*]] = mirage.matmul %[[Q]], %[[K]]
// CHECK-NEXT: %[[TG:.*]] = mirage.thread_graph(%[[S]]) : (!mirage.tile<8x16xf16>) -> !mirage.tile<8x16xf16> {
// CHECK-NEXT: ^bb0(%[[TS:.*]]: !mirage.tile<8x16xf16>):
// CHECK-NEXT: mirage.mul_scalar %[[TS]]
// CHECK-NEXT: mirage.exp
// CHECK-NEXT: mirage.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[Z:.*]] = mirage.reduce sum %[[TG]] dim = 1
// CHECK-NEXT: mirage.accumulate sum(%[[Z]])
func.func @loop_body(%q: tensor<16x8xf16>, %k: tensor<8x64xf16>) -> tensor<16x1xf16> {
  %y = mirage.graph_kernel(%q, %k) grid = [2, 1, 1] block = [128] forloop = 4
      : (tensor<16x8xf16>, tensor<8x64xf16>) -> tensor<16x1xf16> {
  ^bb0(%Q: tensor<16x8xf16>, %K: tensor<8x64xf16>):
    %qt = mirage.input_iterator %Q imap = {x = 0} : tensor<16x8xf16> -> !mirage.tile<8x8xf16>
    %z = mirage.for_loop {
      %kt = mirage.input_iterator %K imap = {} fmap = 1 : tensor<8x64xf16> -> !mirage.tile<8x16xf16>
      %s = mirage.matmul %qt, %kt : (!mirage.tile<8x8xf16>, !mirage.tile<8x16xf16>) -> !mirage.tile<8x16xf16>
      %c = mirage.mul_scalar %s, 0.125 : !mirage.tile<8x16xf16>
      %e = mirage.exp %c : !mirage.tile<8x16xf16>
      %r = mirage.reduce sum %e dim = 1 : (!mirage.tile<8x16xf16>) -> !mirage.tile<8x1xf16>
      mirage.accumulate sum(%r) : !mirage.tile<8x1xf16>
    }
    mirage.output_saver %z omap = {x = 0} : !mirage.tile<8x1xf16>
  }
  return %y : tensor<16x1xf16>
}

// -----

// A producer used twice inside the group (%d feeds both multiplications) is
// an intermediate like any other; its two users fuse with it.
// CHECK-LABEL: func.func @diamond
// CHECK: mirage.thread_graph(%{{.*}}, %{{.*}}) : (!mirage.tile<4x8xf16>, !mirage.tile<4x8xf16>) -> !mirage.tile<4x8xf16> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: !mirage.tile<4x8xf16>, %[[B:.*]]: !mirage.tile<4x8xf16>):
// CHECK-NEXT: %[[D:.*]] = mirage.sub %[[A]], %[[B]]
// CHECK-NEXT: %[[S:.*]] = mirage.mul %[[D]], %[[D]]
// CHECK-NEXT: %[[T:.*]] = mirage.mul %[[S]], %[[D]]
// CHECK-NEXT: mirage.yield %[[T]]
// CHECK-NOT: mirage.sub
func.func @diamond(%a: tensor<4x8xf16>, %b: tensor<4x8xf16>) -> tensor<4x8xf16> {
  %y = mirage.graph_kernel(%a, %b) grid = [1, 1, 1] block = [128] forloop = 1
      : (tensor<4x8xf16>, tensor<4x8xf16>) -> tensor<4x8xf16> {
  ^bb0(%A: tensor<4x8xf16>, %B: tensor<4x8xf16>):
    %at = mirage.input_iterator %A imap = {} : tensor<4x8xf16> -> !mirage.tile<4x8xf16>
    %bt = mirage.input_iterator %B imap = {} : tensor<4x8xf16> -> !mirage.tile<4x8xf16>
    %d = mirage.sub %at, %bt : (!mirage.tile<4x8xf16>, !mirage.tile<4x8xf16>) -> !mirage.tile<4x8xf16>
    %s = mirage.mul %d, %d : (!mirage.tile<4x8xf16>, !mirage.tile<4x8xf16>) -> !mirage.tile<4x8xf16>
    %t = mirage.mul %s, %d : (!mirage.tile<4x8xf16>, !mirage.tile<4x8xf16>) -> !mirage.tile<4x8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<4x8xf16>
  }
  return %y : tensor<4x8xf16>
}

// -----

// Nothing to fuse: single elementwise ops between non-elementwise ones, a
// value saved as an output and used again, an existing thread graph. The
// kernel-level ops of the function are not block graphs and stay.
// CHECK-LABEL: func.func @nothing_to_fuse
// CHECK: mirage.exp %{{.*}} : tensor<4x8xf16>
// CHECK: mirage.sqrt %{{.*}} : tensor<4x8xf16>
// CHECK: %[[E:.*]] = mirage.exp %{{.*}} : !mirage.tile<4x8xf16>
// CHECK-NEXT: %[[S:.*]] = mirage.square %[[E]] : !mirage.tile<4x8xf16>
// CHECK-NEXT: mirage.thread_graph(%[[S]])
// CHECK: mirage.output_saver %[[E]]
// CHECK-NOT: mirage.thread_graph
// CHECK: return
func.func @nothing_to_fuse(%a: tensor<4x8xf16>) -> (tensor<4x8xf16>, tensor<4x8xf16>) {
  %e0 = mirage.exp %a : tensor<4x8xf16>
  %s0 = mirage.sqrt %e0 : tensor<4x8xf16>
  %y:2 = mirage.graph_kernel(%s0) grid = [1, 1, 1] block = [128] forloop = 1
      : (tensor<4x8xf16>) -> (tensor<4x8xf16>, tensor<4x8xf16>) {
  ^bb0(%A: tensor<4x8xf16>):
    %at = mirage.input_iterator %A imap = {} : tensor<4x8xf16> -> !mirage.tile<4x8xf16>
    %e = mirage.exp %at : !mirage.tile<4x8xf16>
    %s = mirage.square %e : !mirage.tile<4x8xf16>
    %r = mirage.thread_graph(%s) : (!mirage.tile<4x8xf16>) -> !mirage.tile<4x8xf16> {
    ^bb0(%ts: !mirage.tile<4x8xf16>):
      %n = mirage.relu %ts : !mirage.tile<4x8xf16>
      %q = mirage.sigmoid %n : !mirage.tile<4x8xf16>
      mirage.yield %q : !mirage.tile<4x8xf16>
    }
    mirage.output_saver %e omap = {} : !mirage.tile<4x8xf16>
    mirage.output_saver %r omap = {} : !mirage.tile<4x8xf16>
  }
  return %y#0, %y#1 : tensor<4x8xf16>, tensor<4x8xf16>
}
