//===- ds_cuda.cpp - the GPU calls of --target cuda artifacts -------------===//
//
// Artifacts compiled with --target cuda call MLIR's GPU runtime interface
// (mgpuModuleLoadJIT, mgpuLaunchKernel, mgpuMemAlloc, ...). This file
// implements it on the CUDA driver API, which it opens with dlopen: the
// runtime builds and loads on machines without CUDA, and only a cuda
// artifact needs libcuda.so.1, which ds_model_load checks for up front.
//
// All work goes to one stream per process: the generated host code orders
// copies, launches and frees on it and waits before returning. Modules are
// loaded (JIT-compiled from PTX by the driver) once and kept; device
// memory comes from the driver's stream-ordered pool, which keeps freed
// blocks for the next run.
//
//===----------------------------------------------------------------------===//
#include "ds_cuda.h"

#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

namespace {

// The few driver types and constants used here (cuda.h is not needed to
// build).
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
using CUmemoryPool = struct CUmemPoolHandle_st *;
constexpr int kMemPoolAttrReleaseThreshold =
    4;                                    // CU_MEMPOOL_ATTR_RELEASE_THRESHOLD
constexpr int kJitErrorLogBuffer = 5;     // CU_JIT_ERROR_LOG_BUFFER
constexpr int kJitErrorLogBufferSize = 6; // CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES

struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *,
                                 void **);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamWaitEvent)(CUstream, CUevent, unsigned);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventDestroy)(CUevent);
  CUresult (*cuMemAllocAsync)(CUdeviceptr *, size_t, CUstream);
  CUresult (*cuMemFreeAsync)(CUdeviceptr, CUstream);
  CUresult (*cuMemcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*cuMemsetD32Async)(CUdeviceptr, unsigned, size_t, CUstream);
  CUresult (*cuMemsetD16Async)(CUdeviceptr, unsigned short, size_t, CUstream);
  CUresult (*cuDeviceGetDefaultMemPool)(CUmemoryPool *, CUdevice);
  CUresult (*cuMemPoolSetAttribute)(CUmemoryPool, int, void *);
};

struct State {
  std::once_flag once;
  std::string unavailable; // why the driver cannot be used; empty when it can
  Driver driver{};
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  std::mutex mutex; // guards modules and error
  // Loaded modules and device copies of constants, by host address; both
  // kept across runs and dropped when a model is freed (its library's
  // addresses may then be reused by the next one).
  std::map<const void *, CUmodule> modules;
  std::map<const void *, CUdeviceptr> resident;
};

State &state() {
  static State s;
  return s;
}

template <typename Fn> bool bind(void *library, const char *name, Fn &slot) {
  slot = reinterpret_cast<Fn>(dlsym(library, name));
  return slot != nullptr;
}

std::string resultText(CUresult result) {
  const char *text = nullptr;
  if (state().driver.cuGetErrorString)
    state().driver.cuGetErrorString(result, &text);
  return text ? text : "CUDA error " + std::to_string(result);
}

/// The first failure on this thread since the last dsCudaTakeError: a
/// model runs on its caller's thread, so runs on two threads keep their
/// errors apart.
thread_local std::string firstError;

void recordError(const std::string &message) {
  if (firstError.empty())
    firstError = message;
}

/// Records the first failure of a driver call; later ones are its fallout.
bool check(CUresult result, const char *call) {
  if (result == 0)
    return true;
  recordError(std::string(call) + " failed: " + resultText(result));
  return false;
}

void initialize(State &s) {
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    s.unavailable = "the NVIDIA driver library libcuda.so.1 was not found "
                    "(no NVIDIA GPU driver installed)";
    return;
  }
  Driver &d = s.driver;
  bool bound =
      bind(library, "cuInit", d.cuInit) &&
      bind(library, "cuDeviceGetCount", d.cuDeviceGetCount) &&
      bind(library, "cuDeviceGet", d.cuDeviceGet) &&
      bind(library, "cuDevicePrimaryCtxRetain", d.cuDevicePrimaryCtxRetain) &&
      bind(library, "cuCtxSetCurrent", d.cuCtxSetCurrent) &&
      bind(library, "cuGetErrorString", d.cuGetErrorString) &&
      bind(library, "cuModuleLoadDataEx", d.cuModuleLoadDataEx) &&
      bind(library, "cuModuleGetFunction", d.cuModuleGetFunction) &&
      bind(library, "cuModuleUnload", d.cuModuleUnload) &&
      bind(library, "cuLaunchKernel", d.cuLaunchKernel) &&
      bind(library, "cuStreamCreate", d.cuStreamCreate) &&
      bind(library, "cuStreamSynchronize", d.cuStreamSynchronize) &&
      bind(library, "cuStreamWaitEvent", d.cuStreamWaitEvent) &&
      bind(library, "cuEventCreate", d.cuEventCreate) &&
      bind(library, "cuEventRecord", d.cuEventRecord) &&
      bind(library, "cuEventSynchronize", d.cuEventSynchronize) &&
      bind(library, "cuEventDestroy_v2", d.cuEventDestroy) &&
      bind(library, "cuMemAllocAsync", d.cuMemAllocAsync) &&
      bind(library, "cuMemFreeAsync", d.cuMemFreeAsync) &&
      bind(library, "cuMemcpyAsync", d.cuMemcpyAsync) &&
      bind(library, "cuMemsetD32Async", d.cuMemsetD32Async) &&
      bind(library, "cuMemsetD16Async", d.cuMemsetD16Async) &&
      bind(library, "cuDeviceGetDefaultMemPool", d.cuDeviceGetDefaultMemPool) &&
      bind(library, "cuMemPoolSetAttribute", d.cuMemPoolSetAttribute);
  if (!bound) {
    s.unavailable = "libcuda.so.1 lacks a function this runtime needs (the "
                    "driver predates CUDA 11.2)";
    return;
  }
  CUresult r = d.cuInit(0);
  int count = 0;
  if (r == 0)
    r = d.cuDeviceGetCount(&count);
  if (r != 0 || count == 0) {
    s.unavailable = r ? "cuInit failed: " + resultText(r)
                      : std::string("the NVIDIA driver sees no GPU");
    return;
  }
  CUdevice device = 0;
  if ((r = d.cuDeviceGet(&device, 0)) != 0 ||
      (r = d.cuDevicePrimaryCtxRetain(&s.context, device)) != 0 ||
      (r = d.cuCtxSetCurrent(s.context)) != 0 ||
      (r = d.cuStreamCreate(&s.stream, 0)) != 0) {
    s.unavailable = "cannot set up GPU 0: " + resultText(r);
    return;
  }
  // Freed blocks stay in the pool for the next run instead of going back
  // to the driver at every synchronization.
  CUmemoryPool pool = nullptr;
  if (d.cuDeviceGetDefaultMemPool(&pool, device) == 0) {
    uint64_t keepAll = UINT64_MAX;
    d.cuMemPoolSetAttribute(pool, kMemPoolAttrReleaseThreshold, &keepAll);
  }
}

/// The driver, with the context current on the calling thread.
Driver &driver() {
  State &s = state();
  std::call_once(s.once, [&] { initialize(s); });
  thread_local bool current = false;
  if (!current && s.context) {
    s.driver.cuCtxSetCurrent(s.context);
    current = true;
  }
  return s.driver;
}

CUstream streamOf(void *stream) {
  return stream ? static_cast<CUstream>(stream) : state().stream;
}

} // namespace

bool dsCudaAvailable(std::string &why) {
  driver();
  why = state().unavailable;
  return why.empty();
}

void dsCudaForgetModels() {
  State &s = state();
  if (!s.context)
    return;
  Driver &d = driver();
  std::lock_guard<std::mutex> lock(s.mutex);
  d.cuStreamSynchronize(s.stream);
  for (auto &entry : s.resident)
    d.cuMemFreeAsync(entry.second, s.stream);
  s.resident.clear();
  for (auto &entry : s.modules)
    d.cuModuleUnload(entry.second);
  s.modules.clear();
  d.cuStreamSynchronize(s.stream);
}

std::string dsCudaTakeError() {
  std::string error;
  error.swap(firstError);
  return error;
}

namespace {

/// A memref of any rank as MLIR passes it to and returns it from external
/// functions: its rank and a pointer to its ranked descriptor (allocated
/// and aligned pointers, offset, sizes, strides).
struct UnrankedMemRef {
  int64_t rank;
  void *descriptor;
};
struct DescriptorHead {
  void *allocated;
  void *aligned;
  int64_t offset;
};

/// The device copy of a constant, uploaded on first use. The result's
/// descriptor is malloc'ed: the generated caller copies and frees it.
UnrankedMemRef residentCopy(UnrankedMemRef host, size_t elementBytes) {
  auto *head = static_cast<const DescriptorHead *>(host.descriptor);
  const int64_t *sizes = reinterpret_cast<const int64_t *>(head + 1);
  size_t bytes = elementBytes;
  for (int64_t d = 0; d < host.rank; ++d)
    bytes *= static_cast<size_t>(sizes[d]);
  const char *data =
      static_cast<const char *>(head->aligned) + head->offset * elementBytes;
  Driver &d = driver();
  State &s = state();
  CUdeviceptr device = 0;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    auto [it, inserted] = s.resident.try_emplace(data, 0);
    if (!inserted) {
      device = it->second;
    } else if (bytes) {
      CUresult r = d.cuMemAllocAsync(&it->second, bytes, s.stream);
      if (r == 0)
        r = d.cuMemcpyAsync(it->second, reinterpret_cast<CUdeviceptr>(data),
                            bytes, s.stream);
      if (r != 0) {
        // Not kept: the next run tries again, and fails again visibly.
        if (it->second)
          d.cuMemFreeAsync(it->second, s.stream);
        s.resident.erase(it);
        recordError("uploading a weight (" + std::to_string(bytes) +
                    " bytes) failed: " + resultText(r));
      } else {
        device = it->second;
      }
    } else {
      device = it->second;
    }
  }
  size_t descriptorBytes =
      sizeof(DescriptorHead) + 2 * host.rank * sizeof(int64_t);
  auto *copy = static_cast<DescriptorHead *>(std::malloc(descriptorBytes));
  std::memcpy(copy, host.descriptor, descriptorBytes);
  copy->allocated = copy->aligned = reinterpret_cast<void *>(device);
  copy->offset = 0;
  return {host.rank, copy};
}

} // namespace

// The functions ds-gpu-device-buffers calls for constant globals, one per
// element type (the name carries the type, the size follows from it).
#define DS_GPU_RESIDENT(type, bytes)                                           \
  extern "C" __attribute__((visibility("default")))                            \
  UnrankedMemRef ds_gpu_resident_##type(int64_t rank, void *descriptor) {      \
    return residentCopy({rank, descriptor}, bytes);                            \
  }
DS_GPU_RESIDENT(f16, 2)
DS_GPU_RESIDENT(bf16, 2)
DS_GPU_RESIDENT(f32, 4)
DS_GPU_RESIDENT(f64, 8)
DS_GPU_RESIDENT(i1, 1)
DS_GPU_RESIDENT(i8, 1)
DS_GPU_RESIDENT(i16, 2)
DS_GPU_RESIDENT(i32, 4)
DS_GPU_RESIDENT(i64, 8)
#undef DS_GPU_RESIDENT

// MLIR's GPU runtime interface, as gpu-to-llvm and the gpu.binary
// translation call it.
extern "C" {

__attribute__((visibility("default"))) void *mgpuModuleLoadJIT(void *data,
                                                               int) {
  Driver &d = driver();
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto [it, inserted] = s.modules.try_emplace(data, nullptr);
  if (inserted) {
    // The driver compiles the PTX for the GPU present; keep its complaint.
    char log[1024] = "";
    int options[] = {kJitErrorLogBuffer, kJitErrorLogBufferSize};
    void *values[] = {log, reinterpret_cast<void *>(sizeof(log))};
    CUresult r = d.cuModuleLoadDataEx(&it->second, data, 2, options, values);
    if (r != 0) {
      recordError("loading the model's PTX failed: " + resultText(r) +
                  (log[0] ? std::string(": ") + log : std::string()));
      s.modules.erase(it);
      return nullptr;
    }
  }
  return it->second;
}

__attribute__((visibility("default"))) void *mgpuModuleLoad(void *data,
                                                            size_t) {
  return mgpuModuleLoadJIT(data, 0);
}

// Modules stay loaded for the next run, until ds_model_free.
__attribute__((visibility("default"))) void mgpuModuleUnload(void *) {}

__attribute__((visibility("default"))) void *
mgpuModuleGetFunction(void *module, const char *name) {
  CUfunction function = nullptr;
  if (module)
    check(driver().cuModuleGetFunction(&function, static_cast<CUmodule>(module),
                                       name),
          "cuModuleGetFunction");
  return function;
}

__attribute__((visibility("default"))) void
mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                 intptr_t blockX, intptr_t blockY, intptr_t blockZ,
                 int32_t sharedMemBytes, void *stream, void **params,
                 void **extra, size_t /*paramsCount*/) {
  // An empty tensor gives an empty grid, which the driver refuses. After
  // a failure nothing more runs: a kernel given a buffer that failed to
  // upload would fault and poison the context for every later run.
  if (!function || !firstError.empty() || gridX <= 0 || gridY <= 0 ||
      gridZ <= 0 || blockX <= 0 || blockY <= 0 || blockZ <= 0)
    return;
  check(driver().cuLaunchKernel(static_cast<CUfunction>(function), gridX, gridY,
                                gridZ, blockX, blockY, blockZ, sharedMemBytes,
                                streamOf(stream), params, extra),
        "cuLaunchKernel");
}

// One stream serves every run: the generated code orders its work on it.
__attribute__((visibility("default"))) void *mgpuStreamCreate() {
  driver();
  return state().stream;
}

__attribute__((visibility("default"))) void mgpuStreamDestroy(void *) {}

__attribute__((visibility("default"))) void
mgpuStreamSynchronize(void *stream) {
  check(driver().cuStreamSynchronize(streamOf(stream)), "cuStreamSynchronize");
}

__attribute__((visibility("default"))) void mgpuStreamWaitEvent(void *stream,
                                                                void *event) {
  check(driver().cuStreamWaitEvent(streamOf(stream),
                                   static_cast<CUevent>(event), 0),
        "cuStreamWaitEvent");
}

__attribute__((visibility("default"))) void *mgpuEventCreate() {
  CUevent event = nullptr;
  check(driver().cuEventCreate(&event, /*CU_EVENT_DISABLE_TIMING=*/2),
        "cuEventCreate");
  return event;
}

__attribute__((visibility("default"))) void mgpuEventDestroy(void *event) {
  if (event)
    check(driver().cuEventDestroy(static_cast<CUevent>(event)),
          "cuEventDestroy");
}

__attribute__((visibility("default"))) void mgpuEventSynchronize(void *event) {
  if (event)
    check(driver().cuEventSynchronize(static_cast<CUevent>(event)),
          "cuEventSynchronize");
}

__attribute__((visibility("default"))) void mgpuEventRecord(void *event,
                                                            void *stream) {
  if (event)
    check(driver().cuEventRecord(static_cast<CUevent>(event), streamOf(stream)),
          "cuEventRecord");
}

__attribute__((visibility("default"))) void *
mgpuMemAlloc(uint64_t sizeBytes, void *stream, bool /*isHostShared*/) {
  if (sizeBytes == 0)
    return nullptr;
  CUdeviceptr ptr = 0;
  check(driver().cuMemAllocAsync(&ptr, sizeBytes, streamOf(stream)),
        "cuMemAllocAsync");
  return reinterpret_cast<void *>(ptr);
}

__attribute__((visibility("default"))) void mgpuMemFree(void *ptr,
                                                        void *stream) {
  if (ptr)
    check(driver().cuMemFreeAsync(reinterpret_cast<CUdeviceptr>(ptr),
                                  streamOf(stream)),
          "cuMemFreeAsync");
}

__attribute__((visibility("default"))) void
mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *stream) {
  if (sizeBytes)
    check(driver().cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                                 reinterpret_cast<CUdeviceptr>(src), sizeBytes,
                                 streamOf(stream)),
          "cuMemcpyAsync");
}

__attribute__((visibility("default"))) void
mgpuMemset32(void *dst, unsigned value, size_t count, void *stream) {
  if (count)
    check(driver().cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value,
                                    count, streamOf(stream)),
          "cuMemsetD32Async");
}

__attribute__((visibility("default"))) void
mgpuMemset16(void *dst, unsigned short value, size_t count, void *stream) {
  if (count)
    check(driver().cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value,
                                    count, streamOf(stream)),
          "cuMemsetD16Async");
}

// The runtime always uses GPU 0.
__attribute__((visibility("default"))) void mgpuSetDefaultDevice(int32_t) {}

} // extern "C"
