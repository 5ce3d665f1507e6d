// RUN: mirage-run %s --entry=flash_decoding --reference=%s:attention | FileCheck %s
// CHECK: PASS: 1 output(s) compared with the reference

// Attention split FlashDecoding-style over (head, kv-chunk) blocks. Kernel 1
// gives each block a head (grid x) and a quarter of the keys (grid y), walks
// its quarter in 4 loop iterations, and writes the partial Σexp and partial
// exp·V of its chunk side by side along the last dim. Kernel 2 sums the
// chunks (reduce ... size = 16 adds the four 16-wide chunks) and divides.

// The kernel graph it implements.
func.func @attention(%q: tensor<4x2x16xf16>, %k: tensor<4x16x256xf16>,
                     %v: tensor<4x256x16xf16>) -> tensor<4x2x16xf16> {
  %s = mirage.matmul %q, %k : (tensor<4x2x16xf16>, tensor<4x16x256xf16>) -> tensor<4x2x256xf16>
  %e = mirage.exp %s : tensor<4x2x256xf16>
  %z = mirage.reduce sum %e dim = 2 : (tensor<4x2x256xf16>) -> tensor<4x2x1xf16>
  %p = mirage.div %e, %z : (tensor<4x2x256xf16>, tensor<4x2x1xf16>) -> tensor<4x2x256xf16>
  %o = mirage.matmul %p, %v : (tensor<4x2x256xf16>, tensor<4x256x16xf16>) -> tensor<4x2x16xf16>
  return %o : tensor<4x2x16xf16>
}

func.func @flash_decoding(%q: tensor<4x2x16xf16>, %k: tensor<4x16x256xf16>,
                          %v: tensor<4x256x16xf16>) -> tensor<4x2x16xf16> {
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
