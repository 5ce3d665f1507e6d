//===- FunctionModule.h - A function in a module of its own -----*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Internal to MirageExecution: the lowering pipelines run on a module, but
// the tools hand over one function of theirs.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_LIB_EXECUTION_FUNCTIONMODULE_H
#define MIRAGE_LIB_EXECUTION_FUNCTIONMODULE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir {
namespace mirage {

/// A new module holding a copy of `func` and the attributes of the module
/// around it (mirage.target among them), so that `func` can be lowered
/// without touching the caller's module.
inline OwningOpRef<ModuleOp> copyIntoOwnModule(func::FuncOp func) {
  OwningOpRef<ModuleOp> module = ModuleOp::create(func.getLoc());
  if (auto parent = func->getParentOfType<ModuleOp>())
    for (NamedAttribute attr : parent->getAttrs())
      if (attr.getName() != SymbolTable::getSymbolAttrName())
        (*module)->setAttr(attr.getName(), attr.getValue());
  module->push_back(cast<func::FuncOp>(func->clone()));
  return module;
}

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_LIB_EXECUTION_FUNCTIONMODULE_H
