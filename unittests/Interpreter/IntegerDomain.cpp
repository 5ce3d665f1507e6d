//===- IntegerDomain.cpp - The interpreter over exact integers ------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Instantiates the kernel-graph interpreter for a domain of its own, as any
// client with a new value domain does.
//
//===----------------------------------------------------------------------===//

#include "IntegerDomain.h"
#include "Mirage/Interpreter/InterpreterImpl.h"

template class mlir::mirage::KernelGraphInterpreter<mirage_test::IntegerDomain>;
