//===- Passes.td - Mirage dialect passes ------------------*- tablegen -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_DIALECT_MIRAGE_TRANSFORMS_PASSES_TD
#define MIRAGE_DIALECT_MIRAGE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def MirageDecompose : Pass<"mirage-decompose", "func::FuncOp"> {
  let summary = "Rewrite composite ops (softmax) into primitive kernel ops";
  let description = [{
    The superoptimizer searches over primitive ops whose abstract expressions
    it understands (the LAX fragment: multilinear ops, division and exp), so
    composite ops are expanded first. `mirage.softmax` along dim `d` becomes

    `softmax(x) = e^x / Σ_d e^x`

    i.e. `exp`, `reduce sum` down to extent 1 along `d`, and a broadcasting
    `div`. This is exactly the function softmax computes: the usual
    subtraction of the row maximum, `e^(x−m) / Σ e^(x−m)`, multiplies
    numerator and denominator by the same `e^(−m)`. The max subtraction is not
    in the LAX fragment, so it is not emitted here; the μGraph optimizer
    reinstates it in the kernels it generates (online softmax), where fp16
    overflow would otherwise occur.

    Before:
    ```mlir
    %p = mirage.softmax %s dim = 2 : tensor<2x256x4096xf16>
    ```
    After:
    ```mlir
    %e = mirage.exp %s : tensor<2x256x4096xf16>
    %z = mirage.reduce sum %e dim = 2
        : (tensor<2x256x4096xf16>) -> tensor<2x256x1xf16>
    %p = mirage.div %e, %z
        : (tensor<2x256x4096xf16>, tensor<2x256x1xf16>) -> tensor<2x256x4096xf16>
    ```
  }];
  let dependentDialects = ["::mlir::mirage::MirageDialect"];
}

#endif // MIRAGE_DIALECT_MIRAGE_TRANSFORMS_PASSES_TD
