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

#endif // MIRAGE_DIALECT_MIRAGE_IR_MIRAGEATTRS_TD
