// Group-query attention with RMS normalisation of Q and V over the head dim
// (Mirage paper, QKNorm; batch 1):
// O = softmax(rms_norm(Q)·K)·rms_norm(V), softmax written as exp / Σ_dim2.
// rms_norm(Q) has unit scale and the program has no 1/√64 factor, so K's test
// inputs come from [-0.25, 0.25] to keep exp(Q·K) within f16's range.
func.func @qknorm(%q: tensor<2x256x64xf16>,
                  %k: tensor<2x64x4096xf16>
                      {mirage.input_range = [-2.500000e-01, 2.500000e-01]},
                  %v: tensor<2x4096x64xf16>) -> tensor<2x256x64xf16> {
  %nq = mirage.rms_norm %q normalized_shape = [64] : tensor<2x256x64xf16>
  %nv = mirage.rms_norm %v normalized_shape = [64] : tensor<2x4096x64xf16>
  %s = mirage.matmul %nq, %k
      : (tensor<2x256x64xf16>, tensor<2x64x4096xf16>) -> tensor<2x256x4096xf16>
  %e = mirage.exp %s : tensor<2x256x4096xf16>
  %z = mirage.reduce sum %e dim = 2
      : (tensor<2x256x4096xf16>) -> tensor<2x256x1xf16>
  %p = mirage.div %e, %z
      : (tensor<2x256x4096xf16>, tensor<2x256x1xf16>) -> tensor<2x256x4096xf16>
  %o = mirage.matmul %p, %nv
      : (tensor<2x256x4096xf16>, tensor<2x4096x64xf16>) -> tensor<2x256x64xf16>
  return %o : tensor<2x256x64xf16>
}
