//===- FusionSearch.cpp - Kernels and block graphs of a derivation -------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Search/FusionSearch.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

using namespace mlir;
using namespace mlir::mirage;
using namespace mlir::mirage::search;

int64_t Tiling::getPartsOf(int index) const {
  int64_t parts = 1;
  for (int a = 0; a < 3; ++a)
    if (axisIndex[a] == index)
      parts *= axisParts[a];
  if (loopIndex == index)
    parts *= forloop;
  return parts;
}

namespace {

/// When a value of a block graph is available.
enum class Phase : uint8_t {
  PreLoop, // once per block, before the loop
  Loop,    // per iteration
  Post,    // after the loop: accumulators and the epilogue
};

/// A kernel's group of ops, with what it reads and writes.
struct Group {
  uint64_t mask = 0;
  SmallVector<unsigned> ops, inputs, outputs;
  IndexSet outputIndices = 0, reductionIndices = 0, normalizedIndices = 0;
};

/// The index an op sums over (matmul contraction, reduce), or -1.
int reducedIndex(const KernelGraph &g, const KernelGraph::Op &op) {
  const TensorInfo &x = g.tensors[op.operands[0]];
  if (op.spec.kind == OpKind::Matmul)
    return x.indices.back();
  if (op.spec.kind == OpKind::ReduceSum)
    return x.indices[op.spec.dim];
  return kUnitIndex;
}

Group makeGroup(const KernelGraph &g, uint64_t mask) {
  Group group;
  group.mask = mask;
  llvm::DenseSet<unsigned> produced;
  for (unsigned i = 0; i < g.ops.size(); ++i)
    if (mask & (uint64_t(1) << i)) {
      group.ops.push_back(i);
      produced.insert(g.ops[i].result);
    }
  for (unsigned i : group.ops) {
    const KernelGraph::Op &op = g.ops[i];
    for (unsigned t : op.operands)
      if (!produced.count(t) && !llvm::is_contained(group.inputs, t))
        group.inputs.push_back(t);
    int r = reducedIndex(g, op);
    if (r != kUnitIndex)
      group.reductionIndices |= IndexSet(1) << r;
    if (op.spec.kind == OpKind::RmsNorm) {
      const TensorInfo &x = g.tensors[op.operands[0]];
      for (int64_t d = x.getRank() - op.spec.dim; d < x.getRank(); ++d)
        if (x.indices[d] != kUnitIndex)
          group.normalizedIndices |= IndexSet(1) << x.indices[d];
    }
  }
  // Outputs: results used outside the group or returned.
  for (unsigned i : group.ops) {
    unsigned t = g.ops[i].result;
    bool escapes = llvm::is_contained(g.outputs, t);
    for (unsigned j = 0; j < g.ops.size() && !escapes; ++j)
      if (!(mask & (uint64_t(1) << j)) &&
          llvm::is_contained(g.ops[j].operands, t))
        escapes = true;
    if (escapes) {
      group.outputs.push_back(t);
      for (int id : g.tensors[t].indices)
        if (id != kUnitIndex)
          group.outputIndices |= IndexSet(1) << id;
    }
  }
  return group;
}

/// Cost of one elementwise op per element, in flops: transcendental
/// functions take several instructions on the CUDA cores.
double elementwiseFlops(OpKind kind) {
  switch (kind) {
  case OpKind::Exp:
  case OpKind::Sqrt:
  case OpKind::Rsqrt:
  case OpKind::Silu:
  case OpKind::Gelu:
  case OpKind::Sigmoid:
    return 8;
  case OpKind::Pow:
    return 16;
  case OpKind::Div:
    return 4;
  default:
    return 1;
  }
}

int64_t roundUp(int64_t x, int64_t multiple) {
  return (x + multiple - 1) / multiple * multiple;
}

/// Evaluates one tiling of a group: validity, and the work it does.
struct TilingResult {
  bool valid = false;
  KernelWork work;
  SmallVector<Layout> outputLayouts;
};

TilingResult evaluate(const KernelGraph &g, const Group &group,
                      ArrayRef<Layout> inputLayouts, const Tiling &tiling) {
  TilingResult result;
  int64_t forloop = tiling.loopIndex >= 0 ? tiling.forloop : 1;
  int64_t blocks = tiling.getNumBlocks();

  // Tile extents of a tensor's dims (expanded chunk dims stay whole).
  auto tileShape = [&](unsigned t, const Layout *layout,
                       SmallVectorImpl<int64_t> &shape) -> bool {
    const TensorInfo &info = g.tensors[t];
    shape.clear();
    for (int64_t d = 0; d < info.getRank(); ++d) {
      int64_t extent = info.shape[d];
      if (layout && layout->chunks > 1 && d == layout->chunkDim) {
        shape.push_back(extent * layout->chunks);
        continue;
      }
      int id = info.indices[d];
      int64_t parts = id == kUnitIndex ? 1 : tiling.getPartsOf(id);
      if (extent % parts != 0)
        return false;
      shape.push_back(extent / parts);
    }
    return true;
  };
  auto bytesOf = [&](unsigned t, ArrayRef<int64_t> shape) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return static_cast<double>(n) *
           (g.tensors[t].elementType.getIntOrFloatBitWidth() / 8);
  };
  auto hasIndex = [&](unsigned t, int id) {
    return id >= 0 && llvm::is_contained(g.tensors[t].indices, id);
  };

  struct State {
    Phase phase = Phase::PreLoop;
    uint8_t gridPartial = 0;
    SmallVector<int64_t, 4> tile;
  };
  llvm::DenseMap<unsigned, State> state;
  double smem = 0, read = 0, written = 0, tensorFlops = 0, cudaFlops = 0;

  for (auto [i, t] : llvm::enumerate(group.inputs)) {
    const Layout &layout = inputLayouts[i];
    State s;
    if (!tileShape(t, &layout, s.tile))
      return result;
    // Dims along the chunks are read whole: no grid axis or loop may cut the
    // index they range over.
    if (layout.chunks > 1) {
      int id = g.tensors[t].indices[layout.chunkDim];
      if (id != kUnitIndex && tiling.getPartsOf(id) != 1)
        return result;
    }
    bool variant = tiling.loopIndex >= 0 && hasIndex(t, tiling.loopIndex);
    s.phase = variant ? Phase::Loop : Phase::PreLoop;
    double bytes = bytesOf(t, s.tile);
    smem += bytes;
    read += bytes * (variant ? forloop : 1);
    if (layout.chunks > 1) {
      // The combining reduction: one pass over the chunks.
      int64_t n = 1;
      for (int64_t d : s.tile)
        n *= d;
      cudaFlops += n;
      s.tile[layout.chunkDim] /= layout.chunks;
      smem += bytesOf(t, s.tile);
    }
    state[t] = std::move(s);
  }

  for (unsigned i : group.ops) {
    const KernelGraph::Op &op = g.ops[i];
    SmallVector<const State *, 2> operands;
    Phase phase = Phase::PreLoop;
    bool anyLoop = false, anyPost = false;
    for (unsigned t : op.operands) {
      const State &s = state[t];
      operands.push_back(&s);
      phase = std::max(phase, s.phase);
      anyLoop |= s.phase == Phase::Loop;
      anyPost |= s.phase == Phase::Post;
    }
    // A per-iteration value cannot meet a value that exists only after the
    // loop.
    if (anyLoop && anyPost)
      return result;

    // Partial sums over a split index may only go through linear ops.
    uint8_t partial = 0;
    for (auto [k, s] : llvm::enumerate(operands)) {
      if (!s->gridPartial)
        continue;
      if (!op.spec.isLinearIn(k))
        return result;
      partial |= s->gridPartial;
    }
    if (partial) {
      OpKind kind = op.spec.kind;
      if ((kind == OpKind::Add || kind == OpKind::Sub) &&
          operands[0]->gridPartial != operands[1]->gridPartial)
        return result;
      if ((kind == OpKind::Mul || kind == OpKind::Matmul) &&
          operands[0]->gridPartial && operands[1]->gridPartial)
        return result;
    }

    int reduced = reducedIndex(g, op);
    bool reducesLoop = reduced != kUnitIndex && reduced == tiling.loopIndex;
    for (int a = 0; a < 3; ++a)
      if (tiling.axisParts[a] > 1 && tiling.axisIndex[a] == reduced &&
          reduced != kUnitIndex)
        partial |= uint8_t(1) << a;

    State s;
    if (!tileShape(op.result, nullptr, s.tile))
      return result;
    s.gridPartial = partial;
    double elements = 1;
    for (int64_t d : s.tile)
      elements *= d;
    double times = phase == Phase::Loop ? forloop : 1;

    // Work of the op on its tiles.
    switch (op.spec.kind) {
    case OpKind::Matmul: {
      const State &a = *operands[0];
      int64_t m = a.tile[a.tile.size() - 2], k = a.tile.back();
      int64_t n = s.tile.back();
      double batch = elements / (m * n);
      Type type = g.tensors[op.result].elementType;
      if (type.isF16() || type.isBF16())
        // Tensor cores compute m16n8k16 tiles: small dims are padded.
        tensorFlops += times * batch * 2.0 * roundUp(m, 16) * roundUp(n, 8) *
                       roundUp(k, 16);
      else
        cudaFlops += times * batch * 2.0 * m * n * k;
      break;
    }
    case OpKind::ReduceSum:
    case OpKind::RmsNorm: {
      double in = 1;
      for (int64_t d : operands[0]->tile)
        in *= d;
      cudaFlops += times * in * (op.spec.kind == OpKind::RmsNorm ? 4 : 1);
      break;
    }
    default:
      cudaFlops += times * elements * elementwiseFlops(op.spec.kind);
      break;
    }
    smem += bytesOf(op.result, s.tile);

    if (reducesLoop) {
      if (phase != Phase::Loop)
        return result;
      // A sum accumulator, updated every iteration.
      cudaFlops += forloop * elements;
      smem += bytesOf(op.result, s.tile);
      s.phase = Phase::Post;
    } else {
      s.phase = phase;
    }
    // A value that still ranges over the loop index is per-iteration.
    if (tiling.loopIndex >= 0 && hasIndex(op.result, tiling.loopIndex) &&
        s.phase != Phase::Loop)
      return result;
    state[op.result] = std::move(s);
  }

  // Outputs: saved after the loop, one tile per block, every grid axis
  // splitting them (or, for a split reduction, indexing their chunks).
  for (unsigned t : group.outputs) {
    const State &s = state[t];
    if (s.phase == Phase::Loop)
      return result;
    if (llvm::popcount(s.gridPartial) > 1)
      return result;
    Layout layout;
    for (int a = 0; a < 3; ++a) {
      if (tiling.axisParts[a] <= 1)
        continue;
      if (hasIndex(t, tiling.axisIndex[a]))
        continue;
      if (!(s.gridPartial & (uint8_t(1) << a)))
        return result; // blocks along a would write the same elements
      // Chunks go along the last extent-1 dim, or else the last dim no axis
      // splits.
      const TensorInfo &info = g.tensors[t];
      int64_t chunkDim = -1;
      for (int64_t d = info.getRank() - 1; d >= 0 && chunkDim < 0; --d)
        if (info.shape[d] == 1)
          chunkDim = d;
      for (int64_t d = info.getRank() - 1; d >= 0 && chunkDim < 0; --d)
        if (info.indices[d] == kUnitIndex ||
            tiling.getPartsOf(info.indices[d]) == 1)
          chunkDim = d;
      if (chunkDim < 0)
        return result;
      layout = Layout{chunkDim, tiling.axisParts[a]};
    }
    written += bytesOf(t, s.tile) * blocks;
    result.outputLayouts.push_back(layout);
  }

  result.valid = true;
  result.work.numBlocks = blocks;
  result.work.threadsPerBlock = tiling.threads;
  result.work.forloop = forloop;
  result.work.sharedMemoryBytes = static_cast<int64_t>(smem);
  result.work.bytesRead = read * blocks;
  result.work.bytesWritten = written;
  result.work.tensorCoreFlops = tensorFlops * blocks;
  result.work.cudaCoreFlops = cudaFlops * blocks;
  return result;
}

/// The tile extents an index may be cut into: divisors of the extent that
/// are powers of two (or the extent itself, or any divisor of an odd
/// extent), so tiles map onto warps and mma shapes. Ascending. Divisors are
/// found in pairs up to the square root, so an extent of 2^31 - 1 takes
/// 46,341 steps, not 2^31.
SmallVector<int64_t> tileOptions(int64_t extent) {
  SmallVector<int64_t> divisors;
  for (int64_t t = 1; t <= extent / t; ++t)
    if (extent % t == 0) {
      divisors.push_back(t);
      if (t != extent / t)
        divisors.push_back(extent / t);
    }
  llvm::sort(divisors);
  SmallVector<int64_t> options;
  for (int64_t t : divisors)
    if (llvm::isPowerOf2_64(t) || t == extent || extent % 2 == 1)
      options.push_back(t);
  return options;
}

/// Tilings of one structure (split indices and loop index) are all tried
/// when there are at most this many; beyond, coordinate descent picks them.
constexpr double kExhaustiveTilings = 4096;

} // namespace

namespace {
/// A tiling of a group that qualified, with its cost.
struct GroupOption {
  Tiling tiling;
  SmallVector<Layout> outputLayouts;
  KernelWork work;
  KernelCost cost;
};
} // namespace

/// The best tilings of a group for given input layouts: the best one for
/// each distinct set of output layouts (a consumer may prefer a split).
/// Polls `expired` between tilings; once it is true, returns the best ones
/// found so far.
static std::vector<GroupOption>
tileGroup(const GpuTarget &target, const KernelGraph &g, const Group &group,
          ArrayRef<Layout> inputLayouts, int64_t threads, bool allowSplit,
          SearchCounters &counters, function_ref<bool()> expired) {
  IndexSet whole = group.normalizedIndices;
  for (auto [i, t] : llvm::enumerate(group.inputs))
    if (inputLayouts[i].chunks > 1) {
      int id = g.tensors[t].indices[inputLayouts[i].chunkDim];
      if (id != kUnitIndex)
        whole |= IndexSet(1) << id;
    }
  auto indicesOf = [&](IndexSet set) {
    SmallVector<int> ids;
    for (int id = 0; id < 64; ++id)
      if ((set & (IndexSet(1) << id)) && !(whole & (IndexSet(1) << id)) &&
          g.indexExtents[id] > 1)
        ids.push_back(id);
    return ids;
  };
  IndexSet gridSet = group.outputIndices;
  if (allowSplit)
    gridSet |= group.reductionIndices;
  SmallVector<int> gridCandidates = indicesOf(gridSet);
  SmallVector<int> loopCandidates = indicesOf(group.reductionIndices);

  std::map<std::vector<std::pair<int64_t, int64_t>>, GroupOption> bestByLayout;
  bool stopped = false;
  auto consider = [&](const Tiling &tiling) -> double {
    if (stopped || (stopped = expired()))
      return std::numeric_limits<double>::infinity();
    ++counters.explored;
    // A grid no launch can have (y and z of at most 65535 blocks).
    for (int a = 0; a < 3; ++a)
      if (tiling.axisParts[a] > target.maxGridSize[a]) {
        ++counters.pruned;
        return std::numeric_limits<double>::infinity();
      }
    TilingResult r = evaluate(g, group, inputLayouts, tiling);
    if (!r.valid) {
      ++counters.pruned;
      return std::numeric_limits<double>::infinity();
    }
    KernelCost cost = estimateKernel(target, r.work);
    if (!cost.feasible)
      return cost.seconds;
    std::vector<std::pair<int64_t, int64_t>> key;
    for (const Layout &l : r.outputLayouts)
      key.push_back({l.chunkDim, l.chunks});
    auto it = bestByLayout.find(key);
    if (it == bestByLayout.end() || cost.seconds < it->second.cost.seconds)
      bestByLayout[key] = GroupOption{tiling, r.outputLayouts, r.work, cost};
    return cost.seconds;
  };

  // Structures: up to three split indices and an optional loop index.
  unsigned n = gridCandidates.size();
  for (unsigned subset = 0; subset < (1u << n) && !stopped; ++subset) {
    if (llvm::popcount(subset) > 3)
      continue;
    SmallVector<int> split;
    for (unsigned b = 0; b < n; ++b)
      if (subset & (1u << b))
        split.push_back(gridCandidates[b]);
    SmallVector<int> loops = {-1};
    loops.append(loopCandidates.begin(), loopCandidates.end());
    for (int loop : loops) {
      if (stopped || (stopped = expired()))
        break;
      // Variables: parts per split index, then the loop's iterations.
      struct Variable {
        int index;
        bool isLoop;
        SmallVector<int64_t> tiles; // candidate tile extents
        unsigned choice = 0;
      };
      SmallVector<Variable> vars;
      for (int id : split) {
        Variable v{id, false, {}, 0};
        for (int64_t t : tileOptions(g.indexExtents[id]))
          if (t < g.indexExtents[id])
            v.tiles.push_back(t);
        if (v.tiles.empty())
          goto nextStructure;
        vars.push_back(std::move(v));
      }
      if (loop >= 0)
        vars.push_back(Variable{loop, true, {}, 0});

      {
        auto build = [&](ArrayRef<Variable> vs) -> std::optional<Tiling> {
          Tiling tiling;
          tiling.threads = threads;
          int axis = 0;
          int64_t gridPartsOfLoop = 1;
          for (const Variable &v : vs) {
            if (v.isLoop)
              continue;
            int64_t parts = g.indexExtents[v.index] / v.tiles[v.choice];
            tiling.axisIndex[axis] = v.index;
            tiling.axisParts[axis] = parts;
            ++axis;
            if (v.index == loop)
              gridPartsOfLoop = parts;
          }
          if (loop >= 0) {
            const Variable &v = vs.back();
            int64_t perBlock = g.indexExtents[loop] / gridPartsOfLoop;
            int64_t tile = v.tiles[v.choice];
            if (perBlock % tile != 0 || perBlock / tile < 2)
              return std::nullopt;
            tiling.loopIndex = loop;
            tiling.forloop = perBlock / tile;
          }
          return tiling;
        };
        // Loop tile options depend on the grid's split of the loop index;
        // use the extent's options and reject the ones that do not fit.
        if (loop >= 0)
          vars.back().tiles = tileOptions(g.indexExtents[loop]);

        auto costOf = [&](ArrayRef<Variable> vs) {
          std::optional<Tiling> t = build(vs);
          if (!t)
            return std::numeric_limits<double>::infinity();
          return consider(*t);
        };
        // Whether a tiling is valid depends on the structure only (every
        // split cuts its index into at least two parts, every loop runs at
        // least twice, and tile extents divide), so one check rejects a
        // structure for all its sizes. The probe splits as little and loops
        // as much as possible, so it builds if any tiling does.
        {
          for (Variable &v : vars)
            v.choice = v.isLoop ? 0 : v.tiles.size() - 1;
          std::optional<Tiling> probe = build(vars);
          if (!probe || !evaluate(g, group, inputLayouts, *probe).valid) {
            ++counters.explored;
            ++counters.pruned;
            continue;
          }
        }
        // Few combinations: try them all. Otherwise coordinate descent from
        // two starting points: tiles near 64 and near 16 elements per cut
        // index.
        double combinations = 1;
        for (const Variable &v : vars)
          combinations *= v.tiles.size();
        if (combinations <= kExhaustiveTilings) {
          std::function<void(unsigned)> enumerate = [&](unsigned k) {
            if (stopped)
              return;
            if (k == vars.size()) {
              costOf(vars);
              return;
            }
            for (unsigned c = 0; c < vars[k].tiles.size(); ++c) {
              vars[k].choice = c;
              enumerate(k + 1);
            }
          };
          enumerate(0);
        }
        for (int64_t start : {int64_t(64), int64_t(16)}) {
          if (combinations <= kExhaustiveTilings)
            break;
          for (Variable &v : vars) {
            unsigned bestChoice = 0;
            for (unsigned c = 0; c < v.tiles.size(); ++c)
              if (std::abs(std::log2(double(v.tiles[c]) / start)) <
                  std::abs(std::log2(double(v.tiles[bestChoice]) / start)))
                bestChoice = c;
            v.choice = bestChoice;
          }
          double current = costOf(vars);
          for (int sweep = 0; sweep < 6 && !stopped; ++sweep) {
            bool improved = false;
            for (Variable &v : vars) {
              unsigned keep = v.choice;
              for (unsigned c = 0; c < v.tiles.size(); ++c) {
                if (c == keep)
                  continue;
                v.choice = c;
                double cost = costOf(vars);
                if (cost < current) {
                  current = cost;
                  keep = c;
                  improved = true;
                }
              }
              v.choice = keep;
            }
            if (!improved)
              break;
          }
        }
      }
    nextStructure:;
    }
  }

  std::vector<GroupOption> options;
  for (auto &[key, option] : bestByLayout)
    options.push_back(option);
  llvm::sort(options, [](const GroupOption &a, const GroupOption &b) {
    return a.cost.seconds < b.cost.seconds;
  });
  return options;
}

void FusionSearch::recordPlan(Plan plan) {
  std::lock_guard<std::mutex> lock(mutex);
  for (const Plan &p : best)
    if (p.key == plan.key)
      return;
  best.push_back(std::move(plan));
  std::sort(best.begin(), best.end(), [](const Plan &a, const Plan &b) {
    if (a.seconds != b.seconds)
      return a.seconds < b.seconds;
    return a.key < b.key;
  });
  if (best.size() > kKeep)
    best.resize(kKeep);
}

std::vector<Plan> FusionSearch::takeBest(unsigned n) {
  std::lock_guard<std::mutex> lock(mutex);
  std::vector<Plan> result;
  for (unsigned i = 0; i < n && i < best.size(); ++i)
    result.push_back(best[i]);
  return result;
}

double FusionSearch::getBestSeconds() {
  std::lock_guard<std::mutex> lock(mutex);
  return best.empty() ? 0.0 : best.front().seconds;
}

void FusionSearch::search(const KernelGraph &derivation,
                          function_ref<bool()> expired) {
  searchPartitions(derivation, /*singletons=*/false, expired);
}

std::optional<Plan> FusionSearch::planUnfused(const KernelGraph &graph,
                                              function_ref<bool()> expired) {
  FusionSearch unfused(target, options, counters);
  unfused.searchPartitions(graph, /*singletons=*/true, expired);
  // A plan costed with the tilings tried before the budget ran out would
  // understate what the input can do: none.
  if (expired())
    return std::nullopt;
  std::vector<Plan> plans = unfused.takeBest(1);
  if (plans.empty())
    return std::nullopt;
  return plans.front();
}

void FusionSearch::searchPartitions(const KernelGraph &g, bool singletons,
                                    function_ref<bool()> expired) {
  unsigned numOps = g.ops.size();
  if (numOps == 0 || numOps > 32)
    return;
  uint64_t all = numOps == 64 ? ~uint64_t(0) : (uint64_t(1) << numOps) - 1;

  // Dependences between ops: preds[i] = ops producing i's operands.
  SmallVector<uint64_t> preds(numOps, 0), succs(numOps, 0);
  for (unsigned i = 0; i < numOps; ++i)
    for (unsigned j = 0; j < i; ++j)
      if (llvm::is_contained(g.ops[i].operands, g.ops[j].result)) {
        preds[i] |= uint64_t(1) << j;
        succs[j] |= uint64_t(1) << i;
      }
  // Transitive descendants and ancestors.
  SmallVector<uint64_t> desc(numOps, 0), anc(numOps, 0);
  for (int i = numOps - 1; i >= 0; --i) {
    desc[i] = succs[i];
    for (unsigned j = i + 1; j < numOps; ++j)
      if (succs[i] & (uint64_t(1) << j))
        desc[i] |= desc[j];
  }
  for (unsigned i = 0; i < numOps; ++i) {
    anc[i] = preds[i];
    for (unsigned j = 0; j < i; ++j)
      if (preds[i] & (uint64_t(1) << j))
        anc[i] |= anc[j];
  }
  auto convexAndConnected = [&](uint64_t mask) {
    uint64_t below = 0, above = 0;
    for (unsigned i = 0; i < numOps; ++i)
      if (mask & (uint64_t(1) << i)) {
        below |= desc[i];
        above |= anc[i];
      }
    if ((below & above) & ~mask)
      return false;
    // Connected, ignoring direction.
    uint64_t seen = mask & (~mask + 1), frontier = seen;
    while (frontier) {
      uint64_t next = 0;
      for (unsigned i = 0; i < numOps; ++i)
        if (frontier & (uint64_t(1) << i))
          next |= (preds[i] | succs[i]) & mask;
      frontier = next & ~seen;
      seen |= next;
    }
    return seen == mask;
  };

  std::map<std::pair<uint64_t, std::vector<Layout>>, std::vector<GroupOption>>
      memo;
  auto optionsFor = [&](const Group &group, const std::vector<Layout> &layouts)
      -> const std::vector<GroupOption> & {
    auto key = std::make_pair(group.mask, layouts);
    auto it = memo.find(key);
    if (it != memo.end())
      return it->second;
    return memo[key] =
               tileGroup(target, g, group, layouts, options.threadsPerBlock,
                         !singletons, counters, expired);
  };

  // Evaluate a partition: choose a tiling per group, cheapest first, with
  // the layouts producers chose for the consumers' inputs.
  auto evaluatePartition = [&](const std::vector<Group> &groups) {
    std::map<unsigned, Layout> layoutOf;
    SmallVector<const GroupOption *> chosen(groups.size(), nullptr);
    std::function<void(unsigned, double)> dfs = [&](unsigned gi,
                                                    double seconds) {
      if (expired())
        return;
      if (gi == groups.size()) {
        Plan plan;
        plan.graph = g;
        plan.seconds = seconds;
        for (auto [k, group] : llvm::enumerate(groups)) {
          KernelPlan kp;
          kp.ops = group.ops;
          kp.inputs = group.inputs;
          kp.outputs = group.outputs;
          for (unsigned t : group.inputs)
            kp.inputLayouts.push_back(layoutOf.count(t) ? layoutOf[t]
                                                        : Layout());
          kp.outputLayouts = chosen[k]->outputLayouts;
          kp.tiling = chosen[k]->tiling;
          kp.work = chosen[k]->work;
          kp.cost = chosen[k]->cost;
          plan.kernels.push_back(std::move(kp));
        }
        // The description, plus every output layout (it shows only the
        // distinct split counts).
        plan.key = plan.describe();
        for (const KernelPlan &kp : plan.kernels)
          for (const Layout &l : kp.outputLayouts)
            plan.key += " " + std::to_string(l.chunkDim) + ":" +
                        std::to_string(l.chunks);
        recordPlan(std::move(plan));
        return;
      }
      const Group &group = groups[gi];
      std::vector<Layout> layouts;
      for (unsigned t : group.inputs)
        layouts.push_back(layoutOf.count(t) ? layoutOf[t] : Layout());
      const std::vector<GroupOption> &opts = optionsFor(group, layouts);
      for (const GroupOption &option : opts) {
        // Returned tensors must hold their final values.
        bool ok = true;
        for (auto [k, t] : llvm::enumerate(group.outputs))
          if (option.outputLayouts[k].chunks > 1 &&
              llvm::is_contained(g.outputs, t))
            ok = false;
        if (!ok)
          continue;
        for (auto [k, t] : llvm::enumerate(group.outputs))
          layoutOf[t] = option.outputLayouts[k];
        chosen[gi] = &option;
        dfs(gi + 1, seconds + option.cost.seconds);
      }
      for (unsigned t : group.outputs)
        layoutOf.erase(t);
    };
    dfs(0, 0);
  };

  // Partitions: the lowest unassigned op starts a group; the group may take
  // any unassigned ops whose producers are assigned or in the group.
  std::vector<Group> groups;
  std::function<void(uint64_t)> partition = [&](uint64_t assigned) {
    if (expired())
      return;
    if (assigned == all) {
      evaluatePartition(groups);
      return;
    }
    if (!singletons && groups.size() >= options.maxKernels)
      return;
    unsigned first = llvm::countr_one(assigned);
    uint64_t rest = all & ~assigned & ~(uint64_t(1) << first);
    // Enumerate subsets of `rest` (as bit patterns of its set bits).
    SmallVector<unsigned> bits;
    for (unsigned i = 0; i < numOps; ++i)
      if (rest & (uint64_t(1) << i))
        bits.push_back(i);
    uint64_t count = singletons ? 1 : (uint64_t(1) << bits.size());
    for (uint64_t sub = 0; sub < count; ++sub) {
      uint64_t mask = uint64_t(1) << first;
      for (unsigned b = 0; b < bits.size(); ++b)
        if (sub & (uint64_t(1) << b))
          mask |= uint64_t(1) << bits[b];
      if (static_cast<unsigned>(llvm::popcount(mask)) > options.maxBlockOps)
        continue;
      bool ready = true;
      for (unsigned i = 0; i < numOps && ready; ++i)
        if (mask & (uint64_t(1) << i))
          ready = (preds[i] & ~(assigned | mask)) == 0;
      if (!ready || !convexAndConnected(mask))
        continue;
      groups.push_back(makeGroup(g, mask));
      partition(assigned | mask);
      groups.pop_back();
    }
  };
  partition(0);
}

std::string Plan::describe() const {
  static const char axisName[] = {'x', 'y', 'z'};
  std::string s;
  llvm::raw_string_ostream os(s);
  for (auto [k, kernel] : llvm::enumerate(kernels)) {
    if (k)
      os << "; ";
    os << "[";
    llvm::interleave(
        kernel.ops, os, [&](unsigned i) { os << graph.ops[i].spec.getName(); },
        " ");
    os << "] grid";
    bool any = false;
    for (int a = 0; a < 3; ++a)
      if (kernel.tiling.axisParts[a] > 1) {
        os << " " << axisName[a] << "=i" << kernel.tiling.axisIndex[a] << "/"
           << kernel.tiling.axisParts[a];
        any = true;
      }
    if (!any)
      os << " 1";
    if (kernel.tiling.loopIndex >= 0)
      os << " loop=i" << kernel.tiling.loopIndex << "/"
         << kernel.tiling.forloop;
    // Split reductions: the partial results per output element (once per
    // distinct count).
    SmallVector<int64_t> splits;
    for (const Layout &l : kernel.outputLayouts)
      if (l.chunks > 1 && !llvm::is_contained(splits, l.chunks))
        splits.push_back(l.chunks);
    for (int64_t chunks : splits)
      os << " split=" << chunks;
    os << llvm::formatv(" ({0:f2} us)", kernel.cost.seconds * 1e6);
  }
  return s;
}
