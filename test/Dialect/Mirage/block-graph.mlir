// RUN: mirage-opt %s --split-input-file | mirage-opt --split-input-file | FileCheck %s

// Round trip of graph-defined kernels: block graphs with input iterators, a
// for-loop and every accumulator kind, an epilogue, thread graphs and output
// savers.

// CHECK-LABEL: func.func @rmsnorm_matmul
// CHECK: mirage.graph_kernel(%{{.*}}, %{{.*}}) grid = [4, 1, 1] block = [128] forloop = 8 : (tensor<2x256xf16>, tensor<256x128xf16>) -> tensor<2x128xf16> {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<2x256xf16>, %[[W:.*]]: tensor<256x128xf16>):
// CHECK-NEXT: %[[ACC:.*]]:2 = mirage.for_loop {
// CHECK-NEXT: %[[XT:.*]] = mirage.input_iterator %[[X]] imap = {} fmap = 1 : tensor<2x256xf16> -> !mirage.tile<2x32xf16>
// CHECK-NEXT: %[[WT:.*]] = mirage.input_iterator %[[W]] imap = {x = 1} fmap = 0 : tensor<256x128xf16> -> !mirage.tile<32x32xf16>
// CHECK: %[[MS:.*]] = mirage.mul_scalar
// CHECK: %[[P:.*]] = mirage.matmul %[[XT]], %[[WT]] : (!mirage.tile<2x32xf16>, !mirage.tile<32x32xf16>) -> !mirage.tile<2x32xf16>
// CHECK-NEXT: mirage.accumulate rms(%[[MS]]), sum(%[[P]]) : !mirage.tile<2x1xf16>, !mirage.tile<2x32xf16>
// CHECK-NEXT: }
// CHECK-NEXT: %[[Y:.*]] = mirage.div %[[ACC]]#1, %[[ACC]]#0
// CHECK-NEXT: mirage.output_saver %[[Y]] omap = {x = 1} : !mirage.tile<2x32xf16>
// CHECK-NEXT: }
func.func @rmsnorm_matmul(%x: tensor<2x256xf16>, %w: tensor<256x128xf16>) -> tensor<2x128xf16> {
  %y = mirage.graph_kernel(%x, %w) grid = [4, 1, 1] block = [128] forloop = 8
      : (tensor<2x256xf16>, tensor<256x128xf16>) -> tensor<2x128xf16> {
  ^bb0(%X: tensor<2x256xf16>, %W: tensor<256x128xf16>):
    %rms, %xw = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<2x256xf16> -> !mirage.tile<2x32xf16>
      %wt = mirage.input_iterator %W imap = {x = 1} fmap = 0 : tensor<256x128xf16> -> !mirage.tile<32x32xf16>
      %sq = mirage.square %xt : !mirage.tile<2x32xf16>
      %ss = mirage.reduce sum %sq dim = 1 : (!mirage.tile<2x32xf16>) -> !mirage.tile<2x1xf16>
      %ms = mirage.mul_scalar %ss, 3.125000e-02 : !mirage.tile<2x1xf16>
      %p = mirage.matmul %xt, %wt : (!mirage.tile<2x32xf16>, !mirage.tile<32x32xf16>) -> !mirage.tile<2x32xf16>
      mirage.accumulate rms(%ms), sum(%p) : !mirage.tile<2x1xf16>, !mirage.tile<2x32xf16>
    }
    %out = mirage.div %xw, %rms : (!mirage.tile<2x32xf16>, !mirage.tile<2x1xf16>) -> !mirage.tile<2x32xf16>
    mirage.output_saver %out omap = {x = 1} : !mirage.tile<2x32xf16>
  }
  return %y : tensor<2x128xf16>
}

// -----

// CHECK-LABEL: func.func @accumulator_kinds
// CHECK: mirage.accumulate max(%[[M:.*]]), rescaled_sum(%{{.*}}, by = 0), mean(%{{.*}}), sum(%{{.*}}) : !mirage.tile<1x4x1xf32>, !mirage.tile<1x4x1xf32>, !mirage.tile<1x4x1xf32>, !mirage.tile<1x4x1xf32>
func.func @accumulator_kinds(%s: tensor<2x4x64xf32>) -> (tensor<2x4x1xf32>, tensor<2x4x1xf32>, tensor<2x4x1xf32>, tensor<2x4x1xf32>) {
  %r:4 = mirage.graph_kernel(%s) grid = [2, 1, 1] block = [32] forloop = 4
      : (tensor<2x4x64xf32>) -> (tensor<2x4x1xf32>, tensor<2x4x1xf32>, tensor<2x4x1xf32>, tensor<2x4x1xf32>) {
  ^bb0(%S: tensor<2x4x64xf32>):
    %m, %l, %a, %b = mirage.for_loop {
      %st = mirage.input_iterator %S imap = {x = 0} fmap = 2 : tensor<2x4x64xf32> -> !mirage.tile<1x4x16xf32>
      %mi = mirage.reduce max %st dim = 2 : (!mirage.tile<1x4x16xf32>) -> !mirage.tile<1x4x1xf32>
      %d = mirage.sub %st, %mi : (!mirage.tile<1x4x16xf32>, !mirage.tile<1x4x1xf32>) -> !mirage.tile<1x4x16xf32>
      %e = mirage.exp %d : !mirage.tile<1x4x16xf32>
      %li = mirage.reduce sum %e dim = 2 : (!mirage.tile<1x4x16xf32>) -> !mirage.tile<1x4x1xf32>
      mirage.accumulate max(%mi), rescaled_sum(%li, by = 0), mean(%li), sum(%mi)
          : !mirage.tile<1x4x1xf32>, !mirage.tile<1x4x1xf32>, !mirage.tile<1x4x1xf32>, !mirage.tile<1x4x1xf32>
    }
    mirage.output_saver %m omap = {x = 0} : !mirage.tile<1x4x1xf32>
    mirage.output_saver %l omap = {x = 0} : !mirage.tile<1x4x1xf32>
    mirage.output_saver %a omap = {x = 0} : !mirage.tile<1x4x1xf32>
    mirage.output_saver %b omap = {x = 0} : !mirage.tile<1x4x1xf32>
  }
  return %r#0, %r#1, %r#2, %r#3 : tensor<2x4x1xf32>, tensor<2x4x1xf32>, tensor<2x4x1xf32>, tensor<2x4x1xf32>
}

// -----

// A kernel without a for-loop, a thread graph with a broadcast operand, and
// every grid axis in use.
// CHECK-LABEL: func.func @thread_graph
// CHECK: mirage.graph_kernel(%{{.*}}, %{{.*}}) grid = [4, 2, 3] block = [64, 2] forloop = 1
// CHECK: %[[A:.*]] = mirage.input_iterator %{{.*}} imap = {x = 2, y = 1, z = 0} : tensor<3x4x128xbf16> -> !mirage.tile<1x2x32xbf16>
// CHECK: %[[B:.*]] = mirage.input_iterator %{{.*}} imap = {x = 1} : tensor<1x128xbf16> -> !mirage.tile<1x32xbf16>
// CHECK: %[[T:.*]] = mirage.thread_graph(%[[A]], %[[B]]) : (!mirage.tile<1x2x32xbf16>, !mirage.tile<1x32xbf16>) -> !mirage.tile<1x2x32xbf16> {
// CHECK-NEXT: ^bb0(%[[TA:.*]]: !mirage.tile<1x2x32xbf16>, %[[TB:.*]]: !mirage.tile<1x32xbf16>):
// CHECK-NEXT: %[[G:.*]] = mirage.gelu %[[TA]] : !mirage.tile<1x2x32xbf16>
// CHECK-NEXT: %[[M:.*]] = mirage.mul %[[G]], %[[TB]] : (!mirage.tile<1x2x32xbf16>, !mirage.tile<1x32xbf16>) -> !mirage.tile<1x2x32xbf16>
// CHECK-NEXT: mirage.yield %[[M]] : !mirage.tile<1x2x32xbf16>
// CHECK-NEXT: }
// CHECK-NEXT: mirage.output_saver %[[T]] omap = {x = 2, y = 1, z = 0} : !mirage.tile<1x2x32xbf16>
func.func @thread_graph(%a: tensor<3x4x128xbf16>, %b: tensor<1x128xbf16>) -> tensor<3x4x128xbf16> {
  %y = mirage.graph_kernel(%a, %b) grid = [4, 2, 3] block = [64, 2] forloop = 1
      : (tensor<3x4x128xbf16>, tensor<1x128xbf16>) -> tensor<3x4x128xbf16> {
  ^bb0(%A: tensor<3x4x128xbf16>, %B: tensor<1x128xbf16>):
    %at = mirage.input_iterator %A imap = {x = 2, y = 1, z = 0} : tensor<3x4x128xbf16> -> !mirage.tile<1x2x32xbf16>
    %bt = mirage.input_iterator %B imap = {x = 1} : tensor<1x128xbf16> -> !mirage.tile<1x32xbf16>
    %t = mirage.thread_graph(%at, %bt) : (!mirage.tile<1x2x32xbf16>, !mirage.tile<1x32xbf16>) -> !mirage.tile<1x2x32xbf16> {
    ^bb0(%ta: !mirage.tile<1x2x32xbf16>, %tb: !mirage.tile<1x32xbf16>):
      %g = mirage.gelu %ta : !mirage.tile<1x2x32xbf16>
      %m = mirage.mul %g, %tb : (!mirage.tile<1x2x32xbf16>, !mirage.tile<1x32xbf16>) -> !mirage.tile<1x2x32xbf16>
      mirage.yield %m : !mirage.tile<1x2x32xbf16>
    }
    mirage.output_saver %t omap = {x = 2, y = 1, z = 0} : !mirage.tile<1x2x32xbf16>
  }
  return %y : tensor<3x4x128xbf16>
}

// -----

// The target comes from the module: two live 100 KB tiles fit sm_90a.
// CHECK-LABEL: module attributes {mirage.target = "sm_90a"}
module attributes {mirage.target = "sm_90a"} {
  func.func @big_tiles(%x: tensor<100x512xf16>) -> tensor<100x512xf16> {
    %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1
        : (tensor<100x512xf16>) -> tensor<100x512xf16> {
    ^bb0(%X: tensor<100x512xf16>):
      %t = mirage.input_iterator %X imap = {} : tensor<100x512xf16> -> !mirage.tile<100x512xf16>
      %e = mirage.exp %t : !mirage.tile<100x512xf16>
      mirage.output_saver %e omap = {} : !mirage.tile<100x512xf16>
    }
    return %y : tensor<100x512xf16>
  }
}
