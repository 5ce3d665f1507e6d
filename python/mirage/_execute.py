"""Running a kernel graph on NumPy arrays or torch tensors (see
``KernelGraph.__call__``)."""

import sys

import numpy as np

from .dtypes import bfloat16, float16, float32
from .errors import DeviceError, InputTypeError, ShapeError


def _torch():
    """The torch module if the caller could have passed torch tensors (it is
    imported), else None: mirage never imports torch itself."""
    return sys.modules.get("torch")


def _is_torch_tensor(value):
    torch = _torch()
    return torch is not None and isinstance(value, torch.Tensor)


_TORCH_DTYPES = {float16: "float16", bfloat16: "bfloat16", float32: "float32"}


def _torch_dtype(dtype):
    return getattr(_torch(), _TORCH_DTYPES[dtype])


def _parse_device(device):
    """None, ("cpu", None) or ("cuda", ordinal)."""
    if device is None:
        return None
    text = str(device)
    if text == "cpu":
        return ("cpu", None)
    if text == "cuda":
        return ("cuda", 0)
    if text.startswith("cuda:") and text[5:].isdigit():
        return ("cuda", int(text[5:]))
    raise DeviceError(f"unknown device {device!r}; expected 'cpu', 'cuda' or "
                      "'cuda:N'")


def _check_signature(graph, values):
    """The graph's input specs (shape, dtype), after checking the count."""
    specs = [(t.shape, t.dtype) for t in graph.inputs]
    if len(values) != len(specs):
        raise InputTypeError(
            f"@{graph.name} takes {len(specs)} input(s) "
            f"({', '.join(_spec(s, d) for s, d in specs) or 'none'}), got "
            f"{len(values)}")
    return specs


def _spec(shape, dtype):
    return f"{'x'.join(map(str, shape))} {dtype.name}"


def _check_shape(index, value_shape, shape):
    if tuple(value_shape) != tuple(shape):
        raise ShapeError(f"input {index} has shape {tuple(value_shape)}, but "
                         f"the graph's input {index} is {tuple(shape)}")


def _numpy_inputs(values, specs):
    """float32 C-contiguous copies of NumPy inputs, checked."""
    arrays = []
    for i, (value, (shape, dtype)) in enumerate(zip(values, specs)):
        if not isinstance(value, np.ndarray):
            raise InputTypeError(
                f"input {i} is a {type(value).__name__}; pass all NumPy arrays "
                "or all torch tensors")
        expected = {float16: ("float16",), float32: ("float32",),
                    bfloat16: ("float32", "bfloat16")}[dtype]
        if value.dtype.name not in expected:
            raise InputTypeError(
                f"input {i} has dtype {value.dtype.name}, but the graph's input "
                f"{i} is {dtype.name}"
                + (" (NumPy has no bfloat16: pass float32 values, which are "
                   "rounded)" if dtype is bfloat16 else "")
                + f"; convert it with .astype(np.{expected[0]})")
        _check_shape(i, value.shape, shape)
        arrays.append(np.ascontiguousarray(value, dtype=np.float32))
    return arrays


def _numpy_outputs(graph, arrays):
    out = []
    for tensor, array in zip(graph.outputs, arrays):
        out.append(array.astype(np.float16) if tensor.dtype is float16
                   else array)
    return out


def _torch_inputs(values, specs):
    """(device, tensors) of checked torch inputs."""
    torch = _torch()
    devices = set()
    for i, (value, (shape, dtype)) in enumerate(zip(values, specs)):
        if not _is_torch_tensor(value):
            raise InputTypeError(
                f"input {i} is a {type(value).__name__}; pass all NumPy arrays "
                "or all torch tensors")
        if value.dtype != _torch_dtype(dtype):
            raise InputTypeError(
                f"input {i} has dtype {value.dtype}, but the graph's input {i} "
                f"is {dtype.name}; convert it with .to(torch.{dtype.name})")
        _check_shape(i, value.shape, shape)
        devices.add(value.device)
    if len(devices) > 1:
        raise DeviceError("the inputs are on different devices: " + ", ".join(
            sorted(str(d) for d in devices)))
    device = devices.pop() if devices else torch.device("cpu")
    return device, [v.detach() for v in values]


def run(graph, values, device):
    """Runs `graph` on `values` (see KernelGraph.__call__)."""
    graph._g.check_runnable()
    specs = _check_signature(graph, values)
    wanted = _parse_device(device)
    if values and _is_torch_tensor(values[0]):
        return _run_torch(graph, values, specs, wanted)
    arrays = _numpy_inputs(values, specs)
    if wanted is not None and wanted[0] == "cuda":
        program = graph._cuda_program(wanted[1])
        return _numpy_outputs(graph, program.run_host(graph._g, arrays))
    return _numpy_outputs(graph, graph._g.run_reference(arrays))


def _run_torch(graph, values, specs, wanted):
    torch = _torch()
    where, tensors = _torch_inputs(values, specs)
    if wanted is not None and (wanted[0] != where.type or (
            wanted[0] == "cuda" and wanted[1] != (where.index or 0))):
        raise DeviceError(f"the inputs are on {where} but device={wanted[0]}"
                          + (f":{wanted[1]}" if wanted[1] is not None else "")
                          + " was asked for; move them with .to(device)")
    out_specs = [(t.shape, t.dtype) for t in graph.outputs]
    if where.type == "cuda":
        ordinal = where.index if where.index is not None else 0
        program = graph._cuda_program(ordinal)
        inputs = [t.contiguous() for t in tensors]
        outputs = [torch.empty(shape, dtype=_torch_dtype(dtype), device=where)
                   for shape, dtype in out_specs]
        stream = torch.cuda.current_stream(where).cuda_stream
        program.run([t.data_ptr() for t in inputs],
                    [t.data_ptr() for t in outputs], stream)
        return outputs
    if where.type != "cpu":
        raise DeviceError(f"the inputs are on {where}; mirage runs CPU "
                          "tensors (reference interpreter) and CUDA tensors")
    arrays = [np.ascontiguousarray(t.to(torch.float32).numpy())
              for t in tensors]
    results = graph._g.run_reference(arrays)
    return [torch.from_numpy(np.asarray(r)).to(_torch_dtype(dtype))
            for r, (shape, dtype) in zip(results, out_specs)]
