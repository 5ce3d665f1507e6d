//===- VerifyTestUtils.h - Parsing programs for verifier tests --*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_UNITTESTS_VERIFY_VERIFYTESTUTILS_H
#define MIRAGE_UNITTESTS_VERIFY_VERIFYTESTUTILS_H

#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "gtest/gtest.h"

namespace mirage_test {

/// Owns a context with the mirage dialect and the modules parsed in it.
class ProgramFixture : public ::testing::Test {
protected:
  ProgramFixture() {
    context.loadDialect<mlir::mirage::MirageDialect, mlir::func::FuncDialect>();
  }

  /// Parses a module holding one function and returns the function.
  mlir::func::FuncOp parse(llvm::StringRef source) {
    modules.push_back(
        mlir::parseSourceString<mlir::ModuleOp>(source, &context));
    EXPECT_TRUE(modules.back()) << "failed to parse:\n" << source.str();
    if (!modules.back())
      return nullptr;
    return *modules.back()->getOps<mlir::func::FuncOp>().begin();
  }

  mlir::MLIRContext context;
  std::vector<mlir::OwningOpRef<mlir::ModuleOp>> modules;
};

} // namespace mirage_test

#endif // MIRAGE_UNITTESTS_VERIFY_VERIFYTESTUTILS_H
