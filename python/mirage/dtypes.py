"""Element types of kernel-graph tensors: ``mi.float16``, ``mi.bfloat16``,
``mi.float32``."""

import numpy as np


class DType:
    """An element type. ``name`` is the NumPy/PyTorch spelling
    (``"float16"``), ``mlir`` the MLIR one (``"f16"``), ``itemsize`` its size
    in bytes."""

    __slots__ = ("name", "mlir", "itemsize")

    def __init__(self, name, mlir, itemsize):
        self.name = name
        self.mlir = mlir
        self.itemsize = itemsize

    def __repr__(self):
        return "mi." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))

    @property
    def numpy_dtype(self):
        """The NumPy dtype that holds this type's values: float16 for
        float16, float32 for float32 and for bfloat16 (NumPy has no
        bfloat16)."""
        return np.dtype(np.float16) if self is float16 else np.dtype(np.float32)


float16 = DType("float16", "f16", 2)
bfloat16 = DType("bfloat16", "bf16", 2)
float32 = DType("float32", "f32", 4)

_ALL = (float16, bfloat16, float32)
_ALIASES = {
    "float16": float16, "f16": float16, "half": float16, "fp16": float16,
    "bfloat16": bfloat16, "bf16": bfloat16,
    "float32": float32, "f32": float32, "float": float32, "fp32": float32,
}


def _by_name(name):
    return _ALIASES[name]


def as_dtype(value):
    """Converts ``value`` to a :class:`DType`.

    Accepts a DType, a name (``"float16"``, ``"f16"``, ``"bf16"``...), a
    NumPy dtype or type (float16, float32) or a torch dtype
    (``torch.float16``, ``torch.bfloat16``, ``torch.float32``).

    Raises ``TypeError`` for anything else (float64, integers...): kernel
    graphs hold f16, bf16 and f32 tensors only.
    """
    if isinstance(value, DType):
        return value
    if isinstance(value, str):
        key = value.lower()
    else:
        text = str(value)
        if text.startswith("torch."):
            key = text[len("torch."):]
        else:
            try:
                key = np.dtype(value).name
            except TypeError:
                key = None
    if key in _ALIASES:
        return _ALIASES[key]
    raise TypeError(
        f"unsupported dtype {value!r}: kernel graphs hold mi.float16, "
        "mi.bfloat16 or mi.float32 tensors")


def from_mlir_name(name):
    return {"f16": float16, "bf16": bfloat16, "f32": float32}[name]
