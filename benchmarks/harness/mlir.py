"""What the harness needs from a benchmark program's text, without MLIR.

The benchmark programs (benchmarks/*.mlir) are kernel graphs in the `mirage`
dialect's custom syntax: one ``func.func`` whose arguments and results are
static ``tensor<...>`` types. This module reads the function's name, its
arguments (shape, dtype, ``mirage.input_range``) and results, and every
``mirage.matmul`` with its operand and result types. That is all the
harness counts FLOPs and bytes from; anything else in the text is ignored.
"""

import dataclasses
import math
import re

#: Bytes per element of each element type the dialect allows.
DTYPE_BYTES = {"f16": 2, "bf16": 2, "f32": 4}


@dataclasses.dataclass(frozen=True)
class TensorType:
    """A static ranked tensor: shape in elements, dtype as MLIR spells it."""

    shape: tuple
    dtype: str

    @property
    def num_elements(self):
        return math.prod(self.shape)

    @property
    def num_bytes(self):
        return self.num_elements * DTYPE_BYTES[self.dtype]

    def __str__(self):
        return "tensor<" + "".join(f"{d}x" for d in self.shape) + self.dtype + ">"


@dataclasses.dataclass(frozen=True)
class Argument:
    name: str
    type: TensorType
    #: (low, high) of the random test values, from ``mirage.input_range``,
    #: or None for the default [-0.5, 0.5).
    input_range: tuple = None


@dataclasses.dataclass(frozen=True)
class Matmul:
    lhs: TensorType
    rhs: TensorType
    result: TensorType

    @property
    def flops(self):
        """2·M·N·K per batch element: one multiply and one add per term."""
        return 2 * self.result.num_elements * self.lhs.shape[-1]


@dataclasses.dataclass(frozen=True)
class Program:
    name: str
    arguments: tuple
    results: tuple
    matmuls: tuple


_TENSOR = r"tensor<([0-9x]*(?:f16|bf16|f32))>"
_FUNC = re.compile(r"func\.func\s+@(\w+)\s*\((.*?)\)\s*->\s*(.*?)\{", re.S)
_ARG = re.compile(r"%\w+\s*:\s*" + _TENSOR + r"(\s*\{[^}]*\})?")
_RANGE = re.compile(r"mirage\.input_range\s*=\s*\[\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\]")
_MATMUL = re.compile(
    r"mirage\.matmul\s+%\w+\s*,\s*%\w+\s*:\s*\(\s*" + _TENSOR + r"\s*,\s*"
    + _TENSOR + r"\s*\)\s*->\s*" + _TENSOR)


def parse_tensor_type(text):
    """'2x4096xf16' (or 'tensor<2x4096xf16>') -> TensorType((2, 4096), 'f16')."""
    text = text.strip()
    if text.startswith("tensor<"):
        text = text[len("tensor<"):-1]
    *dims, dtype = text.split("x")
    if dtype not in DTYPE_BYTES:
        raise ValueError(f"unsupported element type in tensor<{text}>")
    return TensorType(tuple(int(d) for d in dims), dtype)


def _strip_comments(text):
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def parse_program(text):
    """Parses the (only) function with a body in `text`. Raises ValueError
    when there is none or more than one."""
    text = _strip_comments(text)
    funcs = _FUNC.findall(text)
    if len(funcs) != 1:
        raise ValueError(f"expected one func.func with tensor arguments, found {len(funcs)}")
    name, args_text, results_text = funcs[0]
    arguments = []
    for match in _ARG.finditer(args_text):
        attrs = match.group(2) or ""
        found = _RANGE.search(attrs)
        input_range = (float(found.group(1)), float(found.group(2))) if found else None
        arguments.append(Argument(match.group(0).split(":")[0].strip().lstrip("%"),
                                  parse_tensor_type(match.group(1)), input_range))
    results = [parse_tensor_type(t) for t in re.findall(_TENSOR, results_text)]
    matmuls = [Matmul(*(parse_tensor_type(t) for t in m)) for m in _MATMUL.findall(text)]
    return Program(name, tuple(arguments), tuple(results), tuple(matmuls))


def load_program(path):
    with open(path, encoding="utf-8") as f:
        return parse_program(f.read())
