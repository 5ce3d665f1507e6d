//===- FieldInterpreter.cpp - The interpreter over Z_p x Z_q --------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Verify/FieldInterpreter.h"
#include "Mirage/Interpreter/InterpreterImpl.h"

template class mlir::mirage::KernelGraphInterpreter<mlir::mirage::FieldDomain>;
