//===- SharedMemoryUsageTest.cpp - Shared memory of block graphs ----------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Dialect/Mirage/IR/SharedMemoryUsage.h"
#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::mirage;

namespace {

class SharedMemoryUsageTest : public ::testing::Test {
protected:
  SharedMemoryUsageTest() {
    DialectRegistry registry;
    registerMirageDialect(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  GraphKernelOp parseKernel(StringRef source) {
    module = parseSourceString<ModuleOp>(source, &context);
    if (!module)
      return nullptr;
    GraphKernelOp kernel;
    module->walk([&](GraphKernelOp op) { kernel = op; });
    return kernel;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

TEST_F(SharedMemoryUsageTest, LivenessAcrossTheLoop) {
  // f32 tiles: a = 1 KB (read in every iteration), b = 2 KB, c = 4 KB (the
  // loop body), acc = 4 KB (from the loop's start), d = 4 KB (epilogue).
  GraphKernelOp kernel = parseKernel(R"mlir(
    func.func @f(%x: tensor<1x256xf32>, %y: tensor<16x256xf32>) -> tensor<4x256xf32> {
      %r = mirage.graph_kernel(%x, %y) grid = [1, 1, 1] block = [128] forloop = 2
          : (tensor<1x256xf32>, tensor<16x256xf32>) -> tensor<4x256xf32> {
      ^bb0(%X: tensor<1x256xf32>, %Y: tensor<16x256xf32>):
        %a = mirage.input_iterator %X imap = {} : tensor<1x256xf32> -> !mirage.tile<1x256xf32>
        %acc = mirage.for_loop {
          %b = mirage.input_iterator %Y imap = {} fmap = 0 : tensor<16x256xf32> -> !mirage.tile<8x256xf32>
          %s = mirage.reduce sum %b dim = 0 size = 4 : (!mirage.tile<8x256xf32>) -> !mirage.tile<4x256xf32>
          %c = mirage.mul %s, %a : (!mirage.tile<4x256xf32>, !mirage.tile<1x256xf32>) -> !mirage.tile<4x256xf32>
          mirage.accumulate sum(%c) : !mirage.tile<4x256xf32>
        }
        %d = mirage.exp %acc : !mirage.tile<4x256xf32>
        mirage.output_saver %d omap = {} : !mirage.tile<4x256xf32>
      }
      return %r : tensor<4x256xf32>
    })mlir");
  ASSERT_TRUE(kernel);
  SharedMemoryUsage usage(kernel);
  // Buffers: a 1 KB, acc 4 KB, b 8 KB, s 4 KB, c 4 KB, d 4 KB.
  EXPECT_EQ(usage.getTotalBytes(), (1 + 4 + 8 + 4 + 4 + 4) * 1024);
  // Peak where s is made: a + acc + b + s (c's buffer comes after b dies).
  EXPECT_EQ(usage.getPeakBytes(), (1 + 4 + 8 + 4) * 1024);
  ASSERT_EQ(usage.getBuffers().size(), 6u);
  // a is read in every iteration, so it lives until the loop's end.
  const SharedMemoryUsage::Buffer &a = usage.getBuffers()[0];
  const SharedMemoryUsage::Buffer &c = usage.getBuffers()[4];
  EXPECT_EQ(a.bytes, 1024);
  EXPECT_GE(a.end, c.end);
}

TEST_F(SharedMemoryUsageTest, ThreadGraphIntermediatesTakeNone) {
  GraphKernelOp kernel = parseKernel(R"mlir(
    func.func @f(%x: tensor<512xf16>) -> tensor<512xf16> {
      %r = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1
          : (tensor<512xf16>) -> tensor<512xf16> {
      ^bb0(%X: tensor<512xf16>):
        %t = mirage.input_iterator %X imap = {} : tensor<512xf16> -> !mirage.tile<512xf16>
        %u = mirage.thread_graph(%t) : (!mirage.tile<512xf16>) -> !mirage.tile<512xf16> {
        ^bb0(%a: !mirage.tile<512xf16>):
          %e = mirage.exp %a : !mirage.tile<512xf16>
          %s = mirage.square %e : !mirage.tile<512xf16>
          %q = mirage.sqrt %s : !mirage.tile<512xf16>
          mirage.yield %q : !mirage.tile<512xf16>
        }
        mirage.output_saver %u omap = {} : !mirage.tile<512xf16>
      }
      return %r : tensor<512xf16>
    })mlir");
  ASSERT_TRUE(kernel);
  SharedMemoryUsage usage(kernel);
  EXPECT_EQ(usage.getTotalBytes(), 2 * 1024);
  EXPECT_EQ(usage.getPeakBytes(), 2 * 1024);
}

} // namespace
