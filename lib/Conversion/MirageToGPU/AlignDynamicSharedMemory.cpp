//===- AlignDynamicSharedMemory.cpp - Aligned dynamic shared memory -------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mirage-align-dynamic-shared-memory: see its description in Passes.td.
//
// Upstream's lowering of gpu.dynamic_shared_memory reuses an existing global
// only when its alignment is exactly 16 bytes and otherwise declares its own
// with that alignment, so the alignment cannot be raised by declaring the
// global first: the ops are replaced by a memref.global that the memref
// lowering inside convert-gpu-to-nvvm turns into the same kind of LLVM global
// (external, zero-sized, address space 3), with our alignment.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/MathExtras.h"

#define DEBUG_TYPE "mirage-align-dynamic-shared-memory"

namespace mlir {
namespace mirage {
#define GEN_PASS_DEF_MIRAGEALIGNDYNAMICSHAREDMEMORY
#include "Mirage/Conversion/Passes.h.inc"
} // namespace mirage
} // namespace mlir

using namespace mlir;
using namespace mlir::mirage;

namespace {
struct MirageAlignDynamicSharedMemoryPass
    : mirage::impl::MirageAlignDynamicSharedMemoryBase<
          MirageAlignDynamicSharedMemoryPass> {
  using Base::Base;

  void runOnOperation() override {
    gpu::GPUModuleOp module = getOperation();
    if (alignment <= 0 || !llvm::isPowerOf2_64(alignment)) {
      module.emitError() << "mirage-align-dynamic-shared-memory: alignment "
                         << alignment << " is not a positive power of two";
      return signalPassFailure();
    }
    SmallVector<gpu::DynamicSharedMemoryOp> ops;
    module.walk([&](gpu::DynamicSharedMemoryOp op) { ops.push_back(op); });
    if (ops.empty())
      return;

    // One declaration per module; its type is the ops' (i8 elements in
    // workgroup memory: the op's verifier guarantees both) with size 0.
    MemRefType dynamicType = ops.front().getResultMemref().getType();
    auto globalType =
        MemRefType::get({0}, dynamicType.getElementType(), MemRefLayoutAttrInterface(),
                        dynamicType.getMemorySpace());
    // Public and without an initial value: an external declaration, which
    // is what dynamic shared memory is in PTX.
    OpBuilder builder(module.getContext());
    auto global = memref::GlobalOp::create(
        builder, module.getLoc(), "__mirage_dynamic_shared_memory",
        /*sym_visibility=*/StringAttr(), globalType,
        /*initial_value=*/Attribute(), /*constant=*/false,
        builder.getI64IntegerAttr(alignment));
    // Renamed should the module already hold the name.
    SymbolTable(module).insert(global, module.getBody()->begin());

    for (gpu::DynamicSharedMemoryOp op : ops) {
      builder.setInsertionPoint(op);
      Value base = memref::GetGlobalOp::create(builder, op.getLoc(), globalType,
                                               global.getSymName());
      Value cast = memref::CastOp::create(builder, op.getLoc(),
                                          op.getResultMemref().getType(), base);
      op.getResultMemref().replaceAllUsesWith(cast);
      op.erase();
    }
  }
};
} // namespace
