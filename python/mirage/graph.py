"""Kernel graphs: build them op by op, superoptimize them, run them.

A kernel graph is a program of kernel-level ops (``matmul``, ``exp``,
``reduction``, ``softmax``...) on tensors of static shape; each op stands for
one GPU kernel. It is an MLIR function of ``mirage`` ops underneath
(``graph.to_mlir()`` prints it): every op is checked, as it is added, by the
same type inference and verifier as ``mirage-opt``.

Shapes follow NumPy: binary ops broadcast (shapes aligned at the last dim,
each pair of dims equal or one of them 1), ``matmul`` multiplies the last two
dims and broadcasts the leading (batch) dims. Every tensor has rank >= 1 and
dtype ``mi.float16``, ``mi.bfloat16`` or ``mi.float32``; the operands of one
op share a dtype, and results take it.
"""

import operator
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
import weakref

from . import _mirage
from . import _execute
from .dtypes import as_dtype, float16, from_mlir_name
from .errors import GraphError, GraphvizError, SuperoptimizeWarning


class Tensor:
    """A tensor of a kernel graph: an input or an op's result.

    It has a shape and a dtype, no data; pass it to the graph's ops.
    ``dims`` (Mirage's name) and ``shape`` are the same tuple.
    """

    __slots__ = ("_graph", "_id", "__weakref__")

    def __init__(self, graph, ident):
        self._graph = graph
        self._id = ident

    @property
    def graph(self):
        """The :class:`KernelGraph` this tensor belongs to."""
        return self._graph

    @property
    def shape(self):
        """The dims, a tuple of positive ints."""
        return tuple(self._graph._g.shape(self._id))

    dims = shape

    @property
    def num_dims(self):
        """The rank."""
        return len(self.shape)

    def dim(self, index):
        """The extent of dim ``index`` (negative counts from the end)."""
        return self.shape[index]

    @property
    def dtype(self):
        """``mi.float16``, ``mi.bfloat16`` or ``mi.float32``."""
        return from_mlir_name(self._graph._g.dtype(self._id))

    def __repr__(self):
        return (f"Tensor(shape={self.shape}, dtype={self.dtype!r}, "
                f"from={self._graph._g.producer(self._id)})")


def _index(value, what):
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an int, got {value!r}") from None


def _int_tuple(values, what):
    if isinstance(values, int):
        return (values,)
    try:
        return tuple(_index(v, what) for v in values)
    except TypeError as e:
        if "must be an int" in str(e):
            raise
        raise TypeError(f"{what} must be a sequence of ints, got {values!r}") from None


def _row_major_strides(dims):
    strides, step = [], 1
    for d in reversed(dims):
        strides.append(step)
        step *= d
    return tuple(reversed(strides))


class KernelGraph:
    """A kernel graph under construction, or the result of
    :meth:`superoptimize`.

    Create one with :func:`mirage.new_kernel_graph` or
    :func:`mirage.from_mlir`. Methods that add ops return the result
    :class:`Tensor`; invalid operands raise :class:`mirage.ShapeError` at once,
    with the verifier's message and the operands' shapes.

    A graph is not thread-safe: build and run one graph from one thread at a
    time.
    """

    def __init__(self, name="kernel_graph", *, _graph=None):
        self._g = _graph if _graph is not None else _mirage.Graph(name)
        self._cuda = {}
        self._cuda_lock = threading.Lock()
        self._package_dir = None
        #: The superoptimizer's summary of how this graph was found (what was
        #: chosen, against what, how it was verified), or None.
        self.superoptimize_report = None

    # -- structure ------------------------------------------------------------

    @property
    def name(self):
        """The function's name in ``to_mlir()``."""
        return self._g.name

    @property
    def inputs(self):
        """The inputs, in order, as :class:`Tensor` objects."""
        return [Tensor(self, i) for i in self._g.inputs()]

    @property
    def outputs(self):
        """The tensors marked as outputs, in order."""
        return [Tensor(self, i) for i in self._g.outputs()]

    def __repr__(self):
        return (f"<mirage.KernelGraph @{self.name}: {len(self._g.inputs())} "
                f"input(s), {len(self._g.outputs())} output(s)>")

    def _id(self, tensor, what="operand"):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{what} must be a mirage Tensor of this graph, "
                            f"got {type(tensor).__name__}")
        if tensor._graph is not self:
            raise GraphError(f"{what} is a tensor of another graph")
        return tensor._id

    def _op(self, name, operands, ints=(), floats=(), int_lists=(), kind=""):
        ids = [self._id(t) for t in operands]
        ident = self._g.add_op(name, ids, list(ints), list(floats),
                               list(int_lists), kind)
        return Tensor(self, ident)

    def _dim(self, tensor, dim):
        """Normalizes a negative dim; leaves others to the verifier."""
        dim = _index(dim, "dim")
        rank = tensor.num_dims
        return dim + rank if -rank <= dim < 0 else dim

    # -- inputs and outputs ---------------------------------------------------

    def new_input(self, dims, dtype=float16, strides=None):
        """Adds an input of shape ``dims`` and element type ``dtype``.

        ``dims``: a sequence of positive ints (rank >= 1). ``dtype``:
        ``mi.float16`` (default), ``mi.bfloat16``, ``mi.float32`` (or a name,
        NumPy or torch dtype). ``strides``: only dense row-major layouts are
        supported; ``None`` or the row-major strides of ``dims``.

        Raises :class:`ShapeError` for an empty or non-positive shape,
        :class:`GraphError` for other strides, ``TypeError`` for another
        dtype.
        """
        dims = _int_tuple(dims, "dims")
        dtype = as_dtype(dtype)
        if strides is not None:
            strides = _int_tuple(strides, "strides")
            if strides != _row_major_strides(dims):
                raise GraphError(
                    f"strides {strides} for dims {dims}: only dense row-major "
                    f"tensors are supported (strides {_row_major_strides(dims)})")
        return Tensor(self, self._g.new_input(list(dims), dtype.mlir))

    def mark_output(self, tensor, strides=None):
        """Makes ``tensor`` (an op's result) the next output of the graph.

        Outputs are dense row-major; ``strides``, if given, must say so.
        Raises :class:`GraphError` for an input (outputs are computed by
        ops), a tensor marked twice or a tensor of another graph.
        """
        ident = self._id(tensor, "the output")
        if strides is not None:
            strides = _int_tuple(strides, "strides")
            if strides != _row_major_strides(tensor.shape):
                raise GraphError(
                    f"strides {strides} for dims {tensor.shape}: only dense "
                    "row-major tensors are supported")
        self._g.mark_output(ident)

    # -- ops --------------------------------------------------------------------

    def matmul(self, A, B):
        """Batched matrix product: ``C[b..., i, j] = sum_k A[b..., i, k] *
        B[b..., k, j]``.

        A is ``[batch..., m, k]``, B ``[batch..., k, n]``, equal ranks >= 2;
        the batch dims broadcast. Returns ``[batch..., m, n]``. Products are
        accumulated in f32. Raises :class:`ShapeError` if the ranks or the k
        dims differ or the batch dims do not broadcast.
        """
        return self._op("matmul", [A, B])

    def exp(self, A):
        """Elementwise ``e**x``; same shape and dtype as A."""
        return self._op("exp", [A])

    def sqrt(self, A):
        """Elementwise square root; same shape and dtype as A."""
        return self._op("sqrt", [A])

    def rsqrt(self, A):
        """Elementwise ``1 / sqrt(x)``; same shape and dtype as A."""
        return self._op("rsqrt", [A])

    def square(self, A):
        """Elementwise ``x * x``; same shape and dtype as A."""
        return self._op("square", [A])

    def silu(self, A):
        """Elementwise SiLU, ``x / (1 + e**-x)``; same shape and dtype as A."""
        return self._op("silu", [A])

    def gelu(self, A):
        """Elementwise exact GELU, ``x/2 * (1 + erf(x / sqrt(2)))`` (PyTorch's
        default); same shape and dtype as A."""
        return self._op("gelu", [A])

    def relu(self, A):
        """Elementwise ``max(x, 0)``; same shape and dtype as A."""
        return self._op("relu", [A])

    def sigmoid(self, A):
        """Elementwise ``1 / (1 + e**-x)``; same shape and dtype as A."""
        return self._op("sigmoid", [A])

    def mul_scalar(self, A, scalar):
        """``A * scalar`` for a finite Python number (an f32 constant); same
        shape and dtype as A. Raises :class:`ShapeError` for inf or NaN."""
        return self._op("mul_scalar", [A], floats=[("scalar", float(scalar))])

    def clamp(self, A, min, max):
        """Elementwise ``min(max(x, min), max)``; ``min <= max`` required
        (:class:`ShapeError` otherwise)."""
        return self._op("clamp", [A], floats=[("min", float(min)),
                                              ("max", float(max))])

    def add(self, A, B):
        """Elementwise ``A + B`` with NumPy broadcasting. Raises
        :class:`ShapeError` if the shapes do not broadcast or the dtypes
        differ."""
        return self._op("add", [A, B])

    def sub(self, A, B):
        """Elementwise ``A - B`` with NumPy broadcasting (see :meth:`add`)."""
        return self._op("sub", [A, B])

    def mul(self, A, B):
        """Elementwise ``A * B`` with NumPy broadcasting (see :meth:`add`); B
        may also be a Python number (then this is :meth:`mul_scalar`)."""
        if isinstance(B, (int, float)) and not isinstance(B, bool):
            return self.mul_scalar(A, B)
        return self._op("mul", [A, B])

    def div(self, A, B):
        """Elementwise ``A / B`` with NumPy broadcasting (see :meth:`add`)."""
        return self._op("div", [A, B])

    def pow(self, A, B):
        """Elementwise ``A ** B`` with NumPy broadcasting (see :meth:`add`)."""
        return self._op("pow", [A, B])

    def reduction(self, A, dim, size=1):
        """Sum over dim ``dim`` down to extent ``size`` (Mirage's reduction).

        Dim ``dim`` (extent ``d``; negative counts from the end) is viewed as
        ``[d / size, size]`` and the outer part summed:
        ``R[..., j, ...] = sum_c A[..., c*size + j, ...]``. With ``size=1``
        (default) the usual sum that keeps the dim with extent 1. Raises
        :class:`ShapeError` if ``dim`` is out of range or ``size`` does not
        divide ``d``.
        """
        return self._op("reduce", [A],
                        ints=[("dim", self._dim(A, dim)),
                              ("size", _index(size, "size"))], kind="sum")

    def reduce_max(self, A, dim, size=1):
        """Like :meth:`reduction` with ``max`` instead of the sum. The
        superoptimizer does not search max reductions (it raises
        :class:`SuperoptimizeError`); graphs with them still run."""
        return self._op("reduce", [A],
                        ints=[("dim", self._dim(A, dim)),
                              ("size", _index(size, "size"))], kind="max")

    def rms_norm(self, A, normalized_shape, eps=0.0):
        """``x / sqrt(mean(x**2) + eps)`` over the trailing dims
        ``normalized_shape`` (as ``torch.nn.functional.rms_norm`` without a
        weight; ``eps`` defaults to 0, as in Mirage).

        Raises :class:`ShapeError` unless ``normalized_shape`` equals A's
        trailing dims and ``eps`` is finite and >= 0.
        """
        shape = _int_tuple(normalized_shape, "normalized_shape")
        return self._op("rms_norm", [A], floats=[("eps", float(eps))],
                        int_lists=[("normalized_shape", list(shape))])

    def softmax(self, A, dim=-1):
        """``e**x / sum_dim e**x`` along ``dim`` (default the last); same
        shape and dtype as A. A composite op: the superoptimizer decomposes
        it into ``exp``, ``reduction`` and ``div``. Raises
        :class:`ShapeError` if ``dim`` is out of range."""
        return self._op("softmax", [A], ints=[("dim", self._dim(A, dim))])

    def concat(self, *tensors, dim):
        """Concatenates two or more tensors along ``dim`` (keyword), like
        ``torch.cat``: ``graph.concat(A, B, dim=1)`` or
        ``graph.concat([A, B, C], dim=0)``. All have the same rank, dtype and
        other dims (:class:`ShapeError` otherwise)."""
        if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
            tensors = tuple(tensors[0])
        if not tensors:
            raise GraphError("concat needs at least two tensors")
        return self._op("concat", list(tensors),
                        ints=[("dim", self._dim(tensors[0], dim))])

    # -- MLIR and drawings ------------------------------------------------------

    def to_mlir(self, generic=False):
        """The graph as MLIR text: a module with one ``func.func`` of
        ``mirage`` ops, which ``mirage-opt`` and ``mirage-run`` read and
        :func:`mirage.from_mlir` reads back. ``generic=True`` prints the
        generic op form."""
        return self._g.to_mlir(generic)

    def to_dot(self):
        """Graphviz DOT text drawing the kernel graph and the block graph of
        each graph-defined kernel (see :meth:`visualize`)."""
        return self._g.to_dot()

    def visualize(self, path, format=None):
        """Draws the graph to ``path`` and returns the path.

        The drawing shows the kernel graph (inputs, one box per kernel,
        outputs, with shapes) and, for each graph-defined kernel the
        superoptimizer made, its block graph: the grid, block and for-loop,
        the input iterators (imap, fmap), the for-loop body and
        accumulators, the epilogue, thread graphs and output savers (omap).

        ``format`` defaults to the path's suffix: ``svg``, ``png`` or
        ``pdf`` (rendered by Graphviz's ``dot``), or ``dot``/``gv`` (the DOT
        text, which needs no Graphviz). Raises :class:`GraphvizError` if
        ``dot`` is needed but not installed (Debian: ``apt-get install
        graphviz``) or fails, ``ValueError`` for another format.
        """
        path = os.fspath(path)
        fmt = (format or os.path.splitext(path)[1].lstrip(".")).lower()
        dot_text = self.to_dot()
        if fmt in ("dot", "gv"):
            with open(path, "w", encoding="utf-8") as f:
                f.write(dot_text)
            return path
        if fmt not in ("svg", "png", "pdf"):
            raise ValueError(
                f"cannot draw to {path!r}: unknown format {fmt!r}; use .svg, "
                ".png, .pdf (rendered with Graphviz) or .dot")
        exe = shutil.which("dot")
        if exe is None:
            raise GraphvizError(
                "visualize needs Graphviz's `dot` to write "
                f"{fmt.upper()} and it is not on PATH; install Graphviz "
                "(Debian: apt-get install graphviz) or write DOT text with a "
                ".dot path")
        proc = subprocess.run([exe, f"-T{fmt}", "-o", path], input=dot_text,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise GraphvizError(f"dot failed ({proc.returncode}): "
                                f"{proc.stderr.strip()}")
        return path

    # -- the superoptimizer -----------------------------------------------------

    _SEARCH_OPTIONS = ("max_kernel_ops", "max_block_ops", "list_candidates",
                       "verify_memory_limit")

    def superoptimize(self, target="sm_90a", time_budget=30.0, threads=None,
                      seed=0, cache_dir=None, verbose=False, progress=None,
                      **search_options):
        """Searches, verifies and ranks μGraphs equivalent to this graph;
        returns the best as a new :class:`KernelGraph` (this one is not
        changed).

        The search (``--mirage-superoptimize``, see docs/superoptimizer.md)
        fuses ops into graph-defined kernels with block graphs, proves each
        candidate equivalent by random tests over finite fields plus a
        float check, and ranks them with a cost model of ``target``. If
        nothing beats the input, the result computes the input as it is.

        Parameters:
          target: ``"sm_90a"`` (H100, default), ``"sm_80"`` (A100) or
            ``"h200"``: the GPU the cost model ranks for.
          time_budget: seconds the search may take (default 30); when it
            runs out the best μGraph found so far is verified and used.
          threads: search threads (None or 0: one per core); the result does
            not depend on it.
          seed: seed of the verifier's random tests.
          cache_dir: where results are cached (default
            ``~/.cache/mirage-mlir``); ``False`` or ``"none"`` disables the
            cache. A cached graph returns at once.
          verbose: print the superoptimizer's remarks (what it chose, against
            what, how it was verified) to stderr.
          progress: show progress (elapsed time, candidates explored, the
            best estimated cost so far) on stderr; None (default) shows it
            once a search has run for 2 seconds.
          max_kernel_ops (default 4), max_block_ops (16), list_candidates
            (0): the pass's search options.
          verify_memory_limit: MiB one candidate's verification may hold
            (default 1024); larger programs are tested piece by piece with
            the same bound (docs/verification.md).

        Ctrl-C stops the search: the best μGraph found so far is verified and
        returned (press it again to abort). The result's
        ``superoptimize_report`` says what was chosen.

        Raises :class:`GraphError` if the graph has no outputs,
        ``TypeError`` for an unknown option, :class:`SuperoptimizeError` if
        the pass fails (an op it does not search, an unknown target). Emits
        :class:`SuperoptimizeWarning` when it keeps the input because the
        budget ran out or no candidate passed verification.
        """
        unknown = sorted(set(search_options) - set(self._SEARCH_OPTIONS))
        if unknown:
            raise TypeError(
                f"superoptimize() got unknown option(s) {', '.join(unknown)}; "
                "it takes target, time_budget, threads, seed, cache_dir, "
                "verbose, progress and " + ", ".join(self._SEARCH_OPTIONS))
        # `not >=` also catches NaN, which compares false with everything.
        if time_budget is None or not float(time_budget) >= 0:
            raise GraphError(f"time_budget must be >= 0 seconds, got {time_budget!r}")
        if cache_dir is False or cache_dir == "none":
            cache = "none"
        elif cache_dir is None:
            cache = ""
        else:
            cache = os.fspath(cache_dir)
        for key in self._SEARCH_OPTIONS:
            if key in search_options and _index(search_options[key], key) < 0:
                raise GraphError(f"{key} must be >= 0")
        job = _mirage.SuperoptimizeJob(
            self._g, str(target),
            _index(search_options.get("max_kernel_ops", 4), "max_kernel_ops"),
            _index(search_options.get("max_block_ops", 16), "max_block_ops"),
            float(time_budget), _index(threads or 0, "threads"),
            _index(seed, "seed"), cache,
            _index(search_options.get("list_candidates", 0), "list_candidates"),
            _index(search_options.get("verify_memory_limit", 1024),
                   "verify_memory_limit"))
        _run_with_progress(job, self.name, progress)
        messages = job.messages()
        result = job.result()  # raises SuperoptimizeError if the pass failed
        report = []
        for severity, text in messages:
            if severity == "warning":
                warnings.warn(SuperoptimizeWarning(text), stacklevel=2)
            if severity in ("remark", "warning"):
                report.append(text)
            if verbose and severity != "warning":
                print(f"mirage: {severity}: {text}", file=sys.stderr)
        optimized = KernelGraph(_graph=result)
        optimized.superoptimize_report = "\n".join(report) or None
        return optimized

    # -- running ----------------------------------------------------------------

    def __call__(self, inputs=None, *more_inputs, device=None):
        """Runs the graph and returns the list of its outputs, in order.

        ``graph(inputs=[q, k, v])``, ``graph([q, k, v])`` or
        ``graph(q, k, v)``: one value per input, in order, with the input's
        shape and dtype -- all torch tensors or all NumPy arrays.

        * torch tensors on a CUDA device: the graph is compiled to PTX for
          that GPU (once per graph and device) and its kernels run through
          the Mirage GPU runtime on the current stream; outputs are new
          CUDA tensors. Needs an NVIDIA driver and a GPU of compute
          capability 8.0 or newer (:class:`CudaError` otherwise).
        * torch tensors on the CPU, or NumPy arrays: the reference
          interpreter evaluates the graph on the CPU (f32 arithmetic, each
          op's result rounded to its dtype as a kernel stores it). It is a
          correctness path, not a fast one. Outputs are CPU tensors, or
          NumPy arrays (bfloat16 outputs as float32 arrays, since NumPy has
          no bfloat16).
        * NumPy arrays with ``device="cuda"`` (or ``"cuda:N"``): run on the
          GPU through the runtime, copying in and out.

        dtypes: float16 tensors for ``mi.float16`` inputs, float32 for
        ``mi.float32``, ``torch.bfloat16`` (or float32 NumPy arrays, rounded)
        for ``mi.bfloat16``.

        Raises :class:`InputTypeError` for a wrong count, kind or dtype,
        :class:`ShapeError` for a wrong shape, :class:`DeviceError` for
        inputs on different devices, :class:`GraphError` if the graph has no
        outputs, :class:`CudaError` when CUDA is needed and unavailable.
        """
        if more_inputs:
            values = [inputs, *more_inputs]
        elif inputs is None:
            values = []
        elif isinstance(inputs, (list, tuple)):
            values = list(inputs)
        else:
            values = [inputs]
        return _execute.run(self, values, device)

    def export_kernel_package(self, directory, chip="sm_90a"):
        """Compiles the graph to PTX for ``chip`` (``"sm_90a"`` or
        ``"sm_80"``) and writes its kernel package to ``directory``
        (``manifest.json``, ``kernels.ptx``, and ``kernels.cubin`` when
        ``ptxas`` is found): what ``mirage-runtime-run`` and the C/C++
        runtime load on a GPU host without MLIR (docs/kernel-package.md).
        Works without a GPU. Raises :class:`ExecutionError` if the lowering
        fails."""
        directory = os.fspath(directory)
        self._g.compile_package(directory, str(chip))
        return directory

    def _cuda_program(self, ordinal):
        """The graph compiled and loaded on CUDA device ``ordinal``."""
        with self._cuda_lock:
            program = self._cuda.get(ordinal)
            if program is None:
                if self._package_dir is None:
                    self._package_dir = tempfile.mkdtemp(prefix="mirage-")
                    weakref.finalize(self, shutil.rmtree, self._package_dir,
                                     True)
                directory = os.path.join(self._package_dir, f"cuda{ordinal}")
                program = _mirage.CudaProgram(self._g, ordinal, directory)
                self._cuda[ordinal] = program
            return program


def new_kernel_graph(name="kernel_graph"):
    """A new, empty :class:`KernelGraph` (its function is ``@name`` in
    ``to_mlir()``)."""
    return KernelGraph(str(name))


def from_mlir(text, entry=None):
    """Reads a kernel graph from MLIR text (what ``to_mlir()``,
    ``mirage-opt`` or a benchmark file holds).

    Takes the function ``entry``, or the only function with a body. Its
    arguments become the graph's inputs and its results the outputs; further
    ops and outputs may be added. Raises :class:`MLIRParseError` if the text
    does not parse or verify (with line and column), names no such
    function, or its types are not kernel tensors.
    """
    if not isinstance(text, str):
        raise TypeError(f"from_mlir takes MLIR text (a str), got {type(text).__name__}")
    return KernelGraph(_graph=_mirage.Graph.from_mlir(text, entry or ""))


def _format_seconds(seconds):
    return f"{seconds * 1e6:.1f} us" if seconds else "-"


def _run_with_progress(job, name, progress):
    """Runs a superoptimizer job, showing progress on stderr and turning
    Ctrl-C into a cancellation."""
    stream = sys.stderr
    tty = hasattr(stream, "isatty") and stream.isatty()
    shown = [False]
    last = [0.0]

    def show(final=False):
        p = job.progress()
        elapsed = p["elapsed"]
        if progress is False:
            return
        if progress is None and elapsed < 2.0 and not shown[0]:
            return
        if not tty and not final and shown[0] and elapsed - last[0] < 5.0:
            return
        line = (f"mirage: superoptimizing @{name}: {p['stage']}, "
                f"{elapsed:.1f} s, {p['explored']:,} candidates "
                f"({p['pruned']:,} pruned), best {_format_seconds(p['best_seconds'])}"
                f" (input {_format_seconds(p['input_seconds'])})")
        if tty:
            stream.write("\r\x1b[K" + line)
        else:
            stream.write(line + "\n")
        stream.flush()
        shown[0] = True
        last[0] = elapsed

    job.start()
    try:
        try:
            while not job.wait(0.1):
                show()
        except KeyboardInterrupt:
            # The first Ctrl-C stops the search; the best μGraph found so
            # far is still verified and returned.
            job.cancel()
            message = ("mirage: interrupted: verifying the best μGraph found so "
                       "far (Ctrl-C again to abort)")
            stream.write(("\n" if tty and shown[0] else "") + message + "\n")
            stream.flush()
            shown[0] = False
            try:
                while not job.wait(0.1):
                    pass
            except KeyboardInterrupt:
                # The second stops the verification too, and raises.
                job.abort()
                stream.write("mirage: aborted\n")
                stream.flush()
                raise
    finally:
        # Whatever happened, the C++ thread has ended when this returns or
        # raises: the stop requests above are checked often, so this is
        # prompt, and nothing keeps running in the background.
        if not job.wait(0):
            job.abort()
        job.join()
        # progress=True always ends with a line, even for a search that
        # finished before the first poll.
        if shown[0] or progress is True:
            show(final=True)
            if tty:
                stream.write("\n")
                stream.flush()
