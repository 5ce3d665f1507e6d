//===- SuperoptimizerCache.cpp - mirage-superoptimize's results on disk ---===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "SuperoptimizerCache.h"

#include "Mirage/Support/BuildKey.h"
#include "Mirage/Verify/Equivalence.h"
#include "Mirage/Verify/FieldDomain.h"

#include "mirage-support/FileIO.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::mirage;

/// `func` alone, in generic form, named @f, without locations: what the key
/// hashes. The copy is detached and printed with a local scope, so nothing
/// outside `func` is read (other threads may be rewriting the rest of the
/// module).
static std::string printFunctionForKey(func::FuncOp func) {
  OwningOpRef<func::FuncOp> copy = func.clone();
  copy->setSymName("f");
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  flags.printGenericOpForm().useLocalScope();
  copy->print(os, flags);
  return text;
}

static std::string typeToString(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return text;
}

std::string SuperoptimizerCache::getEntryPath(func::FuncOp func) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "mirage-superoptimize " << MIRAGE_BUILD_KEY << "\n"
     << optionsKey << "\n"
     << printFunctionForKey(func);
  std::array<uint8_t, 32> hash = llvm::SHA256::hash(ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(text.data()), text.size()));
  SmallString<256> path(directory);
  llvm::sys::path::append(path, llvm::toHex(hash, /*LowerCase=*/true) + ".mlir");
  return std::string(path);
}

/// Checks, in a private context, that `text` holds exactly one function with
/// a body, of type `expectedType` (as printed), that verifies, and whose ops
/// the finite-field test can evaluate and `shared` has loaded. Returns an
/// empty string if so, else why not. The private context keeps the
/// diagnostics of a bad entry away from the shared context, whose handlers
/// see every pass thread's diagnostics.
static std::string validateEntry(StringRef text, StringRef path,
                                 MLIRContext &shared,
                                 StringRef expectedType) {
  MLIRContext context(shared.getDialectRegistry(),
                      MLIRContext::Threading::DISABLED);
  std::string errors;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    errors += (errors.empty() ? "" : "; ") + diag.str();
    return success();
  });
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(text, ParserConfig(&context), path);
  if (!module)
    return "it does not parse: " + errors;
  auto funcs = llvm::to_vector(module->getOps<func::FuncOp>());
  if (funcs.size() != 1 || funcs[0].isExternal())
    return "it does not hold exactly one function";
  func::FuncOp entry = funcs[0];
  if (typeToString(entry.getFunctionType()) != expectedType)
    return "its function type does not match";
  if (failed(verify(module->getOperation())))
    return "it does not verify: " + errors;
  FieldDomain probe(/*seed=*/0);
  std::string unsupported;
  entry.walk([&](Operation *op) {
    if (!shared.getLoadedDialect(op->getName().getDialectNamespace())) {
      unsupported = ("it uses the dialect '" +
                     op->getName().getDialectNamespace() +
                     "', which this program has not loaded")
                        .str();
      return WalkResult::interrupt();
    }
    if (failed(probe.checkSupported(op))) {
      unsupported = "its ops cannot be checked: " + errors;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return unsupported;
}

FailureOr<bool> SuperoptimizerCache::load(func::FuncOp func, StringRef path,
                                          EquivalenceChecker &checker) const {
  auto unusable = [&](const Twine &why) {
    emitWarning(func.getLoc())
        << "mirage-superoptimize: @" << func.getName()
        << ": ignoring cache entry '" << path << "': " << why;
    return false;
  };
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer) {
    // No entry, or no cache directory yet (store() reports why it cannot
    // make one).
    if (buffer.getError() == std::errc::no_such_file_or_directory ||
        buffer.getError() == std::errc::not_a_directory)
      return false;
    return unusable("cannot read it: " + buffer.getError().message());
  }
  StringRef text = (*buffer)->getBuffer();
  std::string why = validateEntry(text, path, *func.getContext(),
                                  typeToString(func.getFunctionType()));
  if (!why.empty())
    return unusable(why);

  // The entry is sound: parse it where it will live. This emits nothing.
  OwningOpRef<ModuleOp> cached =
      parseSourceString<ModuleOp>(text, ParserConfig(func.getContext()), path);
  if (!cached)
    return unusable("it does not parse");
  func::FuncOp entry = *cached->getOps<func::FuncOp>().begin();

  // An entry that was edited, or written by a build with a bug, must not
  // replace the function: one finite-field test against the input.
  FailureOr<EquivalenceReport> report =
      checker.checkFieldTests(entry, /*numTests=*/1);
  if (failed(report))
    return failure();
  if (report->unverifiable)
    return unusable("cannot check it: " + report->reason);
  if (!report->equivalent)
    return unusable("it does not compute @" + func.getName() + " (" +
                    report->reason + ")");

  // Swap the bodies, mapping the cached arguments to ours.
  Block &body = func.getBody().front();
  SmallVector<Operation *> old;
  for (Operation &op : body)
    old.push_back(&op);
  IRMapping mapping;
  mapping.map(entry.getArguments(), func.getArguments());
  OpBuilder b = OpBuilder::atBlockEnd(&body);
  for (Operation &op : entry.getBody().front())
    b.clone(op, mapping);
  for (Operation *op : llvm::reverse(old)) {
    op->dropAllUses();
    op->erase();
  }
  return true;
}

void SuperoptimizerCache::store(func::FuncOp func, StringRef path) const {
  auto warn = [&](const Twine &why) {
    emitWarning(func.getLoc())
        << "mirage-superoptimize: @" << func.getName()
        << ": cannot store the result in the cache: " << why;
  };
  SmallString<256> dir = llvm::sys::path::parent_path(path);
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return warn("cannot create the directory '" + dir + "': " + ec.message());
  // Beside `path`, then renamed over it: readers never see half an entry,
  // and a full disk leaves nothing behind.
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "// mirage-superoptimize cache entry (build " << MIRAGE_BUILD_KEY
     << ")\n";
  func.print(os, OpPrintingFlags().useLocalScope());
  os << "\n";
  std::string error;
  if (!::mirage::support::writeFileAtomically(path.str(), {text}, error))
    warn(error);
}
