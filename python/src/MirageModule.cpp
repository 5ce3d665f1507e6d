//===- MirageModule.cpp - The mirage._mirage extension module -------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// nanobind bindings of Graph.h. This layer is private to the package:
// mirage/graph.py wraps it in the documented API (argument checks, dtypes,
// NumPy and PyTorch tensors, progress, Ctrl-C). Long calls release the GIL.
//
//===----------------------------------------------------------------------===//

#include "Graph.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

namespace nb = nanobind;
using namespace nb::literals;
using namespace mirage_python;

namespace {

using HostArray = nb::ndarray<const float, nb::c_contig, nb::device::cpu>;
using NumpyArray = nb::ndarray<nb::numpy, float>;

const char *exceptionClassName(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::Shape:
    return "ShapeError";
  case ErrorKind::Parse:
    return "MLIRParseError";
  case ErrorKind::Value:
    return "GraphError";
  case ErrorKind::Superoptimize:
    return "SuperoptimizeError";
  case ErrorKind::Execution:
    return "ExecutionError";
  case ErrorKind::Cuda:
    return "CudaError";
  }
  return "MirageError";
}

/// Checks one float32 array per graph input, of the input's element count
/// and shape, and returns their data pointers.
std::vector<const float *> checkedInputs(Graph &graph,
                                         const std::vector<HostArray> &arrays) {
  std::vector<int> inputs = graph.getInputs();
  if (arrays.size() != inputs.size())
    throw MirageException(ErrorKind::Value,
                          "the graph takes " + std::to_string(inputs.size()) +
                              " inputs, got " + std::to_string(arrays.size()));
  std::vector<const float *> data;
  for (size_t i = 0; i < arrays.size(); ++i) {
    std::vector<int64_t> shape = graph.getShape(inputs[i]);
    bool same = arrays[i].ndim() == shape.size();
    for (size_t d = 0; same && d < shape.size(); ++d)
      same = static_cast<int64_t>(arrays[i].shape(d)) == shape[d];
    if (!same)
      throw MirageException(ErrorKind::Shape,
                            "input " + std::to_string(i) +
                                " does not have the input's shape");
    data.push_back(arrays[i].data());
  }
  return data;
}

/// Wraps float32 results as NumPy arrays of the graph's output shapes.
std::vector<NumpyArray> toArrays(Graph &graph,
                                 std::vector<std::vector<float>> results) {
  std::vector<int> outputs = graph.getOutputs();
  std::vector<NumpyArray> arrays;
  for (size_t i = 0; i < results.size(); ++i) {
    auto *owned = new std::vector<float>(std::move(results[i]));
    nb::capsule owner(owned, [](void *p) noexcept {
      delete static_cast<std::vector<float> *>(p);
    });
    std::vector<int64_t> shape = graph.getShape(outputs[i]);
    std::vector<size_t> dims(shape.begin(), shape.end());
    arrays.emplace_back(owned->data(), dims.size(), dims.data(), owner);
  }
  return arrays;
}

const char *stageName(mlir::mirage::search::SearchProgress::Stage stage) {
  using Stage = mlir::mirage::search::SearchProgress::Stage;
  switch (stage) {
  case Stage::Idle:
    return "starting";
  case Stage::Algebra:
    return "searching ops";
  case Stage::Fusion:
    return "searching kernels";
  case Stage::Verification:
    return "verifying";
  case Stage::Done:
    return "done";
  }
  return "";
}

} // namespace

NB_MODULE(_mirage, m) {
  m.doc() = "Private C++ extension of the mirage package (see mirage.graph).";

  nb::register_exception_translator(
      [](const std::exception_ptr &p, void *) {
        try {
          std::rethrow_exception(p);
        } catch (const MirageException &e) {
          nb::object errors = nb::module_::import_("mirage.errors");
          nb::object cls = errors.attr(exceptionClassName(e.getKind()));
          PyErr_SetString(cls.ptr(), e.what());
        }
      });

#if MIRAGE_HAVE_RUNTIME
  m.attr("has_cuda_runtime") = true;
  m.def("cuda_device_count", [] {
    nb::gil_scoped_release release;
    return getCudaDeviceCount();
  });
#else
  m.attr("has_cuda_runtime") = false;
  m.def("cuda_device_count", []() -> int {
    throw MirageException(ErrorKind::Cuda,
                          "this mirage package was built without the GPU "
                          "runtime (cuda.h was not found when it was built)");
  });
#endif

  nb::class_<Graph>(m, "Graph")
      .def(nb::init<const std::string &>(), "name"_a)
      .def_static("from_mlir", &Graph::fromMlir, "text"_a, "entry"_a)
      .def("new_input", &Graph::newInput, "shape"_a, "dtype"_a)
      .def("add_op", &Graph::addOp, "name"_a, "operands"_a, "ints"_a,
           "floats"_a, "int_lists"_a, "reduce_kind"_a)
      .def("mark_output", &Graph::markOutput, "id"_a)
      .def("shape", &Graph::getShape, "id"_a)
      .def("dtype", &Graph::getDtype, "id"_a)
      .def("producer", &Graph::getProducer, "id"_a)
      .def("inputs", &Graph::getInputs)
      .def("outputs", &Graph::getOutputs)
      .def_prop_ro("name", &Graph::getName)
      .def("to_mlir", &Graph::toMlir, "generic"_a = false)
      .def("to_dot", &Graph::toDot)
      .def("check_runnable", &Graph::checkRunnable)
      .def(
          "run_reference",
          [](Graph &graph, const std::vector<HostArray> &arrays) {
            std::vector<const float *> data = checkedInputs(graph, arrays);
            std::vector<std::vector<float>> results;
            {
              nb::gil_scoped_release release;
              results = graph.runReference(data);
            }
            return toArrays(graph, std::move(results));
          },
          "inputs"_a)
      .def(
          "compile_package",
          [](Graph &graph, const std::string &directory,
             const std::string &chip) {
            nb::gil_scoped_release release;
            graph.compilePackage(directory, chip);
          },
          "directory"_a, "chip"_a);

  nb::class_<SuperoptimizeJob>(m, "SuperoptimizeJob")
      .def(
          "__init__",
          [](SuperoptimizeJob *job, Graph &graph, const std::string &target,
             unsigned maxKernelOps, unsigned maxBlockOps, double timeBudget,
             unsigned threads, uint64_t seed, const std::string &cacheDir,
             unsigned listCandidates, unsigned verifyMemoryLimit) {
            SuperoptimizeOptions options;
            options.target = target;
            options.maxKernelOps = maxKernelOps;
            options.maxBlockOps = maxBlockOps;
            options.timeBudget = timeBudget;
            options.threads = threads;
            options.seed = seed;
            options.cacheDir = cacheDir;
            options.listCandidates = listCandidates;
            options.verifyMemoryLimit = verifyMemoryLimit;
            new (job) SuperoptimizeJob(graph, options);
          },
          "graph"_a, "target"_a, "max_kernel_ops"_a, "max_block_ops"_a,
          "time_budget"_a, "threads"_a, "seed"_a, "cache_dir"_a,
          "list_candidates"_a, "verify_memory_limit"_a)
      .def("start", &SuperoptimizeJob::start)
      .def(
          "wait",
          [](SuperoptimizeJob &job, double seconds) {
            nb::gil_scoped_release release;
            return job.wait(seconds);
          },
          "seconds"_a)
      .def("cancel", &SuperoptimizeJob::cancel)
      .def("abort", &SuperoptimizeJob::abort)
      .def("join",
           [](SuperoptimizeJob &job) {
             nb::gil_scoped_release release;
             job.join();
           })
      .def("progress",
           [](SuperoptimizeJob &job) {
             mlir::mirage::search::SearchProgress p = job.getProgress();
             nb::dict d;
             d["stage"] = stageName(p.stage);
             d["elapsed"] = p.elapsedSeconds;
             d["explored"] = p.explored;
             d["pruned"] = p.pruned;
             d["input_seconds"] = p.inputSeconds;
             d["best_seconds"] = p.bestSeconds;
             return d;
           })
      .def("messages",
           [](SuperoptimizeJob &job) {
             std::vector<std::pair<std::string, std::string>> out;
             for (const JobMessage &message : job.getMessages())
               out.emplace_back(message.severity, message.text);
             return out;
           })
      .def("result", [](SuperoptimizeJob &job) {
        {
          nb::gil_scoped_release release;
          job.wait(-1);
        }
        return job.takeResult();
      });

  nb::class_<CudaProgram>(m, "CudaProgram")
      .def(
          "__init__",
          [](CudaProgram *program, Graph &graph, int ordinal,
             const std::string &directory) {
            nb::gil_scoped_release release;
            new (program) CudaProgram(graph, ordinal, directory);
          },
          "graph"_a, "ordinal"_a, "directory"_a)
      .def(
          "run",
          [](CudaProgram &program, const std::vector<uint64_t> &inputs,
             const std::vector<uint64_t> &outputs, uint64_t stream) {
            nb::gil_scoped_release release;
            program.run(inputs, outputs, stream);
          },
          "inputs"_a, "outputs"_a, "stream"_a)
      .def(
          "run_host",
          [](CudaProgram &program, Graph &graph,
             const std::vector<HostArray> &arrays) {
            std::vector<const float *> data = checkedInputs(graph, arrays);
            std::vector<std::vector<float>> results;
            {
              nb::gil_scoped_release release;
              results = program.runHost(data);
            }
            return toArrays(graph, std::move(results));
          },
          "graph"_a, "inputs"_a)
      .def_prop_ro("device_name", &CudaProgram::getDeviceName)
      .def_prop_ro("chip", &CudaProgram::getChip)
      .def_prop_ro("binary_kind", &CudaProgram::getBinaryKind);
}
