//===- MirageThreadOps.cpp - Mirage thread-level ops ----------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Dialect/Mirage/IR/MirageOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

using namespace mlir;
using namespace mlir::mirage;

//===----------------------------------------------------------------------===//
// WarpgroupMmaOp
//===----------------------------------------------------------------------===//

LogicalResult WarpgroupMmaOp::verify() {
  auto a = cast<VectorType>(getA().getType());
  auto b = cast<MemRefType>(getB().getType());
  if (a.getShape() != ArrayRef<int64_t>{4, 2})
    return emitOpError("expects the A fragment as vector<4x2x...> (four "
                       "registers of two elements), got ")
           << a;
  if (b.getElementType() != a.getElementType())
    return emitOpError("expects B's element type to be A's (")
           << a.getElementType() << "), got " << b.getElementType();
  if (!b.hasStaticShape() || !b.getLayout().isIdentity() ||
      b.getShape().back() != 64 || b.getShape()[1] % 8 != 0)
    return emitOpError("expects B as a contiguous [blocks, K, 64] tile with K "
                       "a multiple of 8 (the 128-byte-swizzled layout), got ")
           << b;
  auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(b.getMemorySpace());
  if (!space || space.getValue() != gpu::AddressSpace::Workgroup)
    return emitOpError("expects B in workgroup (shared) memory, got ") << b;
  int64_t n = getNumColumns();
  if (n % 8 != 0 || n > 256)
    return emitOpError("expects an accumulator of N / 2 elements with N a "
                       "multiple of 8 of at most 256, got N = ")
           << n;
  return success();
}
