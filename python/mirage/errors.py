"""Exceptions raised by the mirage package.

Every exception derives from :class:`MirageError` and from the built-in
exception that fits (``ValueError``, ``TypeError`` or ``RuntimeError``), so
code may catch either.
"""


class MirageError(Exception):
    """Base class of every error the mirage package raises."""


class ShapeError(MirageError, ValueError):
    """An op's operands break a shape or dtype rule of the dialect.

    Raised by the graph-building call that caused it (``graph.matmul(A, B)``
    with mismatched contraction dims, say), with the verifier's message --
    the one ``mirage-opt`` prints -- and the operands' types, e.g.::

        mirage.matmul on (tensor<2x3xf16>, tensor<4x5xf16>): contraction dims
        differ: lhs is 2x3 (m x k) but rhs is 4x5 (k x n)

    Also raised when a run's input has the wrong shape.
    """


class GraphError(MirageError, ValueError):
    """A graph was used in a way it does not allow: a tensor of another
    graph, an output marked twice, running a graph with no outputs, a bad
    option value."""


class MLIRParseError(MirageError, ValueError):
    """``mi.from_mlir`` got text that does not parse or verify, or that holds
    no suitable kernel graph. The message gives line and column."""


class SuperoptimizeError(MirageError, RuntimeError):
    """The superoptimizer failed, e.g. on an op it does not search
    (``reduce_max``, ``concat``) or an unknown target."""


class SuperoptimizeWarning(UserWarning):
    """The superoptimizer kept the input (the time budget ran out, or no
    candidate passed verification); the graph still runs."""


class ExecutionError(MirageError, RuntimeError):
    """Running a graph in the reference interpreter, or compiling it to a
    kernel package, failed."""


class InputTypeError(MirageError, TypeError):
    """A run's inputs are of the wrong kind or dtype: not all NumPy arrays or
    all torch tensors, or a dtype other than the graph input's."""


class DeviceError(MirageError, ValueError):
    """A run's inputs are on different devices, or on a device other than
    the one asked for."""


class CudaError(MirageError, RuntimeError):
    """A CUDA run is impossible or failed: no NVIDIA driver (libcuda.so.1), no
    device, a GPU older than compute capability 8.0, a package built without
    the GPU runtime, or a CUDA error. The message is the GPU runtime's."""


class GraphvizError(MirageError, RuntimeError):
    """``visualize`` needs Graphviz's ``dot`` to write SVG, PNG or PDF and
    could not find or run it."""
