//===- MirageOps.td - Mirage kernel-level ops -------------*- tablegen -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Compute ops. In a kernel graph each one is a pre-defined GPU kernel working
// on tensors in device memory; inside a graph-defined kernel's block graph the
// same ops work on tiles in shared memory (MirageBlockOps.td). Shapes are
// static; result types are inferred from operands and attributes, and every
// shape rule is checked by the verifier.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_DIALECT_MIRAGE_IR_MIRAGEOPS_TD
#define MIRAGE_DIALECT_MIRAGE_IR_MIRAGEOPS_TD

include "Mirage/Dialect/Mirage/IR/MirageBase.td"
include "Mirage/Dialect/Mirage/IR/MirageAttrs.td"
include "Mirage/Dialect/Mirage/IR/MirageTypes.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

/// Operands and results of compute ops: kernel tensors, or block-graph tiles.
def Mirage_Value : AnyTypeOf<[Mirage_Tensor, Mirage_TileType],
    "statically shaped tensor or tile of f16, bf16 or f32 with positive "
    "dimensions">;

//===----------------------------------------------------------------------===//
// matmul
//===----------------------------------------------------------------------===//

def Mirage_MatmulOp : Mirage_Op<"matmul", [Mirage_SameLevel, Pure,
    AllElementTypesMatch<["lhs", "rhs", "result"]>, Mirage_VerifyInferredType,
    InferTypeOpAdaptor]> {
  let summary = "batched matrix multiplication";
  let description = [{
    `result[b..., i, j] = Σ_k lhs[b..., i, k] · rhs[b..., k, j]`.

    Both operands have the same rank r ≥ 2. The last two dims are the
    matrices (`m×k` and `k×n`); the leading r−2 dims are batch dims, which
    broadcast as in NumPy: each pair is equal, or one of them is 1. The
    result is `[batch..., m, n]` with the operands' element type. Products are
    accumulated in f32 (the tensor-core contract for f16 and bf16).

    ```mlir
    %c = mirage.matmul %q, %k
        : (tensor<2x256x64xf16>, tensor<2x64x4096xf16>) -> tensor<2x256x4096xf16>
    ```
  }];
  let arguments = (ins Mirage_Value:$lhs, Mirage_Value:$rhs);
  let results = (outs Mirage_Value:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Unary elementwise ops
//===----------------------------------------------------------------------===//

class Mirage_UnaryOp<string mnemonic, string formula, list<Trait> traits = []>
    : Mirage_Op<mnemonic, !listconcat(traits, [Mirage_SameLevel, Pure, Elementwise,
        SameOperandsAndResultType, InferTypeOpInterface])> {
  let summary = "elementwise " # mnemonic # ": " # formula;
  let description = [{
    Applies `}] # formula # [{` to every element. The result has the
    operand's type.
  }];
  let arguments = (ins Mirage_Value:$input);
  let results = (outs Mirage_Value:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Mirage_ExpOp : Mirage_UnaryOp<"exp", "y = e^x">;
def Mirage_SqrtOp : Mirage_UnaryOp<"sqrt", "y = √x">;
def Mirage_RsqrtOp : Mirage_UnaryOp<"rsqrt", "y = 1 / √x">;
def Mirage_SquareOp : Mirage_UnaryOp<"square", "y = x · x">;
def Mirage_SiluOp : Mirage_UnaryOp<"silu", "y = x / (1 + e^(−x))">;
def Mirage_GeluOp : Mirage_UnaryOp<"gelu",
    "y = x/2 · (1 + erf(x / √2)) (exact GELU, PyTorch's default)">;
def Mirage_ReluOp : Mirage_UnaryOp<"relu", "y = max(x, 0)">;
def Mirage_SigmoidOp : Mirage_UnaryOp<"sigmoid", "y = 1 / (1 + e^(−x))">;

def Mirage_MulScalarOp : Mirage_UnaryOp<"mul_scalar", "y = x · scalar"> {
  let description = [{
    Multiplies every element by a compile-time constant, e.g. the `1/√d`
    scale of attention.

    ```mlir
    %y = mirage.mul_scalar %x, 1.250000e-01 : tensor<2x256x64xf16>
    ```
  }];
  let arguments = (ins Mirage_Value:$input, F32Attr:$scalar);
  let assemblyFormat = "$input `,` $scalar attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Mirage_ClampOp : Mirage_UnaryOp<"clamp", "y = min(max(x, min), max)"> {
  let description = [{
    Clamps every element to `[min, max]`; `min ≤ max` is required.

    ```mlir
    %y = mirage.clamp %x min = -1.000000e+00 max = 1.000000e+00
        : tensor<8x4096xf16>
    ```
  }];
  let arguments = (ins Mirage_Value:$input, F32Attr:$min, F32Attr:$max);
  let assemblyFormat =
      "$input `min` `=` $min `max` `=` $max attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Binary elementwise ops with NumPy broadcasting
//===----------------------------------------------------------------------===//

class Mirage_BinaryOp<string mnemonic, string formula>
    : Mirage_Op<mnemonic, [Mirage_SameLevel, Pure, AllElementTypesMatch<["lhs", "rhs", "result"]>,
        Mirage_VerifyInferredType, InferTypeOpAdaptor]> {
  let summary = "elementwise " # mnemonic # " with broadcasting: " # formula;
  let description = [{
    Computes `}] # formula # [{` elementwise. The operands broadcast as in
    NumPy: shapes are aligned at their last dim, and each pair of dims is
    equal or one of them is 1 (a missing leading dim counts as 1). The result
    has the broadcast shape and the operands' element type.

    ```mlir
    %r = mirage.}] # mnemonic # [{ %a, %b
        : (tensor<2x256x4096xf16>, tensor<2x256x1xf16>) -> tensor<2x256x4096xf16>
    ```
  }];
  let arguments = (ins Mirage_Value:$lhs, Mirage_Value:$rhs);
  let results = (outs Mirage_Value:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::mlir::mirage::inferBroadcastResultType(
          location, getOperationName(), adaptor.getLhs().getType(),
          adaptor.getRhs().getType(), types);
    }
  }];
}

def Mirage_AddOp : Mirage_BinaryOp<"add", "lhs + rhs">;
def Mirage_SubOp : Mirage_BinaryOp<"sub", "lhs − rhs">;
def Mirage_MulOp : Mirage_BinaryOp<"mul", "lhs · rhs">;
def Mirage_DivOp : Mirage_BinaryOp<"div", "lhs / rhs">;
def Mirage_PowOp : Mirage_BinaryOp<"pow", "lhs ^ rhs">;

//===----------------------------------------------------------------------===//
// reduce
//===----------------------------------------------------------------------===//

def Mirage_ReduceOp : Mirage_Op<"reduce", [Mirage_SameLevel, Pure,
    SameOperandsAndResultElementType, Mirage_VerifyInferredType,
    InferTypeOpAdaptor]> {
  let summary = "sum or max over one dim, down to a given size";
  let description = [{
    Reduces dim `dim` (of extent `d`) down to extent `size` (default 1);
    `size` must divide `d`. The dim is viewed as `[d / size, size]` and the
    outer part is reduced (Mirage's semantics):

    `result[..., j, ...] = ⊕_{c < d/size} input[..., c · size + j, ...]`

    where ⊕ is `+` for `sum` and `max` for `max`. With `size = 1` this is the
    usual reduction that keeps the dim as extent 1. With `size > 1` it sums
    `d / size` consecutive chunks of width `size`, which is how partial results
    of a split computation (one chunk per thread block) are combined.

    ```mlir
    %s = mirage.reduce sum %e dim = 2
        : (tensor<2x256x4096xf16>) -> tensor<2x256x1xf16>
    %m = mirage.reduce max %p dim = 1 size = 64
        : (tensor<8x512xf32>) -> tensor<8x64xf32>
    ```
  }];
  let arguments = (ins Mirage_Value:$input, Mirage_ReduceKindAttr:$kind,
                   ConfinedAttr<I64Attr, [IntNonNegative]>:$dim,
                   DefaultValuedAttr<ConfinedAttr<I64Attr, [IntPositive]>,
                                     "1">:$size);
  let results = (outs Mirage_Value:$result);
  let assemblyFormat = [{
    custom<ReduceKind>($kind) $input `dim` `=` $dim (`size` `=` $size^)?
    attr-dict `:`
    functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// rms_norm
//===----------------------------------------------------------------------===//

def Mirage_RmsNormOp : Mirage_Op<"rms_norm", [Mirage_SameLevel, Pure, SameOperandsAndResultType,
    InferTypeOpInterface]> {
  let summary = "root-mean-square normalisation over the trailing dims";
  let description = [{
    Normalises over the trailing dims named by `normalized_shape` (which
    must equal the operand's trailing dims, as in
    `torch.nn.functional.rms_norm`), with no learned weight:

    `y = x / √(mean(x²) + eps)`, the mean taken over the `n = Π
    normalized_shape` trailing elements of each row. `eps` defaults to 0, as in
    Mirage; a non-negative value may be given.

    ```mlir
    %y = mirage.rms_norm %x normalized_shape = [4096] : tensor<2x4096xf16>
    ```
  }];
  let arguments = (ins Mirage_Value:$input,
                   DenseI64ArrayAttr:$normalized_shape,
                   DefaultValuedAttr<F32Attr, "0.0f">:$eps);
  let results = (outs Mirage_Value:$result);
  let assemblyFormat = [{
    $input `normalized_shape` `=` $normalized_shape (`eps` `=` $eps^)?
    attr-dict `:` type($input)
  }];
  let extraClassDeclaration = [{
    /// Number of elements each row is normalised over.
    int64_t getNormalizedSize();
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// concat
//===----------------------------------------------------------------------===//

def Mirage_ConcatOp : Mirage_Op<"concat", [Mirage_SameLevel, Pure,
    SameOperandsAndResultElementType, Mirage_VerifyInferredType,
    InferTypeOpAdaptor]> {
  let summary = "concatenation along one dim";
  let description = [{
    Concatenates two or more tensors along `dim`. All operands have the same
    rank and agree on every other dim; the result's extent along `dim` is
    the sum of theirs.

    ```mlir
    %c = mirage.concat %a, %b dim = 1
        : (tensor<16x256xf16>, tensor<16x16xf16>) -> tensor<16x272xf16>
    ```
  }];
  let arguments = (ins Variadic<Mirage_Value>:$inputs,
                   ConfinedAttr<I64Attr, [IntNonNegative]>:$dim);
  let results = (outs Mirage_Value:$result);
  let assemblyFormat = [{
    $inputs `dim` `=` $dim attr-dict `:` functional-type($inputs, results)
  }];
}

//===----------------------------------------------------------------------===//
// Composite ops (removed by mirage-decompose before search)
//===----------------------------------------------------------------------===//

def Mirage_SoftmaxOp : Mirage_Op<"softmax", [Mirage_SameLevel, Pure, SameOperandsAndResultType,
    InferTypeOpInterface]> {
  let summary = "softmax along one dim (composite)";
  let description = [{
    `y = e^x / Σ_dim e^x`, the sum taken along `dim` and broadcast back.

    A composite op: `mirage-decompose` rewrites it into `exp`, `reduce sum`
    and `div` before the superoptimizer runs. The reference interpreter
    evaluates the composite op itself with the usual max subtraction,
    `e^(x − max) / Σ e^(x − max)`, which is the same function.

    ```mlir
    %p = mirage.softmax %s dim = 2 : tensor<2x256x4096xf16>
    ```
  }];
  let arguments = (ins Mirage_Value:$input,
                   ConfinedAttr<I64Attr, [IntNonNegative]>:$dim);
  let results = (outs Mirage_Value:$result);
  let assemblyFormat = "$input `dim` `=` $dim attr-dict `:` type($input)";
  let hasVerifier = 1;
}

include "Mirage/Dialect/Mirage/IR/MirageBlockOps.td"
include "Mirage/Dialect/Mirage/IR/MirageThreadOps.td"

#endif // MIRAGE_DIALECT_MIRAGE_IR_MIRAGEOPS_TD
