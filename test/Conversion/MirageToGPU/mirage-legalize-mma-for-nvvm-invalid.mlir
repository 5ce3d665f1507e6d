// RUN: mirage-opt %s --mirage-legalize-mma-for-nvvm --split-input-file --verify-diagnostics

// PTX has no bf16 mma.sync with f16 accumulators (the nvgpu verifier
// accepts one).
gpu.module @kernels {
  gpu.func @f16_accumulator(%a: vector<4x2xbf16>, %b: vector<2x2xbf16>, %c: vector<2x2xf16>) -> vector<2x2xf16> {
    // expected-error @below {{'nvgpu.mma.sync' op with bf16 operands must accumulate in f32}}
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]}
        : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf16>) -> vector<2x2xf16>
    gpu.return %d : vector<2x2xf16>
  }
}
