//===- MirageDialect.cpp - Mirage dialect -----------------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Target/GpuTarget.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mirage;

#include "Mirage/Dialect/Mirage/IR/MirageOpsDialect.cpp.inc"

void MirageDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "Mirage/Dialect/Mirage/IR/MirageOps.cpp.inc"
      >();
  registerAttributes();
  registerTypes();
}

LogicalResult MirageDialect::verifyRegionArgAttribute(Operation *op,
                                                      unsigned regionIndex,
                                                      unsigned argIndex,
                                                      NamedAttribute attr) {
  if (attr.getName() != kInputRangeAttrName)
    return op->emitError() << "unknown mirage argument attribute '"
                           << attr.getName().getValue() << "'";
  auto range = dyn_cast<ArrayAttr>(attr.getValue());
  auto isFloat = [](Attribute a) { return isa<FloatAttr>(a); };
  if (!range || range.size() != 2 || !llvm::all_of(range, isFloat))
    return op->emitError() << kInputRangeAttrName << " of argument " << argIndex
                           << " must be [lo, hi] with two float values";
  double lo = cast<FloatAttr>(range[0]).getValueAsDouble();
  double hi = cast<FloatAttr>(range[1]).getValueAsDouble();
  if (!(lo < hi) || !std::isfinite(lo) || !std::isfinite(hi))
    return op->emitError() << kInputRangeAttrName << " of argument " << argIndex
                           << " must satisfy lo < hi with finite bounds";
  return success();
}

LogicalResult MirageDialect::verifyOperationAttribute(Operation *op,
                                                      NamedAttribute attr) {
  // The lowering's launch plans (convert-mirage-to-gpu): one dictionary per
  // lowered function, read by mirage-export-kernel-package.
  if (attr.getName() == "mirage.launch_plans") {
    if (!isa<DictionaryAttr>(attr.getValue()))
      return op->emitError("mirage.launch_plans must be a dictionary of "
                           "launch plans by function name");
    return success();
  }
  // The tile level's double buffers (convert-mirage-to-gpu, read by
  // mirage-map-tiles-to-threads): a copy to issue asynchronously, and the
  // byte range a view at a non-constant offset may cover.
  if (attr.getName() == "mirage.async_copy" ||
      attr.getName() == "mirage.swizzled") {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError()
             << attr.getName().getValue() << " must be a unit attribute";
    return success();
  }
  if (attr.getName() == "mirage.shared_bytes") {
    auto range = dyn_cast<DenseI64ArrayAttr>(attr.getValue());
    if (!range || range.size() != 2 || range[0] < 0 || range[1] < range[0])
      return op->emitError("mirage.shared_bytes must be a [begin, end) pair "
                           "of byte offsets");
    return success();
  }
  if (attr.getName() != kTargetAttrName)
    return op->emitError() << "unknown mirage attribute '"
                           << attr.getName().getValue() << "'";
  auto name = dyn_cast<StringAttr>(attr.getValue());
  if (!name || !lookupGpuTarget(name.getValue()))
    return op->emitError() << kTargetAttrName
                           << " must name a target: " << getGpuTargetNames();
  return success();
}

void mlir::mirage::registerMirageDialect(DialectRegistry &registry) {
  registry.insert<MirageDialect, func::FuncDialect>();
}
