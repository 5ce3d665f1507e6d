//===- MirageTypes.cpp - Mirage dialect types -------------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Dialect/Mirage/IR/ShapeLimits.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::mirage;

#define GET_TYPEDEF_CLASSES
#include "Mirage/Dialect/Mirage/IR/MirageOpsTypes.cpp.inc"

void MirageDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "Mirage/Dialect/Mirage/IR/MirageOpsTypes.cpp.inc"
      >();
}

/// `!mirage.tile<64x64xf16>`.
Type TileType::parse(AsmParser &parser) {
  SmallVector<int64_t> shape;
  Type elementType;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/false,
                                /*withTrailingX=*/true) ||
      parser.parseType(elementType) || parser.parseGreater())
    return Type();
  return getChecked([&] { return parser.emitError(loc); }, parser.getContext(),
                    shape, elementType);
}

void TileType::print(AsmPrinter &printer) const {
  printer << '<';
  printer.printDimensionList(getShape());
  printer << 'x' << getElementType() << '>';
}

LogicalResult TileType::verify(function_ref<InFlightDiagnostic()> emitError,
                               ArrayRef<int64_t> shape, Type elementType) {
  if (shape.empty())
    return emitError() << "a tile has rank >= 1";
  if (llvm::any_of(shape, [](int64_t d) { return d <= 0; }))
    return emitError() << "tile dims must be positive, got "
                       << formatShape(shape);
  if (!elementType.isF16() && !elementType.isBF16() && !elementType.isF32())
    return emitError() << "tile element type must be f16, bf16 or f32, got "
                       << elementType;
  if (std::optional<std::string> why = checkShapeLimits(shape, elementType)) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << formatShape(shape) << "x" << elementType;
    return emitError() << "tile " << text << " is too large: " << *why;
  }
  return success();
}

TileType TileType::cloneWith(std::optional<ArrayRef<int64_t>> shape,
                             Type elementType) const {
  return TileType::get(getContext(), shape ? *shape : getShape(), elementType);
}

int64_t TileType::getSizeInBytes() const {
  int64_t elements = 1;
  for (int64_t d : getShape())
    elements *= d;
  return elements * static_cast<int64_t>(getElementTypeBitWidth() / 8);
}
