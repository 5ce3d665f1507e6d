//===- KernelGraph.cpp - A kernel graph for the search ----------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Search/KernelGraph.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/EquivalenceClasses.h"

using namespace mlir;
using namespace mlir::mirage;
using namespace mlir::mirage::search;

FailureOr<KernelGraph>
mlir::mirage::search::analyzeKernelGraph(func::FuncOp func, EGraph &graph) {
  KernelGraph kg;
  if (func.isExternal() || !func.getBody().hasOneBlock()) {
    emitError(func.getLoc(),
              "the superoptimizer needs a function with one block");
    return failure();
  }
  Block &body = func.getBody().front();
  llvm::DenseMap<Value, unsigned> tensorOf;

  // Every non-unit dim starts with an index slot of its own; ops unify slots.
  llvm::EquivalenceClasses<int> slots;
  SmallVector<SmallVector<int, 4>> slotOf; // per tensor, per dim
  int nextSlot = 0;
  auto addTensor = [&](Value value) -> FailureOr<unsigned> {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || !isKernelTensorType(type)) {
      emitError(value.getLoc())
          << "the superoptimizer works on static tensors of f16, bf16 or f32, "
             "got "
          << value.getType();
      return failure();
    }
    TensorInfo info;
    info.shape.assign(type.getShape().begin(), type.getShape().end());
    info.elementType = type.getElementType();
    SmallVector<int, 4> dims;
    for (int64_t extent : type.getShape()) {
      int slot = extent == 1 ? kUnitIndex : nextSlot++;
      if (slot != kUnitIndex)
        slots.insert(slot);
      dims.push_back(slot);
    }
    info.indices = dims; // slots for now; ids assigned below
    kg.tensors.push_back(std::move(info));
    slotOf.push_back(dims);
    tensorOf[value] = kg.tensors.size() - 1;
    return kg.tensors.size() - 1;
  };

  for (BlockArgument arg : body.getArguments())
    if (failed(addTensor(arg)))
      return failure();
  kg.numInputs = body.getNumArguments();

  for (Operation &op : body) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands())
        kg.outputs.push_back(tensorOf.lookup(v));
      continue;
    }
    FailureOr<OpSpec> spec = OpSpec::fromOperation(&op);
    if (failed(spec))
      return failure();
    KernelGraph::Op kop;
    kop.spec = *spec;
    SmallVector<const TensorInfo *> operands;
    for (Value v : op.getOperands()) {
      kop.operands.push_back(tensorOf.lookup(v));
      operands.push_back(&kg.tensors[tensorOf.lookup(v)]);
    }
    // Unify the slots the op identifies; the result's dims take the slots it
    // inherits (inferResult reports them in `indices`).
    SmallVector<int64_t> shape;
    SmallVector<int> indices;
    if (failed(spec->inferResult(
            operands,
            [&](int a, int b) {
              slots.unionSets(a, b);
              return true;
            },
            shape, indices))) {
      emitError(op.getLoc(),
                "the superoptimizer could not relate this op's dims");
      return failure();
    }
    FailureOr<unsigned> result = addTensor(op.getResult(0));
    if (failed(result))
      return failure();
    // The result's fresh slots are unified with the inherited ones.
    for (auto [d, inherited] : llvm::enumerate(indices)) {
      int own = slotOf[*result][d];
      if (own != kUnitIndex && inherited != kUnitIndex)
        slots.unionSets(own, inherited);
    }
    kop.result = *result;
    kg.ops.push_back(std::move(kop));
  }

  // Number the classes of slots: these are the index ids.
  llvm::DenseMap<int, int> idOfLeader;
  for (auto [t, dims] : llvm::enumerate(slotOf)) {
    TensorInfo &info = kg.tensors[t];
    for (auto [d, slot] : llvm::enumerate(dims)) {
      if (slot == kUnitIndex) {
        info.indices[d] = kUnitIndex;
        continue;
      }
      int leader = slots.getLeaderValue(slot);
      auto [it, inserted] = idOfLeader.try_emplace(leader, idOfLeader.size());
      if (inserted)
        kg.indexExtents.push_back(info.shape[d]);
      if (kg.indexExtents[it->second] != info.shape[d]) {
        emitError(func.getLoc(),
                  "the superoptimizer found dims of different extents "
                  "that must range over the same index");
        return failure();
      }
      info.indices[d] = it->second;
    }
  }
  if (kg.getNumIndices() > 64) {
    emitError(func.getLoc())
        << "the superoptimizer handles at most 64 distinct "
           "indices; this function has "
        << kg.getNumIndices();
    return failure();
  }

  // Abstract expressions.
  ExprBuilder builder(graph, /*insert=*/true);
  for (unsigned i = 0; i < kg.numInputs; ++i) {
    IndexSet free = 0;
    for (int id : kg.tensors[i].indices)
      if (id != kUnitIndex)
        free |= IndexSet(1) << id;
    graph.setVarIndices(i, free);
    kg.tensors[i].expr = graph.var(i);
  }
  for (KernelGraph::Op &op : kg.ops) {
    SmallVector<const TensorInfo *> operands;
    for (unsigned t : op.operands)
      operands.push_back(&kg.tensors[t]);
    kg.tensors[op.result].expr = *op.spec.buildExpr(builder, operands);
  }
  return kg;
}
