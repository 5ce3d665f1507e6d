//===- MirageAttrs.cpp - Mirage dialect attributes --------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Dialect/Mirage/IR/MirageOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::mirage;

#include "Mirage/Dialect/Mirage/IR/MirageEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "Mirage/Dialect/Mirage/IR/MirageAttrs.cpp.inc"

void MirageDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Mirage/Dialect/Mirage/IR/MirageAttrs.cpp.inc"
      >();
}

static constexpr char kAxisNames[] = {'x', 'y', 'z'};

GridMapAttr GridMapAttr::get(MLIRContext *context, std::optional<int64_t> x,
                             std::optional<int64_t> y,
                             std::optional<int64_t> z) {
  int64_t dims[] = {x.value_or(-1), y.value_or(-1), z.value_or(-1)};
  return get(context, dims);
}

std::optional<int> GridMapAttr::getAxisOf(int64_t dim) const {
  for (int axis = 0; axis < kNumAxes; ++axis)
    if (getDims()[axis] == dim)
      return axis;
  return std::nullopt;
}

/// `{x = 1, z = 0}`: the mapped axes, in x, y, z order.
Attribute GridMapAttr::parse(AsmParser &parser, Type) {
  SmallVector<int64_t, 3> dims(kNumAxes, -1);
  SMLoc loc = parser.getCurrentLocation();
  auto parseEntry = [&]() -> ParseResult {
    StringRef axisName;
    SMLoc axisLoc = parser.getCurrentLocation();
    int64_t dim;
    if (parser.parseKeyword(&axisName))
      return failure();
    const char *axis =
        llvm::find(kAxisNames, axisName.size() == 1 ? axisName.front() : '?');
    if (axis == std::end(kAxisNames))
      return parser.emitError(axisLoc, "expected grid axis x, y or z, got '")
             << axisName << "'";
    int index = axis - std::begin(kAxisNames);
    if (dims[index] != -1)
      return parser.emitError(axisLoc, "grid axis ")
             << axisName << " is mapped twice";
    if (parser.parseEqual() || parser.parseInteger(dim))
      return failure();
    dims[index] = dim;
    return success();
  };
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Braces, parseEntry))
    return Attribute();
  return getChecked([&] { return parser.emitError(loc); }, parser.getContext(),
                    dims);
}

void GridMapAttr::print(AsmPrinter &printer) const {
  printer << '{';
  bool first = true;
  for (int axis = 0; axis < kNumAxes; ++axis) {
    if (std::optional<int64_t> dim = getDim(axis)) {
      printer << (first ? "" : ", ") << kAxisNames[axis] << " = " << *dim;
      first = false;
    }
  }
  printer << '}';
}

LogicalResult GridMapAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> dims) {
  if (dims.size() != kNumAxes)
    return emitError() << "a grid map has one entry per grid axis (3), got "
                       << dims.size();
  for (int a = 0; a < kNumAxes; ++a) {
    if (dims[a] < -1)
      return emitError() << "grid axis " << kAxisNames[a]
                         << " maps to a negative dim " << dims[a];
    for (int b = 0; b < a; ++b)
      if (dims[a] >= 0 && dims[a] == dims[b])
        return emitError() << "grid axes " << kAxisNames[b] << " and "
                           << kAxisNames[a] << " both map to dim " << dims[a];
  }
  return success();
}
