//===- ExportKernelPackage.cpp - Lowered kernels as a kernel package ------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mirage-export-kernel-package: see its description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

#define DEBUG_TYPE "mirage-export-kernel-package"

namespace mlir {
namespace mirage {
#define GEN_PASS_DEF_MIRAGEEXPORTKERNELPACKAGE
#include "Mirage/Conversion/Passes.h.inc"
} // namespace mirage
} // namespace mlir

using namespace mlir;
using namespace mlir::mirage;

namespace {

/// An attribute of the launch plan as JSON.
llvm::json::Value toJson(Attribute attr) {
  if (auto dict = dyn_cast<DictionaryAttr>(attr)) {
    llvm::json::Object object;
    for (NamedAttribute field : dict)
      object[field.getName().getValue()] = toJson(field.getValue());
    return object;
  }
  if (auto array = dyn_cast<ArrayAttr>(attr)) {
    llvm::json::Array list;
    for (Attribute a : array)
      list.push_back(toJson(a));
    return list;
  }
  if (auto ints = dyn_cast<DenseI64ArrayAttr>(attr)) {
    llvm::json::Array list;
    for (int64_t v : ints.asArrayRef())
      list.push_back(v);
    return list;
  }
  if (auto i = dyn_cast<IntegerAttr>(attr))
    return i.getInt();
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValueAsDouble();
  if (auto s = dyn_cast<StringAttr>(attr))
    return s.getValue().str();
  return nullptr;
}

/// The ptxas to use, or empty.
std::string findPtxas(StringRef option) {
  if (option == "none")
    return "";
  if (option != "auto")
    return option.str();
  SmallVector<std::string> dirs;
  if (const char *home = std::getenv("CUDA_HOME"))
    dirs.push_back((Twine(home) + "/bin").str());
  dirs.push_back("/usr/local/cuda/bin");
  if (llvm::ErrorOr<std::string> onPath = llvm::sys::findProgramByName("ptxas"))
    return *onPath;
  SmallVector<StringRef> paths(dirs.begin(), dirs.end());
  if (llvm::ErrorOr<std::string> found =
          llvm::sys::findProgramByName("ptxas", paths))
    return *found;
  return "";
}

LogicalResult writeFile(Operation *op, StringRef path, StringRef contents) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return op->emitError() << "cannot write '" << path << "': " << ec.message();
  os << contents;
  return success();
}

struct MirageExportKernelPackagePass
    : mirage::impl::MirageExportKernelPackageBase<
          MirageExportKernelPackagePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (outputDir.empty()) {
      module.emitError("mirage-export-kernel-package needs output-dir=DIR");
      return signalPassFailure();
    }
    auto plans = module->getAttrOfType<DictionaryAttr>(kLaunchPlansAttrName);
    if (!plans || plans.empty()) {
      module.emitError() << "no launch plans (" << kLaunchPlansAttrName
                         << "): run the module through mirage-lower-to-ptx "
                            "first";
      return signalPassFailure();
    }
    std::string ptxas = findPtxas(this->ptxas);
    for (NamedAttribute plan : plans) {
      StringRef function = plan.getName().getValue();
      auto binary =
          module.lookupSymbol<gpu::BinaryOp>((function + "_kernels").str());
      if (!binary || binary.getObjects().empty()) {
        module.emitError() << "no gpu.binary @" << function
                           << "_kernels: lower the module to PTX first "
                              "(mirage-lower-to-ptx)";
        return signalPassFailure();
      }
      auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
      if (object.getFormat() != gpu::CompilationTarget::Assembly) {
        binary.emitError("the exported binary must hold PTX (assembly "
                         "format), as mirage-lower-to-ptx produces");
        return signalPassFailure();
      }
      StringRef chip = "sm_90a";
      if (auto nvvm = dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget()))
        chip = nvvm.getChip();

      SmallString<256> dir(outputDir);
      if (plans.size() > 1)
        llvm::sys::path::append(dir, function);
      if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
        module.emitError() << "cannot create '" << dir << "': " << ec.message();
        return signalPassFailure();
      }
      auto path = [&](StringRef name) {
        SmallString<256> p(dir);
        llvm::sys::path::append(p, name);
        return std::string(p);
      };
      if (failed(writeFile(module, path("kernels.ptx"),
                           object.getObject().getValue())))
        return signalPassFailure();

      bool haveCubin = false;
      if (!ptxas.empty()) {
        std::string ptxFile = path("kernels.ptx"),
                    cubinFile = path("kernels.cubin");
        std::string arch = ("-arch=" + chip).str();
        SmallVector<StringRef> args = {ptxas,   arch, "-O3",
                                       ptxFile, "-o", cubinFile};
        // ptxas's messages (it also prints notes on success) are shown
        // only when it fails.
        SmallString<128> log;
        int logFd = -1;
        bool haveLog = !llvm::sys::fs::createTemporaryFile("mirage-ptxas",
                                                           "log", logFd, log);
        if (haveLog)
          llvm::sys::Process::SafelyCloseFileDescriptor(logFd);
        std::optional<StringRef> redirects[] = {
            std::nullopt,
            haveLog ? std::optional<StringRef>(log.str()) : std::nullopt,
            haveLog ? std::optional<StringRef>(log.str()) : std::nullopt};
        std::string error;
        int rc = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects,
                                           0, 0, &error);
        haveCubin = rc == 0;
        std::string messages;
        if (haveLog) {
          if (auto buffer = llvm::MemoryBuffer::getFile(log))
            messages = (*buffer)->getBuffer().trim().str();
          llvm::sys::fs::remove(log);
        }
        if (!haveCubin)
          module.emitWarning()
              << "ptxas (" << ptxas << ") failed on '" << ptxFile << "'"
              << (error.empty() ? "" : ": " + error)
              << (messages.empty() ? "" : ":\n" + messages)
              << "\nthe package has PTX only";
      }

      llvm::json::Object manifest = *toJson(plan.getValue()).getAsObject();
      manifest["format"] = "mirage-kernel-package";
      manifest["version"] = 1;
      manifest["function"] = function.str();
      manifest["chip"] = chip.str();
      manifest["ptx"] = "kernels.ptx";
      if (haveCubin)
        manifest["cubin"] = "kernels.cubin";
      std::string text;
      llvm::raw_string_ostream os(text);
      os << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest)))
         << "\n";
      if (failed(writeFile(module, path("manifest.json"), text)))
        return signalPassFailure();
    }
  }
};

} // namespace
