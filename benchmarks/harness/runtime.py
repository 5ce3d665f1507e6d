"""ctypes bindings of the Mirage runtime's C API (runtime/include/mirage-runtime/mirage_runtime.h).

The runtime (libMirageRuntime.so, built from runtime/ with CMake; no
LLVM/MLIR) loads a kernel package and launches its kernels on device
pointers, on a stream: here PyTorch's tensors and current stream, so a
package runs on exactly the memory and stream the baselines use.
"""

import ctypes
import os

SUCCESS = 0
STATUS_NAMES = {0: "MIRAGE_RT_SUCCESS", 1: "MIRAGE_RT_ERROR_INVALID_ARGUMENT",
                2: "MIRAGE_RT_ERROR_NO_DRIVER", 3: "MIRAGE_RT_ERROR_NO_DEVICE",
                4: "MIRAGE_RT_ERROR_INVALID_PACKAGE", 5: "MIRAGE_RT_ERROR_CUDA"}
DTYPE_NAMES = {0: "f16", 1: "bf16", 2: "f32"}


class MirageRtError(Exception):
    """A runtime call failed: `status` (a MirageRtStatus) and the runtime's message."""

    def __init__(self, status, message):
        super().__init__(f"{STATUS_NAMES.get(status, status)}: {message}")
        self.status = status


class _TensorDesc(ctypes.Structure):
    _fields_ = [("rank", ctypes.c_int32), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("dtype", ctypes.c_int), ("numElements", ctypes.c_int64),
                ("sizeInBytes", ctypes.c_int64)]


def candidate_paths(root):
    """Where a build of runtime/ puts the library, most specific first."""
    env = os.environ.get("MIRAGE_RUNTIME_LIB")
    paths = [env] if env else []
    for build in ("build/rt", "build-rt", "build"):
        paths.append(os.path.join(root, build, "lib", "libMirageRuntime.so"))
    return paths


def find_library(root):
    for path in candidate_paths(root):
        if path and os.path.exists(path):
            return path
    return None


class Runtime:
    """The loaded library. Every method raises MirageRtError on failure."""

    def __init__(self, path):
        self.path = path
        lib = self.lib = ctypes.CDLL(path)
        P, I, C = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
        U64 = ctypes.c_ulonglong
        sig = {
            "mirageRtGetLastError": (C, []),
            "mirageRtStatusName": (C, [I]),
            "mirageRtGetDeviceCount": (I, [ctypes.POINTER(I)]),
            "mirageRtDeviceCreate": (I, [I, ctypes.POINTER(P)]),
            "mirageRtDeviceDestroy": (None, [P]),
            "mirageRtDeviceGetName": (C, [P]),
            "mirageRtDeviceGetComputeCapability": (None, [P, ctypes.POINTER(I), ctypes.POINTER(I)]),
            "mirageRtDeviceSynchronize": (I, [P]),
            "mirageRtPackageLoad": (I, [P, C, ctypes.POINTER(P)]),
            "mirageRtPackageDestroy": (None, [P]),
            "mirageRtPackageGetFunctionName": (C, [P]),
            "mirageRtPackageGetChip": (C, [P]),
            "mirageRtPackageGetBinaryKind": (C, [P]),
            "mirageRtPackageGetNumInputs": (I, [P]),
            "mirageRtPackageGetNumOutputs": (I, [P]),
            "mirageRtPackageGetNumKernels": (I, [P]),
            "mirageRtPackageGetInput": (I, [P, I, ctypes.POINTER(_TensorDesc)]),
            "mirageRtPackageGetOutput": (I, [P, I, ctypes.POINTER(_TensorDesc)]),
            "mirageRtPackageRun": (I, [P, ctypes.POINTER(U64), I, ctypes.POINTER(U64), I, P]),
            "mirageRtPackageTime": (I, [P, ctypes.POINTER(U64), I, ctypes.POINTER(U64), I, P,
                                        I, I, ctypes.POINTER(ctypes.c_float)]),
        }
        for name, (restype, argtypes) in sig.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes

    def check(self, status):
        if status != SUCCESS:
            raise MirageRtError(status, self.lib.mirageRtGetLastError().decode())

    def device_count(self):
        count = ctypes.c_int(0)
        self.check(self.lib.mirageRtGetDeviceCount(ctypes.byref(count)))
        return count.value

    def open_device(self, ordinal=0):
        return Device(self, ordinal)


class Device:
    def __init__(self, runtime, ordinal):
        self.runtime = runtime
        self.handle = ctypes.c_void_p()
        runtime.check(runtime.lib.mirageRtDeviceCreate(ordinal, ctypes.byref(self.handle)))

    @property
    def name(self):
        return self.runtime.lib.mirageRtDeviceGetName(self.handle).decode()

    @property
    def compute_capability(self):
        major, minor = ctypes.c_int(), ctypes.c_int()
        self.runtime.lib.mirageRtDeviceGetComputeCapability(
            self.handle, ctypes.byref(major), ctypes.byref(minor))
        return major.value, minor.value

    def synchronize(self):
        self.runtime.check(self.runtime.lib.mirageRtDeviceSynchronize(self.handle))

    def load(self, directory):
        return Package(self, directory)

    def close(self):
        if self.handle:
            self.runtime.lib.mirageRtDeviceDestroy(self.handle)
            self.handle = ctypes.c_void_p()


class Package:
    """A loaded kernel package; inputs and outputs as (shape, dtype) pairs."""

    def __init__(self, device, directory):
        self.device = device
        lib = device.runtime.lib
        self.lib = lib
        self.handle = ctypes.c_void_p()
        device.runtime.check(lib.mirageRtPackageLoad(
            device.handle, os.fsencode(directory), ctypes.byref(self.handle)))
        self.function = lib.mirageRtPackageGetFunctionName(self.handle).decode()
        self.chip = lib.mirageRtPackageGetChip(self.handle).decode()
        self.binary_kind = lib.mirageRtPackageGetBinaryKind(self.handle).decode()
        self.num_kernels = lib.mirageRtPackageGetNumKernels(self.handle)
        self.inputs = [self._desc(lib.mirageRtPackageGetInput, i)
                       for i in range(lib.mirageRtPackageGetNumInputs(self.handle))]
        self.outputs = [self._desc(lib.mirageRtPackageGetOutput, i)
                        for i in range(lib.mirageRtPackageGetNumOutputs(self.handle))]
        self._in = (ctypes.c_ulonglong * len(self.inputs))()
        self._out = (ctypes.c_ulonglong * len(self.outputs))()

    def _desc(self, getter, index):
        desc = _TensorDesc()
        self.device.runtime.check(getter(self.handle, index, ctypes.byref(desc)))
        return tuple(desc.shape[d] for d in range(desc.rank)), DTYPE_NAMES[desc.dtype]

    def bind(self, input_ptrs, output_ptrs):
        """Fixes the device addresses later run() calls use (so that a timed
        run does no Python work beyond one foreign call)."""
        if len(input_ptrs) != len(self.inputs) or len(output_ptrs) != len(self.outputs):
            raise ValueError(f"package {self.function} takes {len(self.inputs)} inputs and "
                             f"{len(self.outputs)} outputs")
        for i, p in enumerate(input_ptrs):
            self._in[i] = p
        for i, p in enumerate(output_ptrs):
            self._out[i] = p

    def run(self, stream=None):
        """Enqueues the kernels on `stream` (a CUstream as an int; None or 0:
        the legacy default stream) with the bound addresses."""
        status = self.lib.mirageRtPackageRun(self.handle, self._in, len(self.inputs),
                                             self._out, len(self.outputs),
                                             ctypes.c_void_p(stream or None))
        if status != SUCCESS:
            self.device.runtime.check(status)

    def time(self, stream=None, warmup=10, repeat=100):
        """The runtime's own timing (no L2 flush): milliseconds per run."""
        out = (ctypes.c_float * repeat)()
        self.device.runtime.check(self.lib.mirageRtPackageTime(
            self.handle, self._in, len(self.inputs), self._out, len(self.outputs),
            ctypes.c_void_p(stream or None), warmup, repeat, out))
        return list(out)

    def close(self):
        if self.handle:
            self.lib.mirageRtPackageDestroy(self.handle)
            self.handle = ctypes.c_void_p()
