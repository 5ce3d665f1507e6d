/*===- mirage_runtime.h - Mirage GPU runtime, C API ---------------*- C -*-===*\
|*                                                                            *|
|* Part of the Mirage for MLIR project, under the Apache License v2.0 with    *|
|* LLVM Exceptions. See LICENSE for license information.                      *|
|* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception                    *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* Loads a kernel package (docs/kernel-package.md: PTX and/or cubin plus a    *|
|* launch manifest) and runs it through the CUDA driver API. libcuda.so.1 is  *|
|* opened at run time, so this library loads on a host without a GPU and      *|
|* reports a clear error there. No CUDA header is needed to use this one.     *|
|*                                                                            *|
|* Errors: every function that can fail returns a MirageRtStatus; on failure  *|
|* mirageRtGetLastError() says what was being done and, for a CUDA failure,   *|
|* the CUDA error's name and description. Nothing aborts the process.         *|
|*                                                                            *|
|* Threads: devices and packages may be used from any thread. The runs of     *|
|* one package share its intermediate buffers, so they must not overlap: run  *|
|* one package from one thread at a time and on one stream (or synchronize    *|
|* between streams); load the package twice to run it concurrently.           *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef MIRAGE_RUNTIME_MIRAGE_RUNTIME_H
#define MIRAGE_RUNTIME_MIRAGE_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define MIRAGE_RT_EXPORT __attribute__((visibility("default")))
#else
#define MIRAGE_RT_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*===-- Status, dtypes and handles ----------------------------------------===*/

typedef enum MirageRtStatus {
  MIRAGE_RT_SUCCESS = 0,
  /** A null handle or pointer, an index out of range, a count that does not
      match the package. */
  MIRAGE_RT_ERROR_INVALID_ARGUMENT = 1,
  /** libcuda.so.1 is missing (no NVIDIA driver) or lacks an entry point the
      runtime needs (the driver is too old). */
  MIRAGE_RT_ERROR_NO_DRIVER = 2,
  /** No CUDA device, or the device ordinal is out of range. */
  MIRAGE_RT_ERROR_NO_DEVICE = 3,
  /** The package directory, its manifest or its kernel files are missing or
      malformed. */
  MIRAGE_RT_ERROR_INVALID_PACKAGE = 4,
  /** A CUDA driver call failed (out of memory, PTX JIT failure, launch
      failure, a kernel fault reported when synchronizing...). */
  MIRAGE_RT_ERROR_CUDA = 5,
} MirageRtStatus;

/** Element types, as the manifest spells them: "f16" (IEEE binary16), "bf16"
    (bfloat16), "f32". */
typedef enum MirageRtDType {
  MIRAGE_RT_F16 = 0,
  MIRAGE_RT_BF16 = 1,
  MIRAGE_RT_F32 = 2,
} MirageRtDType;

/** A CUDA device with its primary context retained. */
typedef struct MirageRtDeviceImpl *MirageRtDevice;
/** A loaded kernel package. */
typedef struct MirageRtPackageImpl *MirageRtPackage;
/** A device address; the same type as the driver API's CUdeviceptr. */
typedef unsigned long long MirageRtDevicePtr;
/** A CUDA stream; the same type as the driver API's CUstream (and the value
    of PyTorch's torch.cuda.Stream.cuda_stream). NULL is the legacy default
    stream. */
typedef struct CUstream_st *MirageRtStream;

/** A dense row-major tensor of the package: an input or an output. */
typedef struct MirageRtTensorDesc {
  /** Number of dimensions (0 for a scalar). */
  int32_t rank;
  /** `rank` sizes, in elements; owned by the package and valid as long as
      it is. */
  const int64_t *shape;
  MirageRtDType dtype;
  /** Product of the shape (1 for a scalar). */
  int64_t numElements;
  /** numElements times the dtype's size. */
  int64_t sizeInBytes;
} MirageRtTensorDesc;

/** The message of the last failure of a status-returning call on this
    thread, or "" if the last such call succeeded. Valid until the next call
    on this thread. */
MIRAGE_RT_EXPORT const char *mirageRtGetLastError(void);

/** "MIRAGE_RT_SUCCESS", "MIRAGE_RT_ERROR_CUDA"... */
MIRAGE_RT_EXPORT const char *mirageRtStatusName(MirageRtStatus status);

/** "f16", "bf16", "f32" ("?" for an invalid value). */
MIRAGE_RT_EXPORT const char *mirageRtDTypeName(MirageRtDType dtype);

/** Bytes per element: 2, 2, 4 (0 for an invalid value). */
MIRAGE_RT_EXPORT size_t mirageRtDTypeSize(MirageRtDType dtype);

/*===-- Devices -----------------------------------------------------------===*/

/** Loads the driver, initializes it and counts the CUDA devices. No device
    is not an error: `*count` is 0. Fails with MIRAGE_RT_ERROR_NO_DRIVER
    without a driver. */
MIRAGE_RT_EXPORT MirageRtStatus mirageRtGetDeviceCount(int *count);

/** Opens device `ordinal` (0-based, as cuDeviceGet numbers them): loads the
    driver, calls cuInit and retains the device's primary context (the one
    the CUDA runtime and PyTorch use). Errors: NO_DRIVER, NO_DEVICE (none, or
    `ordinal` out of range, with the number found), CUDA. */
MIRAGE_RT_EXPORT MirageRtStatus mirageRtDeviceCreate(int ordinal,
                                                     MirageRtDevice *device);

/** Releases the handle. The primary context is released once the device
    and every package loaded on it are destroyed. NULL is a no-op. */
MIRAGE_RT_EXPORT void mirageRtDeviceDestroy(MirageRtDevice device);

/** The device's name, e.g. "NVIDIA H100 80GB HBM3"; valid as long as the
    handle. */
MIRAGE_RT_EXPORT const char *mirageRtDeviceGetName(MirageRtDevice device);

/** The compute capability, e.g. 9 and 0 for an H100 (sm_90). */
MIRAGE_RT_EXPORT void mirageRtDeviceGetComputeCapability(MirageRtDevice device,
                                                         int *major,
                                                         int *minor);

/** Allocates `bytes` (> 0) of device memory in the device's primary
    context. */
MIRAGE_RT_EXPORT MirageRtStatus mirageRtDeviceAlloc(MirageRtDevice device,
                                                    size_t bytes,
                                                    MirageRtDevicePtr *ptr);

/** Frees memory from mirageRtDeviceAlloc; 0 is a no-op. */
MIRAGE_RT_EXPORT MirageRtStatus mirageRtDeviceFree(MirageRtDevice device,
                                                   MirageRtDevicePtr ptr);

/** Copies `bytes` from host to device memory; synchronous. */
MIRAGE_RT_EXPORT MirageRtStatus mirageRtCopyHostToDevice(MirageRtDevice device,
                                                         MirageRtDevicePtr dst,
                                                         const void *src,
                                                         size_t bytes);

/** Copies `bytes` from device to host memory; waits for the work queued on
    the legacy default stream first, as cuMemcpyDtoH does. */
MIRAGE_RT_EXPORT MirageRtStatus mirageRtCopyDeviceToHost(MirageRtDevice device,
                                                         void *dst,
                                                         MirageRtDevicePtr src,
                                                         size_t bytes);

/** Waits for all work on the device's primary context; reports errors of
    earlier asynchronous launches (CUDA_ERROR_ILLEGAL_ADDRESS...). */
MIRAGE_RT_EXPORT MirageRtStatus
mirageRtDeviceSynchronize(MirageRtDevice device);

/*===-- Packages ----------------------------------------------------------===*/

/** Loads the kernel package in `directory` onto `device`: reads and checks
    manifest.json, loads the cubin when the manifest names one whose chip the
    device runs (sm_90a on compute capability 9.0 exactly; sm_80 on 8.x, x >=
    0), else JIT-compiles the PTX, finds every kernel and raises its dynamic
    shared memory limit where it needs more than 48 KiB. Intermediate buffers
    are allocated at the first run. Errors: INVALID_PACKAGE (unreadable
    files; a malformed manifest, with "manifest.json:LINE:COLUMN: key: what
    is wrong"; a kernel needing more shared memory than the device allows),
    CUDA (the JIT log is included when the PTX does not compile; a kernel
    missing from the module). */
MIRAGE_RT_EXPORT MirageRtStatus mirageRtPackageLoad(MirageRtDevice device,
                                                    const char *directory,
                                                    MirageRtPackage *package);

/** Unloads the kernels and frees the package's device memory. NULL is a
    no-op. */
MIRAGE_RT_EXPORT void mirageRtPackageDestroy(MirageRtPackage package);

/** The compiled function's name (manifest "function"). */
MIRAGE_RT_EXPORT const char *
mirageRtPackageGetFunctionName(MirageRtPackage package);

/** The chip the kernels were compiled for (manifest "chip"), e.g. "sm_90a". */
MIRAGE_RT_EXPORT const char *mirageRtPackageGetChip(MirageRtPackage package);

/** What was loaded: "cubin" or "ptx" (JIT-compiled by the driver). */
MIRAGE_RT_EXPORT const char *
mirageRtPackageGetBinaryKind(MirageRtPackage package);

MIRAGE_RT_EXPORT int mirageRtPackageGetNumInputs(MirageRtPackage package);
MIRAGE_RT_EXPORT int mirageRtPackageGetNumOutputs(MirageRtPackage package);
/** Number of kernel launches per run. */
MIRAGE_RT_EXPORT int mirageRtPackageGetNumKernels(MirageRtPackage package);

/** Describes input / output `index`. Errors: INVALID_ARGUMENT. */
MIRAGE_RT_EXPORT MirageRtStatus mirageRtPackageGetInput(
    MirageRtPackage package, int index, MirageRtTensorDesc *desc);
MIRAGE_RT_EXPORT MirageRtStatus mirageRtPackageGetOutput(
    MirageRtPackage package, int index, MirageRtTensorDesc *desc);

/** The range [*low, *high) of random test values for input `index`: the
    manifest's optional "input_range" (an input that must stay positive, a
    weight scaled down...), else [-0.5, 0.5). Errors: INVALID_ARGUMENT. */
MIRAGE_RT_EXPORT MirageRtStatus mirageRtPackageGetInputRange(
    MirageRtPackage package, int index, double *low, double *high);

/** Enqueues the package's kernels on `stream` (NULL: the legacy default
    stream) and returns without waiting. `inputs` and `outputs` hold one
    device address per input and output, in order, each of a buffer of at
    least the tensor's sizeInBytes, dense and row-major; inputs are only
    read; outputs are written completely. Errors: INVALID_ARGUMENT (counts
    that differ from the package's, a null address), CUDA (buffer allocation
    at the first run, a launch; a fault inside a kernel shows at the next
    synchronization instead). */
MIRAGE_RT_EXPORT MirageRtStatus mirageRtPackageRun(
    MirageRtPackage package, const MirageRtDevicePtr *inputs, int numInputs,
    const MirageRtDevicePtr *outputs, int numOutputs, MirageRtStream stream);

/** Runs the package on host memory: copies each input to device memory
    (allocated at the first such call and kept), runs on the legacy default
    stream, synchronizes and copies each output back. `inputs[i]` and
    `outputs[i]` point to sizeInBytes bytes each, dense and row-major, in
    the tensor's dtype (f16 and bf16 as their 16-bit patterns). Errors as
    mirageRtPackageRun, plus kernel faults (found when synchronizing). */
MIRAGE_RT_EXPORT MirageRtStatus
mirageRtPackageRunHost(MirageRtPackage package, const void *const *inputs,
                       int numInputs, void *const *outputs, int numOutputs);

/** Times the package: `warmup` runs, then `repeat` (>= 1) runs each
    bracketed by CUDA events on `stream` and waited for; writes the
    milliseconds of each timed run to `milliseconds[0..repeat)`. Arguments
    as mirageRtPackageRun. */
MIRAGE_RT_EXPORT MirageRtStatus mirageRtPackageTime(
    MirageRtPackage package, const MirageRtDevicePtr *inputs, int numInputs,
    const MirageRtDevicePtr *outputs, int numOutputs, MirageRtStream stream,
    int warmup, int repeat, float *milliseconds);

#ifdef __cplusplus
}
#endif

#endif /* MIRAGE_RUNTIME_MIRAGE_RUNTIME_H */
