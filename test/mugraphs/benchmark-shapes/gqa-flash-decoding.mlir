// RUN: mirage-run %s --reference=%benchmarks/gqa.mlir | FileCheck %s
// CHECK: PASS: 1 output(s) compared with the reference

// benchmarks/gqa.mlir at full size, FlashDecoding-style: kernel 1 runs
// 2 heads x 16 kv-chunks x 4 row blocks = 128 blocks, each walking its 256
// keys in 4 steps and writing partial Σexp and exp·V per chunk; kernel 2 adds
// the 16 chunks (reduce ... size = 64) and divides.
func.func @gqa(%q: tensor<2x256x64xf16>, %k: tensor<2x64x4096xf16>,
               %v: tensor<2x4096x64xf16>) -> tensor<2x256x64xf16> {
  %zp, %op = mirage.graph_kernel(%q, %k, %v) grid = [2, 16, 4] block = [128] forloop = 4
      : (tensor<2x256x64xf16>, tensor<2x64x4096xf16>, tensor<2x4096x64xf16>)
        -> (tensor<2x256x16xf16>, tensor<2x256x1024xf16>) {
  ^bb0(%Q: tensor<2x256x64xf16>, %K: tensor<2x64x4096xf16>, %V: tensor<2x4096x64xf16>):
    %qt = mirage.input_iterator %Q imap = {x = 0, z = 1} : tensor<2x256x64xf16> -> !mirage.tile<1x64x64xf16>
    %z, %o = mirage.for_loop {
      %kt = mirage.input_iterator %K imap = {x = 0, y = 2} fmap = 2 : tensor<2x64x4096xf16> -> !mirage.tile<1x64x64xf16>
      %vt = mirage.input_iterator %V imap = {x = 0, y = 1} fmap = 1 : tensor<2x4096x64xf16> -> !mirage.tile<1x64x64xf16>
      %s = mirage.matmul %qt, %kt : (!mirage.tile<1x64x64xf16>, !mirage.tile<1x64x64xf16>) -> !mirage.tile<1x64x64xf16>
      %e = mirage.exp %s : !mirage.tile<1x64x64xf16>
      %sum = mirage.reduce sum %e dim = 2 : (!mirage.tile<1x64x64xf16>) -> !mirage.tile<1x64x1xf16>
      %pv = mirage.matmul %e, %vt : (!mirage.tile<1x64x64xf16>, !mirage.tile<1x64x64xf16>) -> !mirage.tile<1x64x64xf16>
      mirage.accumulate sum(%sum), sum(%pv) : !mirage.tile<1x64x1xf16>, !mirage.tile<1x64x64xf16>
    }
    mirage.output_saver %z omap = {x = 0, y = 2, z = 1} : !mirage.tile<1x64x1xf16>
    mirage.output_saver %o omap = {x = 0, y = 2, z = 1} : !mirage.tile<1x64x64xf16>
  }
  %out = mirage.graph_kernel(%zp, %op) grid = [2, 4, 1] block = [128] forloop = 1
      : (tensor<2x256x16xf16>, tensor<2x256x1024xf16>) -> tensor<2x256x64xf16> {
  ^bb0(%Z: tensor<2x256x16xf16>, %O: tensor<2x256x1024xf16>):
    %zt = mirage.input_iterator %Z imap = {x = 0, y = 1} : tensor<2x256x16xf16> -> !mirage.tile<1x64x16xf16>
    %ot = mirage.input_iterator %O imap = {x = 0, y = 1} : tensor<2x256x1024xf16> -> !mirage.tile<1x64x1024xf16>
    %zs = mirage.reduce sum %zt dim = 2 : (!mirage.tile<1x64x16xf16>) -> !mirage.tile<1x64x1xf16>
    %os = mirage.reduce sum %ot dim = 2 size = 64 : (!mirage.tile<1x64x1024xf16>) -> !mirage.tile<1x64x64xf16>
    %r = mirage.div %os, %zs : (!mirage.tile<1x64x64xf16>, !mirage.tile<1x64x1xf16>) -> !mirage.tile<1x64x64xf16>
    mirage.output_saver %r omap = {x = 0, y = 1} : !mirage.tile<1x64x64xf16>
  }
  return %out : tensor<2x256x64xf16>
}
