// LoRA alone, as in small-programs.mlir: its cache entry must not depend on
// the other functions of the module.
// LoRA: X·W + (X·A)·B.
func.func @lora(%x: tensor<16x256xf16>, %w: tensor<256x256xf16>,
                %a: tensor<256x16xf16>, %b: tensor<16x256xf16>)
    -> tensor<16x256xf16> {
  %xw = mirage.matmul %x, %w
      : (tensor<16x256xf16>, tensor<256x256xf16>) -> tensor<16x256xf16>
  %xa = mirage.matmul %x, %a
      : (tensor<16x256xf16>, tensor<256x16xf16>) -> tensor<16x16xf16>
  %xab = mirage.matmul %xa, %b
      : (tensor<16x16xf16>, tensor<16x256xf16>) -> tensor<16x256xf16>
  %y = mirage.add %xw, %xab
      : (tensor<16x256xf16>, tensor<16x256xf16>) -> tensor<16x256xf16>
  return %y : tensor<16x256xf16>
}
