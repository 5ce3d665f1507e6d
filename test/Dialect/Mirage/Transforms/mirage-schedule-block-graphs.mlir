// RUN: mirage-opt %s --split-input-file --mirage-schedule-block-graphs | FileCheck %s
// Idempotent: a second run changes nothing.
// RUN: mirage-opt %s --split-input-file --mirage-schedule-block-graphs -o %t.once.mlir
// RUN: mirage-opt %t.once.mlir --split-input-file --mirage-schedule-block-graphs | diff %t.once.mlir -

// The barrier counts in the comments are the gpu.barrier ops of each
// kernel's thread-level code (mirage-map-tiles-to-threads) when this test
// was written; mirage-schedule-block-graphs-lowering.test checks that the
// pass's model agrees with the lowering on every case.

// Two independent chains, each a reduction and a division by it: each op
// needs a barrier after its producer (reductions and broadcast reads are not
// owned element for element). Interleaved, the chains share those barriers:
// 5 barriers before, 3 after.
// CHECK-LABEL: func.func @two_chains
// CHECK: %[[A:.*]] = mirage.input_iterator
// CHECK-NEXT: %[[B:.*]] = mirage.input_iterator
// CHECK-NEXT: %[[SA:.*]] = mirage.reduce sum %[[A]]
// CHECK-NEXT: %[[SB:.*]] = mirage.reduce sum %[[B]]
// CHECK-NEXT: %[[DA:.*]] = mirage.div %[[A]], %[[SA]]
// CHECK-NEXT: %[[DB:.*]] = mirage.div %[[B]], %[[SB]]
// CHECK-NEXT: mirage.output_saver %[[DA]]
// CHECK-NEXT: mirage.output_saver %[[DB]]
func.func @two_chains(%x: tensor<64x64xf16>, %y: tensor<64x64xf16>) -> (tensor<64x64xf16>, tensor<64x64xf16>) {
  %r:2 = mirage.graph_kernel(%x, %y) grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<64x64xf16>, tensor<64x64xf16>) -> (tensor<64x64xf16>, tensor<64x64xf16>) {
  ^bb0(%X: tensor<64x64xf16>, %Y: tensor<64x64xf16>):
    %a = mirage.input_iterator %X imap = {x = 0} : tensor<64x64xf16> -> !mirage.tile<16x64xf16>
    %b = mirage.input_iterator %Y imap = {x = 0} : tensor<64x64xf16> -> !mirage.tile<16x64xf16>
    %sa = mirage.reduce sum %a dim = 1 : (!mirage.tile<16x64xf16>) -> !mirage.tile<16x1xf16>
    %da = mirage.div %a, %sa : (!mirage.tile<16x64xf16>, !mirage.tile<16x1xf16>) -> !mirage.tile<16x64xf16>
    %sb = mirage.reduce sum %b dim = 1 : (!mirage.tile<16x64xf16>) -> !mirage.tile<16x1xf16>
    %db = mirage.div %b, %sb : (!mirage.tile<16x64xf16>, !mirage.tile<16x1xf16>) -> !mirage.tile<16x64xf16>
    mirage.output_saver %da omap = {x = 0} : !mirage.tile<16x64xf16>
    mirage.output_saver %db omap = {x = 0} : !mirage.tile<16x64xf16>
  }
  return %r#0, %r#1 : tensor<64x64xf16>, tensor<64x64xf16>
}

// -----

// rms_norm has two barriers inside (its per-row sums are filled, summed
// into and read by every element); placed first, they also cover the copy
// of %a that the reduction reads: 6 barriers before, 5 after.
// CHECK-LABEL: func.func @rms_norm_first
// CHECK: %[[A:.*]] = mirage.input_iterator
// CHECK-NEXT: %[[B:.*]] = mirage.input_iterator
// CHECK-NEXT: %[[N:.*]] = mirage.rms_norm %[[B]]
// CHECK-NEXT: %[[M:.*]] = mirage.reduce max %[[A]]
// CHECK-NEXT: %[[S:.*]] = mirage.sub %[[A]], %[[M]]
// CHECK-NEXT: %[[O:.*]] = mirage.add %[[S]], %[[N]]
// CHECK-NEXT: mirage.output_saver %[[O]]
func.func @rms_norm_first(%x: tensor<64x64xf16>, %y: tensor<64x64xf16>) -> tensor<64x64xf16> {
  %r = mirage.graph_kernel(%x, %y) grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<64x64xf16>, tensor<64x64xf16>) -> tensor<64x64xf16> {
  ^bb0(%X: tensor<64x64xf16>, %Y: tensor<64x64xf16>):
    %a = mirage.input_iterator %X imap = {x = 0} : tensor<64x64xf16> -> !mirage.tile<16x64xf16>
    %b = mirage.input_iterator %Y imap = {x = 0} : tensor<64x64xf16> -> !mirage.tile<16x64xf16>
    %m = mirage.reduce max %a dim = 1 : (!mirage.tile<16x64xf16>) -> !mirage.tile<16x1xf16>
    %s = mirage.sub %a, %m : (!mirage.tile<16x64xf16>, !mirage.tile<16x1xf16>) -> !mirage.tile<16x64xf16>
    %n = mirage.rms_norm %b normalized_shape = [64] : !mirage.tile<16x64xf16>
    %o = mirage.add %s, %n : (!mirage.tile<16x64xf16>, !mirage.tile<16x64xf16>) -> !mirage.tile<16x64xf16>
    mirage.output_saver %o omap = {x = 0} : !mirage.tile<16x64xf16>
  }
  return %r : tensor<64x64xf16>
}

// -----

// Two chains in a for-loop body (its barriers run every iteration): the
// reductions share a barrier, then the divisions. The accumulate stays the
// body's terminator.
// CHECK-LABEL: func.func @loop_body
// CHECK: mirage.for_loop {
// CHECK-NEXT: %[[A:.*]] = mirage.input_iterator
// CHECK-NEXT: %[[B:.*]] = mirage.input_iterator
// CHECK-NEXT: %[[SA:.*]] = mirage.reduce sum %[[A]]
// CHECK-NEXT: %[[SB:.*]] = mirage.reduce sum %[[B]]
// CHECK-NEXT: %[[DA:.*]] = mirage.div %[[A]], %[[SA]]
// CHECK-NEXT: %[[DB:.*]] = mirage.div %[[B]], %[[SB]]
// CHECK-NEXT: %[[O:.*]] = mirage.add %[[DA]], %[[DB]]
// CHECK-NEXT: mirage.accumulate sum(%[[O]]), max(%[[SA]]), max(%[[SB]])
func.func @loop_body(%x: tensor<16x512xf16>, %y: tensor<16x512xf16>) -> (tensor<16x64xf16>, tensor<16x1xf16>, tensor<16x1xf16>) {
  %r:3 = mirage.graph_kernel(%x, %y) grid = [1, 1, 1] block = [128] forloop = 8
      : (tensor<16x512xf16>, tensor<16x512xf16>) -> (tensor<16x64xf16>, tensor<16x1xf16>, tensor<16x1xf16>) {
  ^bb0(%X: tensor<16x512xf16>, %Y: tensor<16x512xf16>):
    %acc:3 = mirage.for_loop {
      %a = mirage.input_iterator %X imap = {} fmap = 1 : tensor<16x512xf16> -> !mirage.tile<16x64xf16>
      %b = mirage.input_iterator %Y imap = {} fmap = 1 : tensor<16x512xf16> -> !mirage.tile<16x64xf16>
      %sa = mirage.reduce sum %a dim = 1 : (!mirage.tile<16x64xf16>) -> !mirage.tile<16x1xf16>
      %da = mirage.div %a, %sa : (!mirage.tile<16x64xf16>, !mirage.tile<16x1xf16>) -> !mirage.tile<16x64xf16>
      %sb = mirage.reduce sum %b dim = 1 : (!mirage.tile<16x64xf16>) -> !mirage.tile<16x1xf16>
      %db = mirage.div %b, %sb : (!mirage.tile<16x64xf16>, !mirage.tile<16x1xf16>) -> !mirage.tile<16x64xf16>
      %o = mirage.add %da, %db : (!mirage.tile<16x64xf16>, !mirage.tile<16x64xf16>) -> !mirage.tile<16x64xf16>
      mirage.accumulate sum(%o), max(%sa), max(%sb) : !mirage.tile<16x64xf16>, !mirage.tile<16x1xf16>, !mirage.tile<16x1xf16>
    }
    mirage.output_saver %acc#0 omap = {} : !mirage.tile<16x64xf16>
    mirage.output_saver %acc#1 omap = {} : !mirage.tile<16x1xf16>
    mirage.output_saver %acc#2 omap = {} : !mirage.tile<16x1xf16>
  }
  return %r#0, %r#1, %r#2 : tensor<16x64xf16>, tensor<16x1xf16>, tensor<16x1xf16>
}

// -----

// Moving rms_norm(%b) first saves a barrier (7 -> 6) but keeps its result
// alive through the other chain: the plan grows from 6176 to 8224 bytes.
// With 2 KB tiles that costs no occupancy (threads, not shared memory,
// limit the blocks per SM), so the order changes...
// CHECK-LABEL: func.func @grows_plan_small
// CHECK: mirage.input_iterator
// CHECK-NEXT: mirage.input_iterator
// CHECK-NEXT: mirage.rms_norm
// CHECK-NEXT: mirage.reduce sum
func.func @grows_plan_small(%x: tensor<64x64xf16>, %y: tensor<64x64xf16>) -> tensor<64x64xf16> {
  %r = mirage.graph_kernel(%x, %y) grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<64x64xf16>, tensor<64x64xf16>) -> tensor<64x64xf16> {
  ^bb0(%X: tensor<64x64xf16>, %Y: tensor<64x64xf16>):
    %a = mirage.input_iterator %X imap = {x = 0} : tensor<64x64xf16> -> !mirage.tile<16x64xf16>
    %b = mirage.input_iterator %Y imap = {x = 0} : tensor<64x64xf16> -> !mirage.tile<16x64xf16>
    %s = mirage.reduce sum %a dim = 1 : (!mirage.tile<16x64xf16>) -> !mirage.tile<16x1xf16>
    %d = mirage.div %a, %s : (!mirage.tile<16x64xf16>, !mirage.tile<16x1xf16>) -> !mirage.tile<16x64xf16>
    %e = mirage.square %d : !mirage.tile<16x64xf16>
    %u = mirage.reduce sum %e dim = 1 : (!mirage.tile<16x64xf16>) -> !mirage.tile<16x1xf16>
    %n = mirage.rms_norm %b normalized_shape = [64] : !mirage.tile<16x64xf16>
    %v = mirage.mul %n, %b : (!mirage.tile<16x64xf16>, !mirage.tile<16x64xf16>) -> !mirage.tile<16x64xf16>
    %w = mirage.div %v, %u : (!mirage.tile<16x64xf16>, !mirage.tile<16x1xf16>) -> !mirage.tile<16x64xf16>
    mirage.output_saver %w omap = {x = 0} : !mirage.tile<16x64xf16>
  }
  return %r : tensor<64x64xf16>
}

// -----

// ... but with 32 KB tiles the plan would grow from 98336 to 131104 bytes,
// and an H100 SM (228 KB) would hold one block instead of two: the order
// stays.
// CHECK-LABEL: func.func @grows_plan_large
// CHECK: mirage.input_iterator
// CHECK-NEXT: mirage.input_iterator
// CHECK-NEXT: mirage.reduce sum
// CHECK-NEXT: mirage.div
// CHECK-NEXT: mirage.square
// CHECK-NEXT: mirage.reduce sum
// CHECK-NEXT: mirage.rms_norm
// CHECK-NEXT: mirage.mul
// CHECK-NEXT: mirage.div
// CHECK-NEXT: mirage.output_saver
func.func @grows_plan_large(%x: tensor<64x1024xf16>, %y: tensor<64x1024xf16>) -> tensor<64x1024xf16> {
  %r = mirage.graph_kernel(%x, %y) grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<64x1024xf16>, tensor<64x1024xf16>) -> tensor<64x1024xf16> {
  ^bb0(%X: tensor<64x1024xf16>, %Y: tensor<64x1024xf16>):
    %a = mirage.input_iterator %X imap = {x = 0} : tensor<64x1024xf16> -> !mirage.tile<16x1024xf16>
    %b = mirage.input_iterator %Y imap = {x = 0} : tensor<64x1024xf16> -> !mirage.tile<16x1024xf16>
    %s = mirage.reduce sum %a dim = 1 : (!mirage.tile<16x1024xf16>) -> !mirage.tile<16x1xf16>
    %d = mirage.div %a, %s : (!mirage.tile<16x1024xf16>, !mirage.tile<16x1xf16>) -> !mirage.tile<16x1024xf16>
    %e = mirage.square %d : !mirage.tile<16x1024xf16>
    %u = mirage.reduce sum %e dim = 1 : (!mirage.tile<16x1024xf16>) -> !mirage.tile<16x1xf16>
    %n = mirage.rms_norm %b normalized_shape = [1024] : !mirage.tile<16x1024xf16>
    %v = mirage.mul %n, %b : (!mirage.tile<16x1024xf16>, !mirage.tile<16x1024xf16>) -> !mirage.tile<16x1024xf16>
    %w = mirage.div %v, %u : (!mirage.tile<16x1024xf16>, !mirage.tile<16x1xf16>) -> !mirage.tile<16x1024xf16>
    mirage.output_saver %w omap = {x = 0} : !mirage.tile<16x1024xf16>
  }
  return %r : tensor<64x1024xf16>
}

// -----

// A chain: every op needs the barrier after its producer, whatever the
// order. Unchanged.
// CHECK-LABEL: func.func @chain
// CHECK: %[[A:.*]] = mirage.input_iterator
// CHECK-NEXT: %[[M:.*]] = mirage.reduce max %[[A]]
// CHECK-NEXT: %[[S:.*]] = mirage.sub %[[A]], %[[M]]
// CHECK-NEXT: %[[Z:.*]] = mirage.reduce sum %[[S]]
// CHECK-NEXT: %[[D:.*]] = mirage.div %[[S]], %[[Z]]
// CHECK-NEXT: mirage.output_saver %[[D]]
func.func @chain(%x: tensor<64x64xf16>) -> tensor<64x64xf16> {
  %r = mirage.graph_kernel(%x) grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<64x64xf16>) -> tensor<64x64xf16> {
  ^bb0(%X: tensor<64x64xf16>):
    %a = mirage.input_iterator %X imap = {x = 0} : tensor<64x64xf16> -> !mirage.tile<16x64xf16>
    %m = mirage.reduce max %a dim = 1 : (!mirage.tile<16x64xf16>) -> !mirage.tile<16x1xf16>
    %s = mirage.sub %a, %m : (!mirage.tile<16x64xf16>, !mirage.tile<16x1xf16>) -> !mirage.tile<16x64xf16>
    %z = mirage.reduce sum %s dim = 1 : (!mirage.tile<16x64xf16>) -> !mirage.tile<16x1xf16>
    %d = mirage.div %s, %z : (!mirage.tile<16x64xf16>, !mirage.tile<16x1xf16>) -> !mirage.tile<16x64xf16>
    mirage.output_saver %d omap = {x = 0} : !mirage.tile<16x64xf16>
  }
  return %r : tensor<64x64xf16>
}

// -----

// Saver k writes result k: savers keep their order. The iterator of %Y
// moves up so that both reductions share one barrier (4 -> 3).
// CHECK-LABEL: func.func @savers_keep_order
// CHECK: %[[A:.*]] = mirage.input_iterator %{{.*}} imap
// CHECK-NEXT: %[[B:.*]] = mirage.input_iterator
// CHECK-NEXT: %[[SA:.*]] = mirage.reduce sum %[[A]]
// CHECK-NEXT: %[[SB:.*]] = mirage.reduce sum %[[B]]
// CHECK-NEXT: mirage.output_saver %[[SB]]
// CHECK-NEXT: mirage.output_saver %[[SA]]
func.func @savers_keep_order(%x: tensor<64x64xf16>, %y: tensor<64x64xf16>) -> (tensor<64x1xf16>, tensor<64x1xf16>) {
  %r:2 = mirage.graph_kernel(%x, %y) grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<64x64xf16>, tensor<64x64xf16>) -> (tensor<64x1xf16>, tensor<64x1xf16>) {
  ^bb0(%X: tensor<64x64xf16>, %Y: tensor<64x64xf16>):
    %a = mirage.input_iterator %X imap = {x = 0} : tensor<64x64xf16> -> !mirage.tile<16x64xf16>
    %sa = mirage.reduce sum %a dim = 1 : (!mirage.tile<16x64xf16>) -> !mirage.tile<16x1xf16>
    %b = mirage.input_iterator %Y imap = {x = 0} : tensor<64x64xf16> -> !mirage.tile<16x64xf16>
    %sb = mirage.reduce sum %b dim = 1 : (!mirage.tile<16x64xf16>) -> !mirage.tile<16x1xf16>
    mirage.output_saver %sb omap = {x = 0} : !mirage.tile<16x1xf16>
    mirage.output_saver %sa omap = {x = 0} : !mirage.tile<16x1xf16>
  }
  return %r#0, %r#1 : tensor<64x1xf16>, tensor<64x1xf16>
}

// -----

// Tensor cores (bf16 too) own a matmul's result as mma.sync accumulators,
// not cyclically: each exp needs a barrier after its product. Both products
// first would share that barrier, but the plan then puts the second product
// in the bytes of %b, which the first product has just read: a barrier
// either way (4). Unchanged.
// CHECK-LABEL: func.func @tensor_cores
// CHECK: %[[A:.*]] = mirage.input_iterator
// CHECK-NEXT: %[[B:.*]] = mirage.input_iterator
// CHECK-NEXT: %[[C:.*]] = mirage.input_iterator
// CHECK-NEXT: %[[P:.*]] = mirage.matmul %[[A]], %[[B]]
// CHECK-NEXT: %[[EP:.*]] = mirage.exp %[[P]]
// CHECK-NEXT: %[[Q:.*]] = mirage.matmul %[[A]], %[[C]]
// CHECK-NEXT: %[[EQ:.*]] = mirage.exp %[[Q]]
// CHECK-NEXT: %[[S:.*]] = mirage.add %[[EP]], %[[EQ]]
// CHECK-NEXT: mirage.output_saver %[[S]]
func.func @tensor_cores(%x: tensor<64x64xbf16>, %y: tensor<64x32xbf16>, %z: tensor<64x32xbf16>) -> tensor<64x32xbf16> {
  %r = mirage.graph_kernel(%x, %y, %z) grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<64x64xbf16>, tensor<64x32xbf16>, tensor<64x32xbf16>) -> tensor<64x32xbf16> {
  ^bb0(%X: tensor<64x64xbf16>, %Y: tensor<64x32xbf16>, %Z: tensor<64x32xbf16>):
    %a = mirage.input_iterator %X imap = {x = 0} : tensor<64x64xbf16> -> !mirage.tile<16x64xbf16>
    %b = mirage.input_iterator %Y imap = {} : tensor<64x32xbf16> -> !mirage.tile<64x32xbf16>
    %c = mirage.input_iterator %Z imap = {} : tensor<64x32xbf16> -> !mirage.tile<64x32xbf16>
    %p = mirage.matmul %a, %b : (!mirage.tile<16x64xbf16>, !mirage.tile<64x32xbf16>) -> !mirage.tile<16x32xbf16>
    %ep = mirage.exp %p : !mirage.tile<16x32xbf16>
    %q = mirage.matmul %a, %c : (!mirage.tile<16x64xbf16>, !mirage.tile<64x32xbf16>) -> !mirage.tile<16x32xbf16>
    %eq = mirage.exp %q : !mirage.tile<16x32xbf16>
    %s = mirage.add %ep, %eq : (!mirage.tile<16x32xbf16>, !mirage.tile<16x32xbf16>) -> !mirage.tile<16x32xbf16>
    mirage.output_saver %s omap = {x = 0} : !mirage.tile<16x32xbf16>
  }
  return %r : tensor<64x32xbf16>
}
