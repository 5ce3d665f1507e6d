//===- MirageAttrs.td - Mirage dialect attributes ---------*- tablegen -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_DIALECT_MIRAGE_IR_MIRAGEATTRS_TD
#define MIRAGE_DIALECT_MIRAGE_IR_MIRAGEATTRS_TD

include "Mirage/Dialect/Mirage/IR/MirageBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Mirage_ReduceKind : I32EnumAttr<"ReduceKind",
    "how a reduction combines the elements of a group", [
      I32EnumAttrCase<"sum", 0>,
      I32EnumAttrCase<"max", 1>
    ]> {
  let cppNamespace = "::mlir::mirage";
  let genSpecializedAttr = 0;
}

def Mirage_ReduceKindAttr
    : EnumAttr<Mirage_Dialect, Mirage_ReduceKind, "reduce_kind">;

def Mirage_AccumulatorKind : I32EnumAttr<"AccumulatorKind",
    "how a for-loop accumulator combines the loop body's values", [
      I32EnumAttrCase<"sum", 0>,
      I32EnumAttrCase<"mean", 1>,
      I32EnumAttrCase<"rms", 2>,
      I32EnumAttrCase<"max", 3>,
      I32EnumAttrCase<"rescaled_sum", 4>
    ]> {
  let cppNamespace = "::mlir::mirage";
  let genSpecializedAttr = 0;
}

def Mirage_AccumulatorKindAttr
    : EnumAttr<Mirage_Dialect, Mirage_AccumulatorKind, "accumulator">;

def Mirage_GridMapAttr : AttrDef<Mirage_Dialect, "GridMap"> {
  let mnemonic = "grid_map";
  let summary = "a map from grid axes (x, y, z) to tensor dims";
  let description = [{
    For each grid axis x, y, z: the tensor dim it partitions, or none. In an
    input iterator (`imap`) an axis without a dim replicates the tensor
    across the blocks along it; in an output saver (`omap`) every axis of
    grid size > 1 must have a dim. Printed by axis, omitting unmapped axes:

    ```mlir
    imap = {x = 1, z = 0}
    omap = {}
    ```
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$dims);
  let extraClassDeclaration = [{
    /// The grid axes, in order.
    static constexpr int kNumAxes = 3;
    /// The dim grid axis `axis` (0 = x, 1 = y, 2 = z) maps to, if any.
    std::optional<int64_t> getDim(int axis) const {
      int64_t d = getDims()[axis];
      return d < 0 ? std::nullopt : std::optional<int64_t>(d);
    }
    /// The grid axis mapped to tensor dim `dim`, if any.
    std::optional<int> getAxisOf(int64_t dim) const;
    /// A map from explicit (axis -> dim) entries; -1 marks an unmapped axis.
    static GridMapAttr get(::mlir::MLIRContext *context,
                           std::optional<int64_t> x,
                           std::optional<int64_t> y = std::nullopt,
                           std::optional<int64_t> z = std::nullopt);
  }];
  let genVerifyDecl = 1;
  let hasCustomAssemblyFormat = 1;
}

#endif // MIRAGE_DIALECT_MIRAGE_IR_MIRAGEATTRS_TD
