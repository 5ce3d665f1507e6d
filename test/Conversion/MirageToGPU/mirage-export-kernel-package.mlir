// RUN: rm -rf %t && mkdir -p %t
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_80" --mirage-export-kernel-package="output-dir=%t/none ptxas=none" -o /dev/null
// RUN: FileCheck %s --check-prefix=MANIFEST --input-file=%t/none/manifest.json
// RUN: FileCheck %s --check-prefix=PTX --input-file=%t/none/kernels.ptx
// RUN: not test -e %t/none/kernels.cubin

// The manifest: the kernel, its launch (grid, block, dynamic shared memory:
// two 8x64 f16 tiles, the input and the product), its arguments in order,
// and no cubin without ptxas.
// MANIFEST: "chip": "sm_80"
// MANIFEST-NOT: "cubin"
// MANIFEST: "format": "mirage-kernel-package"
// MANIFEST: "function": "scale"
// MANIFEST: "kernels": [
// MANIFEST: "kind": "input"
// MANIFEST: "kind": "output"
// MANIFEST: "block": [
// MANIFEST-NEXT: 128,
// MANIFEST: "grid": [
// MANIFEST-NEXT: 4,
// MANIFEST: "name": "scale_kernel_0",
// MANIFEST: "shared_memory_bytes": 2048
// MANIFEST: "ptx": "kernels.ptx",
// PTX: .target sm_80
// PTX: .entry scale_kernel_0(

// A ptxas that fails: a warning with its messages, and the package still
// has PTX (and no cubin in the manifest).
// RUN: mirage-opt %s --mirage-lower-to-ptx="chip=sm_80" --mirage-export-kernel-package="output-dir=%t/failing ptxas=%S/Inputs/failing-ptxas.sh" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FAILING
// RUN: FileCheck %s --check-prefix=MANIFEST --input-file=%t/failing/manifest.json
// FAILING: warning: ptxas ({{.*}}failing-ptxas.sh) failed on '{{.*}}kernels.ptx'
// FAILING-NEXT: ptxas fatal   : simulated failure of -arch=sm_80
// FAILING-NEXT: the package has PTX only

// With a real ptxas, a cubin too, and ptxas's notes stay quiet.
// RUN: %if ptxas %{ mirage-opt %s --mirage-lower-to-ptx="chip=sm_80" --mirage-export-kernel-package="output-dir=%t/real ptxas=%ptxas" -o /dev/null 2>&1 | count 0 %}
// RUN: %if ptxas %{ FileCheck %s --check-prefix=CUBIN --input-file=%t/real/manifest.json %}
// CUBIN: "cubin": "kernels.cubin"

func.func @scale(%x: tensor<32x64xf16>) -> tensor<32x64xf16> {
  %y = mirage.graph_kernel(%x) grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<32x64xf16>) -> tensor<32x64xf16> {
  ^bb0(%X: tensor<32x64xf16>):
    %t = mirage.input_iterator %X imap = {x = 0} : tensor<32x64xf16> -> !mirage.tile<8x64xf16>
    %e = mirage.mul_scalar %t, 2.0 : !mirage.tile<8x64xf16>
    mirage.output_saver %e omap = {x = 0} : !mirage.tile<8x64xf16>
  }
  return %y : tensor<32x64xf16>
}
