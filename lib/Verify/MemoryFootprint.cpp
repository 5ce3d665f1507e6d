//===- MemoryFootprint.cpp - How much memory a verification needs ---------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Verify/MemoryFootprint.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <limits>

#if defined(__linux__)
#include <sys/resource.h>
#endif

using namespace mlir;
using namespace mlir::mirage;

static constexpr uint64_t kSaturated = std::numeric_limits<uint64_t>::max();

static uint64_t addSaturating(uint64_t a, uint64_t b) {
  return a > kSaturated - b ? kSaturated : a + b;
}

/// Bytes of a value of static shaped type, or 0 for other types.
static uint64_t typeBytes(Type type, uint64_t bytesPerValue) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasStaticShape())
    return 0;
  uint64_t bytes = bytesPerValue;
  for (int64_t dim : shaped.getShape())
    bytes = llvm::SaturatingMultiply(bytes, static_cast<uint64_t>(dim));
  return bytes;
}

static uint64_t sumBytes(TypeRange types, uint64_t bytesPerValue) {
  uint64_t total = 0;
  for (Type type : types)
    total = addSaturating(total, typeBytes(type, bytesPerValue));
  return total;
}

uint64_t mlir::mirage::estimateResultBytes(func::FuncOp func,
                                           uint64_t bytesPerValue) {
  return sumBytes(func.getResultTypes(), bytesPerValue);
}

uint64_t mlir::mirage::getAddressSpaceHeadroom() {
#if defined(__linux__)
  struct rlimit limit;
  if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return kSaturated;
  // What the process has mapped already: VmSize in /proc/self/status.
  auto status = llvm::MemoryBuffer::getFileAsStream("/proc/self/status");
  if (!status)
    return kSaturated;
  uint64_t usedKiB = 0;
  StringRef text = (*status)->getBuffer();
  size_t at = text.find("VmSize:");
  if (at == StringRef::npos ||
      text.substr(at + 7).ltrim().consumeInteger(10, usedKiB))
    return kSaturated;
  uint64_t used = usedKiB * 1024;
  uint64_t cap = static_cast<uint64_t>(limit.rlim_cur);
  // A margin for what is not counted: thread stacks and arenas of the
  // verifier's threads, the parser, the search's own data.
  uint64_t margin = 256ull << 20;
  return cap > used + margin ? cap - used - margin : 0;
#else
  return kSaturated;
#endif
}

std::string mlir::mirage::formatBytes(uint64_t bytes) {
  if (bytes == kSaturated)
    return "more than 16 EiB";
  const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  unsigned unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0)
    return llvm::formatv("{0} bytes", bytes).str();
  return llvm::formatv(value < 10 ? "{0:f1} {1}" : "{0:f0} {1}", value,
                       units[unit])
      .str();
}
