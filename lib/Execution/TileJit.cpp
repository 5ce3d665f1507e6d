//===- TileJit.cpp - Run tile-level GPU code on the CPU -------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Execution/TileJit.h"
#include "FunctionModule.h"
#include "Mirage/Conversion/Pipelines.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"

using namespace mlir;
using namespace mlir::mirage;

namespace {
/// A strided memref descriptor of any rank, laid out as the C interface
/// expects: allocated and aligned pointers, offset, sizes, strides.
struct Descriptor {
  std::vector<int64_t> words;
  Descriptor(void *data, ArrayRef<int64_t> shape) {
    words.push_back(reinterpret_cast<int64_t>(data));
    words.push_back(reinterpret_cast<int64_t>(data));
    words.push_back(0);
    words.insert(words.end(), shape.begin(), shape.end());
    SmallVector<int64_t> strides = getRowMajorStrides(shape);
    words.insert(words.end(), strides.begin(), strides.end());
  }
};

} // namespace

FailureOr<SmallVector<Tensor<float>>>
mlir::mirage::runTileLevelOnHost(func::FuncOp func,
                                 ArrayRef<Tensor<float>> inputs,
                                 StringRef target, bool threadLevel) {
  MLIRContext *context = func.getContext();
  FunctionType type = func.getFunctionType();
  if (inputs.size() != type.getNumInputs()) {
    func.emitError() << "@" << func.getName() << " takes "
                     << type.getNumInputs() << " arguments but "
                     << inputs.size() << " were given";
    return failure();
  }
  // A module of its own holding just the function (and the target).
  OwningOpRef<ModuleOp> module = copyIntoOwnModule(func);
  std::string name = func.getName().str();

  PassManager pm(context);
  LowerToHostOptions options;
  options.target = target.str();
  options.threads = threadLevel;
  buildLowerToHostPipeline(pm, options);
  if (failed(pm.run(*module)))
    return failure();

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  registerBuiltinDialectTranslation(*context);
  registerLLVMDialectTranslation(*context);
  ExecutionEngineOptions engineOptions;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Default;
  auto engine = ExecutionEngine::create(*module, engineOptions);
  if (!engine) {
    func.emitError() << "the JIT failed to compile the lowered @" << name
                     << ": " << llvm::toString(engine.takeError());
    return failure();
  }

  // Buffers and descriptors: the inputs, then one per result.
  std::vector<std::vector<uint8_t>> storage;
  std::vector<Descriptor> descriptors;
  SmallVector<ElementKind> resultKinds;
  for (auto [i, t] : llvm::enumerate(type.getInputs())) {
    auto tensor = cast<RankedTensorType>(t);
    storage.push_back(encodeElements(inputs[i].getData(),
                                     *getElementKind(tensor.getElementType())));
  }
  for (Type t : type.getResults()) {
    auto tensor = cast<RankedTensorType>(t);
    ElementKind kind = *getElementKind(tensor.getElementType());
    resultKinds.push_back(kind);
    storage.emplace_back(tensor.getNumElements() * getElementBytes(kind));
  }
  SmallVector<Type> all(type.getInputs());
  all.append(type.getResults().begin(), type.getResults().end());
  for (auto [bytes, t] : llvm::zip(storage, all))
    descriptors.emplace_back(bytes.data(),
                             cast<RankedTensorType>(t).getShape());
  SmallVector<void *> pointers, args;
  for (Descriptor &d : descriptors)
    pointers.push_back(d.words.data());
  for (void *&p : pointers)
    args.push_back(&p);
  if (llvm::Error err = (*engine)->invokePacked("_mlir_ciface_" + name, args)) {
    func.emitError() << "running the lowered @" << name
                     << " failed: " << llvm::toString(std::move(err));
    return failure();
  }
  SmallVector<Tensor<float>> outputs;
  for (auto [i, t] : llvm::enumerate(type.getResults())) {
    Tensor<float> r(cast<RankedTensorType>(t).getShape());
    decodeElements(storage[type.getNumInputs() + i].data(), resultKinds[i],
                   r.getData());
    outputs.push_back(std::move(r));
  }
  return outputs;
}
