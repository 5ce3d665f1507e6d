//===- Dot.cpp - Draw a kernel graph and its block graphs -----------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Graphviz DOT for `KernelGraph.visualize`: one cluster for the kernel graph
// (inputs, kernels, outputs) and one per graph-defined kernel holding its
// block graph, with the for-loop and each thread graph as nested clusters. A
// dashed edge leads from each graph-defined kernel to its block graph.
//
//===----------------------------------------------------------------------===//

#include "Graph.h"

#include "Mirage/Dialect/Mirage/IR/MirageOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::mirage;
using namespace mirage_python;

namespace {

std::string escape(const std::string &text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

/// "64x1x128 f16", or "tile 1x128x256 f16".
std::string describeType(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (auto shaped = dyn_cast<ShapedType>(type)) {
    if (isa<TileType>(type))
      os << "tile ";
    llvm::interleave(shaped.getShape(), os, "x");
    os << " " << shaped.getElementType();
    return s;
  }
  os << type;
  return s;
}

std::string attributeText(Attribute attr) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (auto array = dyn_cast<DenseI64ArrayAttr>(attr)) {
    os << "[";
    llvm::interleaveComma(array.asArrayRef(), os);
    os << "]";
    return s;
  }
  if (auto integer = dyn_cast<IntegerAttr>(attr)) {
    os << integer.getInt();
    return s;
  }
  if (auto real = dyn_cast<FloatAttr>(attr)) {
    os << llvm::formatv("{0}", real.getValueAsDouble());
    return s;
  }
  attr.print(os, /*elideType=*/true);
  // Dialect attributes print as #mirage<...> or #mirage.name<...>: keep the
  // part inside the brackets.
  StringRef text = s;
  if (text.starts_with("#mirage")) {
    size_t open = text.find('<');
    if (open != StringRef::npos && text.ends_with(">"))
      return text.slice(open + 1, text.size() - 1).str();
  }
  if (text.size() > 48)
    return text.take_front(45).str() + "...";
  return s;
}

class DotWriter {
public:
  explicit DotWriter(func::FuncOp func) : func(func) {}

  std::string write() {
    os << "digraph \"" << escape(func.getName().str()) << "\" {\n"
       << "  compound=true;\n  newrank=true;\n"
       << "  node [fontname=\"Helvetica\", fontsize=10, shape=box, "
          "style=\"rounded,filled\", fillcolor=white];\n"
       << "  edge [fontname=\"Helvetica\", fontsize=9];\n";
    os << "  subgraph cluster_kernel_graph {\n"
       << "    label=\"kernel graph @" << escape(func.getName().str()) << "\";\n"
       << "    style=\"rounded\"; color=gray40;\n";
    for (BlockArgument arg : func.getArguments()) {
      std::string name = newNode();
      sources[arg] = name;
      os << "    " << name << " [shape=ellipse, fillcolor=lightblue, label=\""
         << escape(llvm::formatv("input {0}\n{1}", arg.getArgNumber(),
                                 describeType(arg.getType())))
         << "\"];\n";
    }
    SmallVector<GraphKernelOp> kernels;
    for (Operation &op : func.getBody().front()) {
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
          std::string name = newNode();
          os << "    " << name
             << " [shape=ellipse, fillcolor=palegreen, label=\""
             << escape(llvm::formatv("output {0}\n{1}", i,
                                     describeType(value.getType())))
             << "\"];\n";
          edges.push_back({sourceOf(value), name, ""});
        }
        continue;
      }
      if (auto kernel = dyn_cast<GraphKernelOp>(op)) {
        kernels.push_back(kernel);
        kernelNumbers[kernel] = kernels.size() - 1;
      }
      writeNode(&op, "    ");
    }
    os << "  }\n";
    for (auto [k, kernel] : llvm::enumerate(kernels))
      writeBlockGraph(kernel, k);
    for (const Edge &e : edges) {
      os << "  " << e.from << " -> " << e.to;
      if (!e.attributes.empty())
        os << " [" << e.attributes << "]";
      os << ";\n";
    }
    os << "}\n";
    return text;
  }

private:
  struct Edge {
    std::string from, to, attributes;
  };

  std::string newNode() { return "n" + std::to_string(counter++); }

  std::string sourceOf(Value value) {
    auto it = sources.find(value);
    if (it != sources.end())
      return it->second;
    return "missing";
  }

  /// The label of an op: its name, key attributes and result types.
  std::string label(Operation *op) {
    std::string s;
    llvm::raw_string_ostream out(s);
    StringRef name = op->getName().getStringRef();
    name.consume_front("mirage.");
    if (auto kernel = dyn_cast<GraphKernelOp>(op)) {
      out << "graph_kernel #" << kernelNumbers[kernel] << "\n";
    } else {
      out << name << "\n";
    }
    SmallVector<std::string> attrs;
    for (NamedAttribute attr : op->getAttrs())
      attrs.push_back(
          (attr.getName().strref() + "=" + attributeText(attr.getValue()))
              .str());
    if (!attrs.empty())
      out << llvm::join(attrs, " ") << "\n";
    SmallVector<std::string> results;
    for (Type t : op->getResultTypes())
      results.push_back(describeType(t));
    out << llvm::join(results, ", ");
    return s;
  }

  std::string colorOf(Operation *op) {
    if (isa<GraphKernelOp>(op))
      return "lightyellow";
    if (isa<InputIteratorOp>(op))
      return "lightblue";
    if (isa<OutputSaverOp>(op))
      return "palegreen";
    if (isa<AccumulateOp>(op))
      return "moccasin";
    return "white";
  }

  /// One op as a node (region ops of block graphs as clusters), with edges
  /// from its operands.
  void writeNode(Operation *op, const std::string &indent) {
    if (isa<ForLoopOp, ThreadGraphOp>(op)) {
      writeCluster(op, indent);
      return;
    }
    std::string name = newNode();
    os << indent << name << " [fillcolor=" << colorOf(op) << ", label=\""
       << escape(label(op)) << "\"];\n";
    for (Value result : op->getResults())
      sources[result] = name;
    if (op->hasTrait<OpTrait::IsTerminator>())
      terminatorNodes[op] = name;
    for (auto [i, operand] : llvm::enumerate(op->getOperands()))
      edges.push_back({sourceOf(operand), name,
                       op->getNumOperands() > 1 && isa<GraphKernelOp>(op)
                           ? ("label=\"" + std::to_string(i) + "\"")
                           : ""});
    if (auto kernel = dyn_cast<GraphKernelOp>(op))
      kernelNodes[kernel] = name;
  }

  /// A for-loop or thread graph: its body in a nested cluster; its results
  /// come from the node of its terminator (accumulate or yield).
  void writeCluster(Operation *op, const std::string &indent) {
    Block &body = op->getRegion(0).front();
    if (auto thread = dyn_cast<ThreadGraphOp>(op))
      for (auto [arg, operand] :
           llvm::zip(body.getArguments(), thread->getOperands()))
        sources[arg] = sourceOf(operand);
    std::string cluster = "cluster_" + std::to_string(counter++);
    os << indent << "subgraph " << cluster << " {\n";
    if (auto loop = dyn_cast<ForLoopOp>(op)) {
      int64_t iterations = 1;
      if (auto kernel = op->getParentOfType<GraphKernelOp>())
        iterations = kernel.getForloop();
      os << indent << "  label=\"for-loop, " << iterations
         << " iteration(s)\"; style=\"rounded,dashed\"; color=gray30;\n";
    } else {
      os << indent
         << "  label=\"thread graph\"; style=\"rounded,dotted\"; "
            "color=gray30;\n";
    }
    for (Operation &inner : body)
      writeNode(&inner, indent + "  ");
    os << indent << "}\n";
    std::string terminator = sourceOfTerminator(body);
    for (Value result : op->getResults())
      sources[result] = terminator;
  }

  /// The node of a region's terminator (accumulate, yield), which stands
  /// for the region op's results.
  std::string sourceOfTerminator(Block &body) {
    return terminatorNodes.lookup(body.getTerminator());
  }

  void writeBlockGraph(GraphKernelOp kernel, size_t number) {
    std::string cluster = "cluster_kernel_" + std::to_string(number);
    os << "  subgraph " << cluster << " {\n"
       << "    label=\""
       << escape(llvm::formatv(
              "block graph of graph_kernel #{0}: grid [{1}], block [{2}], "
              "forloop {3}",
              number,
              llvm::join(llvm::map_range(kernel.getGrid(),
                                         [](int64_t x) {
                                           return std::to_string(x);
                                         }),
                         ", "),
              llvm::join(llvm::map_range(kernel.getBlock(),
                                         [](int64_t x) {
                                           return std::to_string(x);
                                         }),
                         ", "),
              kernel.getForloop()))
       << "\";\n    style=\"rounded,filled\"; fillcolor=gray96; "
          "color=gray40;\n";
    Block &body = kernel.getBody().front();
    std::string first;
    for (BlockArgument arg : body.getArguments()) {
      std::string name = newNode();
      if (first.empty())
        first = name;
      sources[arg] = name;
      os << "    " << name
         << " [shape=note, fillcolor=aliceblue, label=\""
         << escape(llvm::formatv("kernel input {0}\n{1}", arg.getArgNumber(),
                                 describeType(arg.getType())))
         << "\"];\n";
    }
    for (Operation &op : body) {
      if (op.hasTrait<OpTrait::IsTerminator>() && op.getNumOperands() == 0)
        continue; // the implicit block_graph_end
      if (first.empty())
        first = "n" + std::to_string(counter);
      writeNode(&op, "    ");
    }
    os << "  }\n";
    if (!first.empty())
      edges.push_back({kernelNodes.lookup(kernel), first,
                       "style=dashed, color=gray50, arrowhead=open, lhead=" +
                           cluster});
  }

  func::FuncOp func;
  std::string text;
  llvm::raw_string_ostream os{text};
  unsigned counter = 0;
  llvm::DenseMap<Value, std::string> sources;
  llvm::DenseMap<Operation *, std::string> kernelNodes, terminatorNodes;
  llvm::DenseMap<Operation *, size_t> kernelNumbers;
  std::vector<Edge> edges;
};

} // namespace

std::string Graph::toDot() { return DotWriter(getFunction()).write(); }
