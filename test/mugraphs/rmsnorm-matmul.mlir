// RUN: mirage-run %s --entry=fused --reference=%s:rmsnorm_matmul | FileCheck %s
// CHECK: PASS: 1 output(s) compared with the reference

// RMSNorm + matmul in one kernel. Each block owns 32 output columns (grid x)
// and walks the hidden dim in 8 steps of 32: it multiplies its slice of X by
// its tile of W and, on the same slice, takes the mean square, which the rms
// accumulator turns into √(mean over the row of x²). The epilogue divides:
// rms_norm(X)·W = (X·W) / rms(X) row by row.

func.func @rmsnorm_matmul(%x: tensor<2x256xf16>, %w: tensor<256x128xf16>) -> tensor<2x128xf16> {
  %n = mirage.rms_norm %x normalized_shape = [256] : tensor<2x256xf16>
  %y = mirage.matmul %n, %w : (tensor<2x256xf16>, tensor<256x128xf16>) -> tensor<2x128xf16>
  return %y : tensor<2x128xf16>
}

func.func @fused(%x: tensor<2x256xf16>, %w: tensor<256x128xf16>) -> tensor<2x128xf16> {
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
