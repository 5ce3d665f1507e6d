//===- MirageBlockOps.cpp - Graph-defined kernels ---------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Verification of block graphs and thread graphs. Every rule has a case in
// test/Dialect/Mirage/invalid-block-graph.mlir.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Dialect/Mirage/IR/ShapeLimits.h"
#include "Mirage/Dialect/Mirage/IR/SharedMemoryUsage.h"
#include "Mirage/Target/GpuTarget.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::mirage;

static constexpr char kAxisNames[] = {'x', 'y', 'z'};

static std::string formatList(ArrayRef<int64_t> values) {
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(values, os);
  return s;
}

static std::string formatType(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

//===----------------------------------------------------------------------===//
// GraphKernelOp
//===----------------------------------------------------------------------===//

ForLoopOp GraphKernelOp::getForLoop() {
  for (Operation &op : getBodyBlock())
    if (auto loop = dyn_cast<ForLoopOp>(op))
      return loop;
  return nullptr;
}

SmallVector<OutputSaverOp, 4> GraphKernelOp::getOutputSavers() {
  return llvm::to_vector(getBodyBlock().getOps<OutputSaverOp>());
}

int64_t GraphKernelOp::getNumBlocks() {
  int64_t n = 1;
  for (int64_t g : getGrid())
    n *= g;
  return n;
}

int64_t GraphKernelOp::getNumThreads() {
  int64_t n = 1;
  for (int64_t t : getBlock())
    n *= t;
  return n;
}

LogicalResult GraphKernelOp::verify() {
  ArrayRef<int64_t> grid = getGrid();
  if (grid.size() != 3 || llvm::any_of(grid, [](int64_t g) { return g <= 0; }))
    return emitOpError() << "grid must be three positive sizes [x, y, z], got ["
                         << formatList(grid) << "]";
  ArrayRef<int64_t> block = getBlock();
  if (block.empty() || block.size() > 3 ||
      llvm::any_of(block, [](int64_t t) { return t <= 0; }))
    return emitOpError() << "block must be one to three positive sizes, got ["
                         << formatList(block) << "]";
  // CUDA's launch limits; checked one extent at a time, so that the products
  // below cannot overflow.
  const GpuTarget &target = getGpuTargetFor(*this);
  for (int axis = 0; axis < 3; ++axis)
    if (grid[axis] > target.maxGridSize[axis])
      return emitOpError() << "grid " << kAxisNames[axis] << " is "
                           << grid[axis] << ", but " << target.name
                           << " launches at most " << target.maxGridSize[axis]
                           << " blocks along " << kAxisNames[axis];
  for (auto [axis, threads] : llvm::enumerate(block))
    if (threads > target.maxBlockSize[axis])
      return emitOpError() << "block " << kAxisNames[axis] << " is " << threads
                           << ", but " << target.name << " allows at most "
                           << target.maxBlockSize[axis] << " threads along "
                           << kAxisNames[axis];
  int64_t threads = getNumThreads();
  if (threads > target.maxThreadsPerBlock)
    return emitOpError() << "a thread block has at most "
                         << target.maxThreadsPerBlock << " threads, got "
                         << threads;
  return verifyShapeLimits(*this);
}

/// True for the ops a block graph may hold outside thread graphs.
static bool isBlockGraphOp(Operation *op) {
  if (isa<InputIteratorOp, ForLoopOp, AccumulateOp, OutputSaverOp,
          ThreadGraphOp, BlockGraphEndOp>(op))
    return true;
  return op->hasTrait<SameLevel>() && !isa<SoftmaxOp>(op);
}

LogicalResult GraphKernelOp::verifyRegions() {
  Block &body = getBodyBlock();
  if (body.getArgumentTypes() != getInputs().getTypes())
    return emitOpError("block graph arguments must match the kernel's "
                       "operands one to one, with the same types");

  // Only block-graph ops, outside thread graphs (which check their own).
  WalkResult walk = getBody().walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (isa<ThreadGraphOp>(op)) {
      return WalkResult::skip();
    }
    if (isa<SoftmaxOp>(op)) {
      op->emitOpError("is a composite op, not a block-graph op; run "
                      "mirage-decompose first");
      return WalkResult::interrupt();
    }
    if (!isBlockGraphOp(op)) {
      op->emitOpError("is not a block-graph op");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();

  // The for-loop: at most one, and present when forloop > 1.
  auto loops = llvm::to_vector(body.getOps<ForLoopOp>());
  if (loops.size() > 1)
    return loops[1].emitOpError("a block graph has at most one for-loop");
  if (loops.empty() && getForloop() > 1)
    return emitOpError() << "forloop = " << getForloop()
                         << " but the block graph has no mirage.for_loop";

  // Output savers against results.
  SmallVector<OutputSaverOp, 4> savers = getOutputSavers();
  if (savers.size() != getNumResults())
    return emitOpError() << "has " << getNumResults() << " results but "
                         << savers.size() << " mirage.output_saver ops";
  ArrayRef<int64_t> grid = getGrid();
  for (auto [k, saver] : llvm::enumerate(savers)) {
    TileType tile = saver.getTile().getType();
    GridMapAttr omap = saver.getOmap();
    SmallVector<int64_t> shape(tile.getShape());
    for (int axis = 0; axis < GridMapAttr::kNumAxes; ++axis) {
      std::optional<int64_t> dim = omap.getDim(axis);
      if (!dim) {
        if (grid[axis] > 1)
          return saver.emitOpError()
                 << "grid axis " << kAxisNames[axis] << " has size "
                 << grid[axis] << " but omap does not map it, so blocks "
                 << "along it would overwrite each other's output";
        continue;
      }
      if (*dim >= tile.getRank())
        return saver.emitOpError()
               << "omap maps grid axis " << kAxisNames[axis] << " to dim "
               << *dim << ", but the tile has rank " << tile.getRank();
      shape[*dim] *= grid[axis];
    }
    auto resultType = cast<RankedTensorType>(getResult(k).getType());
    if (resultType.getShape() != ArrayRef<int64_t>(shape) ||
        resultType.getElementType() != tile.getElementType())
      return saver.emitOpError()
             << "writes " << tile << " tiles over grid [" << formatList(grid)
             << "], i.e. a " << formatShape(shape) << "x"
             << formatType(tile.getElementType()) << " result, but result " << k
             << " has type " << resultType;
  }

  // Shared memory.
  SharedMemoryUsage usage(*this);
  const GpuTarget &target = getGpuTargetFor(*this);
  if (usage.getPeakBytes() > target.sharedMemoryPerBlock)
    return emitOpError() << "block graph needs " << usage.getPeakBytes()
                         << " bytes of shared memory, but " << target.name
                         << " allows " << target.sharedMemoryPerBlock
                         << " per block";
  return success();
}

//===----------------------------------------------------------------------===//
// InputIteratorOp
//===----------------------------------------------------------------------===//

GraphKernelOp InputIteratorOp::getKernel() {
  return (*this)->getParentOfType<GraphKernelOp>();
}

LogicalResult InputIteratorOp::verify() {
  GraphKernelOp kernel = getKernel();
  if (!kernel)
    return emitOpError("must be inside a mirage.graph_kernel");
  auto arg = dyn_cast<BlockArgument>(getInput());
  if (!arg || arg.getOwner() != &kernel.getBodyBlock())
    return emitOpError("reads an argument of the enclosing "
                       "mirage.graph_kernel");
  std::optional<uint64_t> fmap = getFmap();
  bool inLoop = isa<ForLoopOp>((*this)->getParentOp());
  if (fmap && !inLoop)
    return emitOpError("has an fmap, so it must be in the mirage.for_loop "
                       "body");

  RankedTensorType input = getInput().getType();
  GridMapAttr imap = getImap();
  ArrayRef<int64_t> grid = kernel.getGrid();
  int64_t forloop = kernel.getForloop();
  if (fmap && static_cast<int64_t>(*fmap) >= input.getRank())
    return emitOpError() << "fmap " << *fmap << " is out of range for rank "
                         << input.getRank();
  SmallVector<int64_t> shape(input.getShape());
  for (int axis = 0; axis < GridMapAttr::kNumAxes; ++axis) {
    std::optional<int64_t> dim = imap.getDim(axis);
    if (dim && *dim >= input.getRank())
      return emitOpError() << "imap maps grid axis " << kAxisNames[axis]
                           << " to dim " << *dim << ", but the input has rank "
                           << input.getRank();
  }
  for (int64_t d = 0; d < input.getRank(); ++d) {
    int64_t parts = 1;
    std::string how;
    if (std::optional<int> axis = imap.getAxisOf(d)) {
      parts *= grid[*axis];
      how = std::string("grid.") + kAxisNames[*axis] + " (" +
            std::to_string(grid[*axis]) + ")";
    }
    if (fmap && static_cast<int64_t>(*fmap) == d) {
      parts *= forloop;
      how += (how.empty() ? "" : " x ") + std::string("forloop (") +
             std::to_string(forloop) + ")";
    }
    if (shape[d] % parts != 0)
      return emitOpError() << "dim " << d << " of extent " << shape[d]
                           << " is not divisible by " << how;
    shape[d] /= parts;
  }
  TileType tile = getTile().getType();
  if (tile.getShape() != ArrayRef<int64_t>(shape) ||
      tile.getElementType() != input.getElementType())
    return emitOpError() << "result type " << tile << " does not match the "
                         << formatShape(shape) << "x"
                         << formatType(input.getElementType())
                         << " tile that imap and fmap give";
  return success();
}

//===----------------------------------------------------------------------===//
// ForLoopOp
//===----------------------------------------------------------------------===//

void ForLoopOp::build(OpBuilder &builder, OperationState &state,
                      TypeRange resultTypes) {
  state.addTypes(resultTypes);
  Region *body = state.addRegion();
  body->push_back(new Block());
}

AccumulateOp ForLoopOp::getAccumulateOp() {
  return cast<AccumulateOp>(getBodyBlock().getTerminator());
}

/// `mirage.for_loop attributes {...} { body }`: the results are the
/// accumulators, so their types are those of the terminator's operands.
ParseResult ForLoopOp::parse(OpAsmParser &parser, OperationState &state) {
  if (parser.parseOptionalAttrDictWithKeyword(state.attributes))
    return failure();
  Region *body = state.addRegion();
  if (parser.parseRegion(*body, /*arguments=*/{}))
    return failure();
  ForLoopOp::ensureTerminator(*body, parser.getBuilder(), state.location);
  state.addTypes(body->front().getTerminator()->getOperandTypes());
  return success();
}

void ForLoopOp::print(OpAsmPrinter &printer) {
  printer.printOptionalAttrDictWithKeyword((*this)->getAttrs());
  printer << ' ';
  printer.printRegion(getBody(), /*printEntryBlockArgs=*/false,
                      /*printBlockTerminators=*/true);
}

LogicalResult ForLoopOp::verifyRegions() {
  TypeRange accumulated = getAccumulateOp().getValues().getTypes();
  if (accumulated != getResultTypes())
    return emitOpError("results must have the types of the accumulated "
                       "values");
  return success();
}

//===----------------------------------------------------------------------===//
// AccumulateOp
//===----------------------------------------------------------------------===//

AccumulatorKind AccumulateOp::getKind(unsigned k) {
  return cast<AccumulatorKindAttr>(getKinds()[k]).getValue();
}

std::optional<unsigned> AccumulateOp::getRescaleIndex(unsigned k) {
  int64_t j = getRescaleBy()[k];
  return j < 0 ? std::nullopt : std::optional<unsigned>(j);
}

/// `sum(%a), rescaled_sum(%b, by = 0) : type, type`; no entries for an
/// empty accumulate.
ParseResult AccumulateOp::parse(OpAsmParser &parser, OperationState &state) {
  SmallVector<OpAsmParser::UnresolvedOperand> operands;
  SmallVector<Attribute> kinds;
  SmallVector<int64_t> rescaleBy;
  auto parseEntry = [&](StringRef keyword, SMLoc loc) -> ParseResult {
    std::optional<AccumulatorKind> kind = symbolizeAccumulatorKind(keyword);
    if (!kind)
      return parser.emitError(loc, "unknown accumulator '")
             << keyword << "'; expected sum, mean, rms, max or rescaled_sum";
    kinds.push_back(AccumulatorKindAttr::get(parser.getContext(), *kind));
    operands.emplace_back();
    if (parser.parseLParen() || parser.parseOperand(operands.back()))
      return failure();
    int64_t by = -1;
    if (*kind == AccumulatorKind::rescaled_sum &&
        (parser.parseComma() || parser.parseKeyword("by") ||
         parser.parseEqual() || parser.parseInteger(by)))
      return failure();
    rescaleBy.push_back(by);
    return parser.parseRParen();
  };
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (succeeded(parser.parseOptionalKeyword(&keyword))) {
    if (parseEntry(keyword, loc))
      return failure();
    while (succeeded(parser.parseOptionalComma())) {
      loc = parser.getCurrentLocation();
      if (parser.parseKeyword(&keyword) || parseEntry(keyword, loc))
        return failure();
    }
  }
  if (parser.parseOptionalAttrDict(state.attributes))
    return failure();
  SmallVector<Type> types;
  SMLoc typesLoc = parser.getCurrentLocation();
  if (!operands.empty() && parser.parseColonTypeList(types))
    return failure();
  if (parser.resolveOperands(operands, types, typesLoc, state.operands))
    return failure();
  Properties &props = state.getOrAddProperties<Properties>();
  props.kinds = parser.getBuilder().getArrayAttr(kinds);
  props.rescale_by = parser.getBuilder().getDenseI64ArrayAttr(rescaleBy);
  return success();
}

void AccumulateOp::print(OpAsmPrinter &printer) {
  for (unsigned k = 0, e = getValues().size(); k < e; ++k) {
    printer << (k ? ", " : " ") << stringifyAccumulatorKind(getKind(k)) << '(';
    printer.printOperand(getValues()[k]);
    if (std::optional<unsigned> j = getRescaleIndex(k))
      printer << ", by = " << *j;
    printer << ')';
  }
  printer.printOptionalAttrDict((*this)->getAttrs(),
                                {getKindsAttrName(), getRescaleByAttrName()});
  if (!getValues().empty()) {
    printer << " : ";
    llvm::interleaveComma(getValues().getTypes(), printer);
  }
}

LogicalResult AccumulateOp::verify() {
  size_t n = getValues().size();
  if (getKinds().size() != n || getRescaleBy().size() != n)
    return emitOpError("needs one kind and one rescale_by entry per value");
  for (unsigned k = 0; k < n; ++k) {
    std::optional<unsigned> j = getRescaleIndex(k);
    if (getKind(k) != AccumulatorKind::rescaled_sum) {
      if (j)
        return emitOpError() << "accumulator " << k
                             << " is not a rescaled_sum but has rescale_by";
      continue;
    }
    if (!j || *j >= n || *j == k || getKind(*j) != AccumulatorKind::max)
      return emitOpError() << "rescaled_sum accumulator " << k
                           << " must be rescaled by (by = j) another "
                              "accumulator j of kind max";
    ArrayRef<int64_t> v = cast<TileType>(getValues()[k].getType()).getShape();
    ArrayRef<int64_t> m = cast<TileType>(getValues()[*j].getType()).getShape();
    FailureOr<SmallVector<int64_t>> b = broadcastShapes(m, v);
    if (failed(b) || ArrayRef<int64_t>(*b) != v)
      return emitOpError() << "rescaled_sum accumulator " << k << " ("
                           << formatShape(v) << ") is rescaled by max "
                           << "accumulator " << *j << " (" << formatShape(m)
                           << "), which does not broadcast to it";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ThreadGraphOp
//===----------------------------------------------------------------------===//

void ThreadGraphOp::build(OpBuilder &builder, OperationState &state,
                          TypeRange resultTypes, ValueRange inputs) {
  state.addOperands(inputs);
  state.addTypes(resultTypes);
  Region *body = state.addRegion();
  Block *block = new Block();
  body->push_back(block);
  for (Value input : inputs)
    block->addArgument(input.getType(), input.getLoc());
}

/// The ops a thread graph may hold: elementwise, no reduction or data
/// movement.
static bool isElementwiseComputeOp(Operation *op) {
  return isa<ExpOp, SqrtOp, RsqrtOp, SquareOp, SiluOp, GeluOp, ReluOp,
             SigmoidOp, MulScalarOp, ClampOp, AddOp, SubOp, MulOp, DivOp,
             PowOp>(op);
}

LogicalResult ThreadGraphOp::verifyRegions() {
  if (!(*this)->getParentOfType<GraphKernelOp>())
    return emitOpError("must be inside a mirage.graph_kernel");
  Block &body = getBody().front();
  if (body.getArgumentTypes() != getInputs().getTypes())
    return emitOpError("region arguments must match the operands one to one, "
                       "with the same types");
  if (getNumResults() == 0)
    return emitOpError("must have at least one result");
  ArrayRef<int64_t> shape = cast<TileType>(getResult(0).getType()).getShape();
  for (Type type : getResultTypes())
    if (cast<TileType>(type).getShape() != shape)
      return emitOpError() << "results must share one iteration shape, got "
                           << formatShape(shape) << " and "
                           << formatShape(cast<TileType>(type).getShape());
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError("must end with mirage.yield");
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError("mirage.yield must return values of the result types");
  for (auto [i, type] : llvm::enumerate(getInputs().getTypes())) {
    ArrayRef<int64_t> in = cast<TileType>(type).getShape();
    FailureOr<SmallVector<int64_t>> b = broadcastShapes(in, shape);
    if (failed(b) || ArrayRef<int64_t>(*b) != shape)
      return emitOpError() << "operand " << i << " (" << formatShape(in)
                           << ") does not broadcast to the iteration shape "
                           << formatShape(shape);
  }
  for (Operation &op : body.without_terminator()) {
    if (!isElementwiseComputeOp(&op))
      return op.emitOpError("is not elementwise and cannot be part of a "
                            "thread graph");
    ArrayRef<int64_t> produced =
        cast<TileType>(op.getResult(0).getType()).getShape();
    if (produced != shape)
      return op.emitOpError() << "produces " << formatShape(produced)
                              << ", but every op of a thread graph produces "
                                 "its iteration shape "
                              << formatShape(shape);
  }
  return success();
}
