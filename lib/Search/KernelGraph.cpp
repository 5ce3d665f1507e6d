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
#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <optional>

using namespace mlir;
using namespace mlir::mirage;
using namespace mlir::mirage::search;

namespace {

/// A union-find over index slots that can be copied, so that an op's
/// unifications can be tried and dropped.
class SlotSets {
public:
  int add() {
    parent.push_back(parent.size());
    return parent.size() - 1;
  }
  int find(int slot) const {
    while (parent[slot] != slot)
      slot = parent[slot];
    return slot;
  }
  void unite(int a, int b) {
    a = find(a);
    b = find(b);
    if (a != b)
      parent[std::max(a, b)] = std::min(a, b);
  }

private:
  std::vector<int> parent;
};

/// The analysis's state: tensors with one slot per dim (kUnitIndex for
/// extent-1 dims), the ops in program order, and which slots are one index.
struct Analysis {
  struct Tensor {
    SmallVector<int64_t, 4> shape;
    Type elementType;
    SmallVector<int, 4> slots;
    /// The function argument an input reads, or -1 for an op's result.
    int argument = -1;
    /// The op computing the tensor, or -1 for an input.
    int producer = -1;
  };
  SlotSets sets;
  std::vector<Tensor> tensors;
  std::vector<KernelGraph::Op> ops;

  unsigned addTensor(ArrayRef<int64_t> shape, Type elementType, int argument,
                     int producer) {
    Tensor t;
    t.shape.assign(shape.begin(), shape.end());
    t.elementType = elementType;
    for (int64_t extent : shape)
      t.slots.push_back(extent == 1 ? kUnitIndex : sets.add());
    t.argument = argument;
    t.producer = producer;
    tensors.push_back(std::move(t));
    return tensors.size() - 1;
  }

  TensorInfo getInfo(unsigned t) const {
    TensorInfo info;
    info.shape = tensors[t].shape;
    info.elementType = tensors[t].elementType;
    info.indices = tensors[t].slots;
    return info;
  }

  /// Applies `spec` to `operands`: unifies the slots it identifies and adds
  /// its result (with the result's element type). Fails if the shapes do
  /// not fit.
  FailureOr<unsigned> apply(const OpSpec &spec, ArrayRef<unsigned> operands,
                            Type elementType) {
    SmallVector<TensorInfo, 2> infos;
    for (unsigned t : operands)
      infos.push_back(getInfo(t));
    SmallVector<const TensorInfo *, 2> pointers;
    for (const TensorInfo &info : infos)
      pointers.push_back(&info);
    SmallVector<int64_t> shape;
    SmallVector<int> inherited;
    if (failed(spec.inferResult(
            pointers,
            [&](int a, int b) {
              sets.unite(a, b);
              return true;
            },
            shape, inherited)))
      return failure();
    unsigned result = addTensor(shape, elementType, -1, ops.size());
    for (auto [d, slot] : llvm::enumerate(inherited))
      if (slot != kUnitIndex && tensors[result].slots[d] != kUnitIndex)
        sets.unite(tensors[result].slots[d], slot);
    KernelGraph::Op op;
    op.spec = spec;
    op.operands.assign(operands.begin(), operands.end());
    op.result = result;
    ops.push_back(std::move(op));
    return result;
  }

  /// Another instance of tensor `t`, with fresh slots: another input
  /// reading the same argument, or a copy of the ops computing it. `memo`
  /// keeps one instance per tensor within one renaming.
  unsigned instantiate(unsigned t, llvm::DenseMap<unsigned, unsigned> &memo) {
    if (auto it = memo.find(t); it != memo.end())
      return it->second;
    unsigned copy;
    if (tensors[t].producer < 0) {
      copy = addTensor(Tensor(tensors[t]).shape, tensors[t].elementType,
                       tensors[t].argument, -1);
    } else {
      KernelGraph::Op op = ops[tensors[t].producer];
      SmallVector<unsigned, 2> operands;
      for (unsigned operand : op.operands)
        operands.push_back(instantiate(operand, memo));
      // The op applied to fresh operands fits as the original did.
      copy = *apply(op.spec, operands, tensors[t].elementType);
    }
    memo[t] = copy;
    return copy;
  }

  /// Whether some tensor has two dims that range over one index.
  bool hasConflict() const {
    for (const Tensor &t : tensors) {
      SmallVector<int, 4> classes;
      for (int slot : t.slots)
        if (slot != kUnitIndex)
          classes.push_back(sets.find(slot));
      llvm::sort(classes);
      if (std::adjacent_find(classes.begin(), classes.end()) != classes.end())
        return true;
    }
    return false;
  }
};

} // namespace

FailureOr<KernelGraph>
mlir::mirage::search::analyzeKernelGraph(func::FuncOp func, EGraph &graph) {
  if (func.isExternal() || !func.getBody().hasOneBlock()) {
    emitError(func.getLoc(),
              "the superoptimizer needs a function with one block");
    return failure();
  }
  Block &body = func.getBody().front();
  auto checkType = [&](Value value) -> FailureOr<RankedTensorType> {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || !isKernelTensorType(type)) {
      emitError(value.getLoc())
          << "the superoptimizer works on static tensors of f16, bf16 or f32, "
             "got "
          << value.getType();
      return failure();
    }
    return type;
  };

  // Every non-unit dim starts with a slot of its own; ops unify slots. An
  // op whose unifications would tie two dims of one tensor gets fresh
  // instances of some operands instead (KernelGraph.h).
  Analysis analysis;
  llvm::DenseMap<Value, unsigned> tensorOf;
  for (BlockArgument arg : body.getArguments()) {
    FailureOr<RankedTensorType> type = checkType(arg);
    if (failed(type))
      return failure();
    tensorOf[arg] = analysis.addTensor(type->getShape(),
                                       type->getElementType(),
                                       arg.getArgNumber(), -1);
  }
  SmallVector<unsigned> outputs;
  for (Operation &op : body) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands())
        outputs.push_back(tensorOf.lookup(v));
      continue;
    }
    FailureOr<OpSpec> spec = OpSpec::fromOperation(&op);
    if (failed(spec))
      return failure();
    FailureOr<RankedTensorType> resultType = checkType(op.getResult(0));
    if (failed(resultType))
      return failure();
    SmallVector<unsigned, 2> operands;
    for (Value v : op.getOperands())
      operands.push_back(tensorOf.lookup(v));
    // Operands as they are first; then fresh instances of one operand, of
    // another, ... (fewest first).
    unsigned numMasks = 1u << operands.size();
    SmallVector<unsigned> masks;
    for (unsigned mask = 0; mask < numMasks; ++mask)
      masks.push_back(mask);
    llvm::stable_sort(masks, [](unsigned a, unsigned b) {
      return llvm::popcount(a) < llvm::popcount(b);
    });
    std::optional<Analysis> accepted;
    unsigned result = 0;
    bool shapesFit = false;
    for (unsigned mask : masks) {
      Analysis trial = analysis;
      llvm::DenseMap<unsigned, unsigned> memo;
      SmallVector<unsigned, 2> uses;
      for (auto [i, t] : llvm::enumerate(operands))
        uses.push_back(mask & (1u << i) ? trial.instantiate(t, memo) : t);
      FailureOr<unsigned> applied =
          trial.apply(*spec, uses, resultType->getElementType());
      if (failed(applied))
        continue;
      shapesFit = true;
      if (trial.hasConflict())
        continue;
      result = *applied;
      accepted = std::move(trial);
      break;
    }
    if (!accepted) {
      emitError(op.getLoc(), shapesFit
                                 ? "the superoptimizer could not give this "
                                   "op's dims distinct indices"
                                 : "the superoptimizer could not relate this "
                                   "op's dims");
      return failure();
    }
    analysis = std::move(*accepted);
    tensorOf[op.getResult(0)] = result;
  }

  // The kernel graph: inputs first (the arguments, then further instances),
  // then the ops' results in program order.
  KernelGraph kg;
  SmallVector<unsigned> newIndex(analysis.tensors.size());
  for (auto [t, tensor] : llvm::enumerate(analysis.tensors))
    if (tensor.producer < 0) {
      newIndex[t] = kg.tensors.size();
      kg.tensors.push_back(analysis.getInfo(t));
      kg.inputArguments.push_back(tensor.argument);
    }
  kg.numInputs = kg.tensors.size();
  for (const KernelGraph::Op &op : analysis.ops) {
    newIndex[op.result] = kg.tensors.size();
    kg.tensors.push_back(analysis.getInfo(op.result));
    KernelGraph::Op renamed = op;
    for (unsigned &operand : renamed.operands)
      operand = newIndex[operand];
    renamed.result = newIndex[op.result];
    kg.ops.push_back(std::move(renamed));
  }
  for (unsigned t : outputs)
    kg.outputs.push_back(newIndex[t]);

  // Number the classes of slots: these are the index ids.
  llvm::DenseMap<int, int> idOfLeader;
  for (TensorInfo &info : kg.tensors) {
    for (auto [d, slot] : llvm::enumerate(info.indices)) {
      if (slot == kUnitIndex)
        continue;
      int leader = analysis.sets.find(slot);
      auto [it, inserted] = idOfLeader.try_emplace(leader, idOfLeader.size());
      if (inserted)
        kg.indexExtents.push_back(info.shape[d]);
      if (kg.indexExtents[it->second] != info.shape[d]) {
        emitError(func.getLoc(),
                  "the superoptimizer found dims of different extents "
                  "that must range over the same index");
        return failure();
      }
      slot = it->second;
    }
  }
  if (kg.getNumIndices() > 64) {
    emitError(func.getLoc())
        << "the superoptimizer handles at most 64 distinct "
           "indices; this function has "
        << kg.getNumIndices();
    return failure();
  }

  // Abstract expressions: each input (each instance of an argument) is a
  // variable of its own.
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
