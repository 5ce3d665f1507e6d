//===- MirageTypes.td - Mirage dialect types --------------*- tablegen -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_DIALECT_MIRAGE_IR_MIRAGETYPES_TD
#define MIRAGE_DIALECT_MIRAGE_IR_MIRAGETYPES_TD

include "Mirage/Dialect/Mirage/IR/MirageBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinTypeInterfaces.td"

def Mirage_TileType : TypeDef<Mirage_Dialect, "Tile", [ShapedTypeInterface]> {
  let mnemonic = "tile";
  let summary = "a tile of a block graph, held in shared memory";
  let description = [{
    The value of a block-graph op: one thread block's tile, in shared memory.
    Shape and element type are as for kernel tensors (static, positive dims;
    f16, bf16 or f32).

    ```mlir
    !mirage.tile<64x64xf16>
    ```
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape,
                        "::mlir::Type":$elementType);
  let builders = [
    TypeBuilderWithInferredContext<(ins "::llvm::ArrayRef<int64_t>":$shape,
                                        "::mlir::Type":$elementType), [{
      return $_get(elementType.getContext(), shape, elementType);
    }]>
  ];
  let extraClassDeclaration = [{
    /// Tiles are always ranked.
    bool hasRank() const { return true; }
    /// A tile with the given shape (or this one's) and element type.
    TileType cloneWith(std::optional<::llvm::ArrayRef<int64_t>> shape,
                       ::mlir::Type elementType) const;
    /// Bytes the tile occupies in shared memory.
    int64_t getSizeInBytes() const;
  }];
  let genVerifyDecl = 1;
  let hasCustomAssemblyFormat = 1;
}

#endif // MIRAGE_DIALECT_MIRAGE_IR_MIRAGETYPES_TD
