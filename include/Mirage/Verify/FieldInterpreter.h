//===- FieldInterpreter.h - The interpreter over Z_p x Z_q ------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_VERIFY_FIELDINTERPRETER_H
#define MIRAGE_VERIFY_FIELDINTERPRETER_H

#include "Mirage/Interpreter/Interpreter.h"
#include "Mirage/Verify/FieldDomain.h"

namespace mlir {
namespace mirage {

extern template class KernelGraphInterpreter<FieldDomain>;

/// The reference interpreter computing finite-field fingerprints.
using FieldInterpreter = KernelGraphInterpreter<FieldDomain>;

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_VERIFY_FIELDINTERPRETER_H
