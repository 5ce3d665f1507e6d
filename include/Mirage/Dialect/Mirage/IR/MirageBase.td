//===- MirageBase.td - Mirage dialect definition ----------*- tablegen -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_DIALECT_MIRAGE_IR_MIRAGEBASE_TD
#define MIRAGE_DIALECT_MIRAGE_IR_MIRAGEBASE_TD

include "mlir/IR/OpBase.td"

def Mirage_Dialect : Dialect {
  let name = "mirage";
  let cppNamespace = "::mlir::mirage";
  let summary = "Kernel, block and thread graphs of GPU tensor programs (μGraphs)";
  let description = [{
    The `mirage` dialect describes tensor programs at the three levels of
    Mirage's μGraphs (Wu et al., "Mirage: A Multi-Level Superoptimizer for
    Tensor Programs", OSDI 2025).

    A *kernel graph* is a `func.func` whose body is made of `mirage`
    kernel-level ops on builtin ranked tensors of `f16`, `bf16` or `f32` with
    static, positive dimensions. Every kernel-level op is one GPU kernel
    launch; its operands and results live in device memory (HBM) in their
    declared element type.

    ```mlir
    func.func @rmsnorm(%x: tensor<2x4096xf16>, %w: tensor<4096x6144xf16>)
        -> tensor<2x6144xf16> {
      %n = mirage.rms_norm %x normalized_shape = [4096] : tensor<2x4096xf16>
      %y = mirage.matmul %n, %w
          : (tensor<2x4096xf16>, tensor<4096x6144xf16>) -> tensor<2x6144xf16>
      return %y : tensor<2x6144xf16>
    }
    ```

    Function arguments may carry `mirage.input_range = [lo, hi]` (two
    floats, lo < hi): the range that test inputs for that argument are drawn
    from by `mirage-run`, the verifier's float check and the benchmark
    harness. Programs whose values would overflow f16 on the default range
    (e.g. `exp` of a long dot product) state a realistic one.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
    void registerTypes();
  }];
  let hasRegionArgAttrVerify = 1;
}

/// Kernel-level tensors: static shape, rank >= 1, every dim > 0, no encoding,
/// element type f16, bf16 or f32.
def Mirage_Tensor : RankedTensorOf<[F16, BF16, F32],
    [CPred<"::mlir::mirage::isKernelTensorType($_self)">],
    "statically shaped tensor with positive dimensions">;

/// Compute ops work at two levels: on kernel tensors in a kernel graph, and on
/// tiles in a block graph. This trait checks that operands and results are
/// all tensors or all tiles, and that tiles appear only inside a
/// graph-defined kernel and tensors only outside. List it first.
def Mirage_SameLevel : NativeOpTrait<"SameLevel"> {
  let cppNamespace = "::mlir::mirage";
}

/// Checks an op's shape rules, with the specific message its inferReturnTypes
/// emits, before InferTypeOpInterface's generic check runs (which would add a
/// second, vaguer error). List it before InferTypeOpAdaptor.
def Mirage_VerifyInferredType : NativeOpTrait<"VerifyInferredType"> {
  let cppNamespace = "::mlir::mirage";
}

class Mirage_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Mirage_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

class Mirage_Op<string mnemonic, list<Trait> traits = []>
    : Op<Mirage_Dialect, mnemonic, traits>;

#endif // MIRAGE_DIALECT_MIRAGE_IR_MIRAGEBASE_TD
