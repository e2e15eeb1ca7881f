//===- ds_exec.h - Running an artifact on whole tensors -------*- C++ -*-===//
//
// What deepseek-run does with a loaded model, shared with ds-exec: bind the
// input shapes, run once, collect the outputs, time more runs. deepseek-run
// runs an artifact built for another architecture (aarch64 on an x86-64
// host) through ds-exec, built for that architecture and started under an
// emulator; they exchange tensors as raw files in a directory: int32
// dtype, int32 rank, int64 dims[rank], then the dense data, all in the byte
// order of the two machines (both little-endian). Header-only: ds-exec is
// built for each architecture from its sources alone.
//
//===----------------------------------------------------------------------===//
#ifndef DS_RUNTIME_EXEC_DS_EXEC_H
#define DS_RUNTIME_EXEC_DS_EXEC_H

#include "ds_runtime.h"

#include <chrono>
#include <cstdlib>
#include <cstring>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace ds::exec {

struct RawTensor {
  int32_t dtype = 0;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

inline std::string tensorPath(const std::string &dir, const char *kind,
                              size_t index) {
  return dir + "/" + kind + "_" + std::to_string(index) + ".bin";
}

inline bool writeRawTensor(const std::string &path, const RawTensor &tensor) {
  std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen(path.c_str(), "wb"),
                                           std::fclose);
  if (!f)
    return false;
  int32_t rank = static_cast<int32_t>(tensor.shape.size());
  bool ok = std::fwrite(&tensor.dtype, 4, 1, f.get()) == 1 &&
            std::fwrite(&rank, 4, 1, f.get()) == 1 &&
            std::fwrite(tensor.shape.data(), 8, tensor.shape.size(), f.get()) ==
                tensor.shape.size() &&
            std::fwrite(tensor.data.data(), 1, tensor.data.size(), f.get()) ==
                tensor.data.size();
  return std::fclose(f.release()) == 0 && ok;
}

/// `elementSize(dtype)` gives the bytes per element; the file must hold
/// exactly the data its shape says.
template <typename ElementSize>
bool readRawTensor(const std::string &path, ElementSize elementSize,
                   RawTensor &tensor) {
  std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen(path.c_str(), "rb"),
                                           std::fclose);
  int32_t rank = 0;
  if (!f || std::fread(&tensor.dtype, 4, 1, f.get()) != 1 ||
      std::fread(&rank, 4, 1, f.get()) != 1 || rank < 0 || rank > 64)
    return false;
  tensor.shape.resize(rank);
  if (std::fread(tensor.shape.data(), 8, rank, f.get()) !=
      static_cast<size_t>(rank))
    return false;
  size_t bytes = elementSize(tensor.dtype);
  for (int64_t d : tensor.shape) {
    if (d < 0 || (d != 0 && bytes > SIZE_MAX / static_cast<size_t>(d)))
      return false;
    bytes *= static_cast<size_t>(d);
  }
  if (bytes == 0 && elementSize(tensor.dtype) == 0)
    return false;
  // The header's shape must match what the file holds before anything is
  // allocated for it.
  long start = std::ftell(f.get());
  if (start < 0 || std::fseek(f.get(), 0, SEEK_END) != 0)
    return false;
  long end = std::ftell(f.get());
  if (end < start || static_cast<unsigned long>(end - start) != bytes ||
      std::fseek(f.get(), start, SEEK_SET) != 0)
    return false;
  tensor.data.resize(bytes);
  if (std::fread(tensor.data.data(), 1, bytes, f.get()) != bytes)
    return false;
  return std::fgetc(f.get()) == EOF;
}

struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};
using Buffer = std::unique_ptr<uint8_t, FreeDeleter>;

/// A zeroed buffer of at least `bytes`, cache-line aligned: generated code
/// may use aligned vector loads.
inline Buffer allocateBuffer(size_t bytes) {
  constexpr size_t kAlignment = 64;
  size_t rounded = bytes == 0
                       ? kAlignment
                       : (bytes + kAlignment - 1) / kAlignment * kAlignment;
  auto *p = static_cast<uint8_t *>(std::aligned_alloc(kAlignment, rounded));
  if (p)
    std::memset(p, 0, rounded);
  return Buffer(p);
}

/// Runs `model` (loaded from `artifact`, named in errors) once on `inputs`,
/// which must fit its inputs' dtypes and shapes, and fills `outputs` with
/// the shapes found and the data; then, with `bench` > 0, times `bench`
/// runs after `warmup` untimed ones into `latencies` (ms). The inputs'
/// data is released once copied. False with `error` on failure.
inline bool runModel(ds_model *model, const std::string &artifact,
                     std::vector<RawTensor> &inputs, int bench, int warmup,
                     std::vector<RawTensor> &outputs,
                     std::vector<double> &latencies, std::string &error) {
  if (ds_model_is_dynamic(model)) {
    // Dynamic dims take their sizes from the inputs.
    std::vector<const int64_t *> shapes;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const ds_tensor_info *info = ds_model_input(model, i);
      if (!info || inputs[i].shape.size() != static_cast<size_t>(info->rank)) {
        error = "input " + std::to_string(i) + " has rank " +
                std::to_string(inputs[i].shape.size()) + ", the model's " +
                (info ? std::to_string(info->rank) : std::string("none"));
        return false;
      }
      shapes.push_back(inputs[i].shape.data());
    }
    char shapeError[1024] = "";
    if (ds_model_set_input_shapes(model, shapes.data(), shapeError,
                                  sizeof(shapeError))) {
      error = "'" + artifact + "': " + shapeError;
      return false;
    }
  }
  std::vector<Buffer> buffers;
  std::vector<const void *> inputPtrs;
  std::vector<void *> outputPtrs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    size_t bytes = ds_model_input_bytes(model, i);
    if (bytes != inputs[i].data.size()) {
      error = "input " + std::to_string(i) + " holds " +
              std::to_string(inputs[i].data.size()) +
              " bytes, the model takes " + std::to_string(bytes);
      return false;
    }
    buffers.push_back(allocateBuffer(bytes));
    if (!buffers.back()) {
      error = "out of memory allocating input " + std::to_string(i);
      return false;
    }
    if (bytes) // an empty vector's data() may be null
      std::memcpy(buffers.back().get(), inputs[i].data.data(), bytes);
    inputPtrs.push_back(buffers.back().get());
  }
  inputs.clear();
  size_t numOutputs = ds_model_num_outputs(model);
  for (size_t i = 0; i < numOutputs; ++i) {
    buffers.push_back(allocateBuffer(ds_model_output_bytes(model, i)));
    if (!buffers.back()) {
      error = "out of memory allocating output " + std::to_string(i);
      return false;
    }
    outputPtrs.push_back(buffers.back().get());
  }
  auto runOnce = [&](const char *what) {
    int status = ds_model_run(model, inputPtrs.data(), outputPtrs.data());
    if (status) {
      std::string why = ds_model_last_error(model);
      error = "'" + artifact + "': " + what + " failed with status " +
              std::to_string(status) + (why.empty() ? "" : ": " + why);
    }
    return status == 0;
  };
  if (!runOnce("model run"))
    return false;
  for (size_t i = 0; i < numOutputs; ++i) {
    const ds_tensor_info &info = *ds_model_output(model, i);
    RawTensor out;
    out.dtype = info.dtype;
    // After the run: data-dependent dims hold the sizes found, and the
    // output is dense at the start of its (bound-sized) buffer.
    const int64_t *shape = ds_model_output_shape(model, i);
    out.shape.assign(shape, shape + info.rank);
    size_t bytes = ds_dtype_size(info.dtype);
    for (int64_t d : out.shape)
      bytes *= static_cast<size_t>(d);
    auto *data = static_cast<const uint8_t *>(outputPtrs[i]);
    if (bytes)
      out.data.assign(data, data + bytes);
    outputs.push_back(std::move(out));
  }
  if (bench == 0)
    return true;
  for (int i = 0; i < warmup; ++i)
    if (!runOnce("warm-up run"))
      return false;
  for (int i = 0; i < bench; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (!runOnce("timed run"))
      return false;
    auto end = std::chrono::steady_clock::now();
    latencies.push_back(
        std::chrono::duration<double, std::milli>(end - start).count());
  }
  return true;
}

} // namespace ds::exec

#endif
