//===- ds_runtime.cpp - Load and run deepseek-convert artifacts -----------===//
//
// Implements ds_runtime.h: dlopen an artifact, verify and copy its embedded
// flatbuffers manifest, and call its entry point with one flat buffer array.
// Plain C++17 without exceptions or LLVM, so it can ship next to artifacts.
//
//===----------------------------------------------------------------------===//

#include "ds_runtime.h"

#include "backends/Common/Manifest_generated.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cstdarg>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

using EntryFn = int (*)(void *const *buffers);

// A tensor description that owns the storage `info` points into.
struct OwnedTensor {
  std::string name;
  std::vector<int64_t> shape;
  ds_tensor_info info{};
};

void setError(char *error, size_t errorSize, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

void setError(char *error, size_t errorSize, const char *format, ...) {
  if (!error || errorSize == 0)
    return;
  va_list args;
  va_start(args, format);
  std::vsnprintf(error, errorSize, format, args);
  va_end(args);
}

// Copies one manifest tensor list. Returns an empty string on success, else
// what is wrong with entry `index`.
std::string copyTensors(
    const flatbuffers::Vector<flatbuffers::Offset<ds::manifest::TensorInfo>>
        *list,
    const char *kind, std::vector<OwnedTensor> &out) {
  if (!list)
    return {};
  out.resize(list->size());
  for (flatbuffers::uoffset_t i = 0; i < list->size(); ++i) {
    const ds::manifest::TensorInfo *src = list->Get(i);
    OwnedTensor &dst = out[i];
    std::string where = std::string(kind) + " " + std::to_string(i);
    if (!src)
      return where + " is missing";
    if (src->name())
      dst.name = src->name()->str();
    size_t elemSize = ds_dtype_size(src->dtype());
    if (elemSize == 0)
      return where + " '" + dst.name + "' has unsupported dtype " +
             std::to_string(src->dtype());
    size_t numBytes = elemSize;
    if (src->shape()) {
      for (int64_t dim : *src->shape()) {
        if (dim < 0)
          return where + " '" + dst.name + "' has negative dimension " +
                 std::to_string(dim);
        if (dim != 0 && numBytes > SIZE_MAX / static_cast<size_t>(dim))
          return where + " '" + dst.name + "' is too large to address";
        numBytes *= static_cast<size_t>(dim);
        dst.shape.push_back(dim);
      }
    }
    dst.info.dtype = src->dtype();
    dst.info.rank = static_cast<int32_t>(dst.shape.size());
    dst.info.num_bytes = numBytes;
  }
  // Pointers are taken only once the vector no longer grows.
  for (OwnedTensor &t : out) {
    t.info.name = t.name.c_str();
    t.info.shape = t.shape.data();
  }
  return {};
}

} // namespace

struct ds_model {
  void *handle = nullptr;
  EntryFn entry = nullptr;
  std::string target;
  std::vector<OwnedTensor> inputs;
  std::vector<OwnedTensor> outputs;

  ~ds_model() {
    if (handle)
      dlclose(handle);
  }
};

extern "C" {

size_t ds_dtype_size(int32_t dtype) {
  switch (dtype) {
  case DS_UINT8:
  case DS_INT8:
  case DS_BOOL:
    return 1;
  case DS_UINT16:
  case DS_INT16:
  case DS_FLOAT16:
  case DS_BFLOAT16:
    return 2;
  case DS_FLOAT:
  case DS_INT32:
  case DS_UINT32:
    return 4;
  case DS_INT64:
  case DS_DOUBLE:
  case DS_UINT64:
    return 8;
  default:
    return 0;
  }
}

ds_model *ds_model_load(const char *path, char *error, size_t error_size) {
  if (!path || !*path) {
    setError(error, error_size, "no artifact path given");
    return nullptr;
  }
  std::string library = path;
  struct stat st;
  if (stat(path, &st) != 0) {
    setError(error, error_size, "artifact '%s' does not exist", path);
    return nullptr;
  }
  if (S_ISDIR(st.st_mode))
    library += "/model.so";
  // dlopen searches the library path for names without a slash; an artifact
  // is always a file, so make relative paths explicit.
  if (library.find('/') == std::string::npos)
    library = "./" + library;
  const char *lib = library.c_str();

  std::unique_ptr<ds_model> model(new ds_model());
  model->handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (!model->handle) {
    const char *reason = dlerror();
    setError(error, error_size, "cannot load '%s': %s", lib,
             reason ? reason : "unknown dlopen failure");
    return nullptr;
  }

  const char *symbols[] = {"ds_artifact_run", "ds_model_manifest",
                           "ds_model_manifest_size"};
  void *addresses[3];
  for (int i = 0; i < 3; ++i) {
    addresses[i] = dlsym(model->handle, symbols[i]);
    if (!addresses[i]) {
      setError(error, error_size,
               "'%s' is not a deepseek-convert artifact: symbol %s is missing",
               lib, symbols[i]);
      return nullptr;
    }
  }
  model->entry = reinterpret_cast<EntryFn>(addresses[0]);
  auto *manifest = static_cast<const uint8_t *>(addresses[1]);
  unsigned long manifestSize = *static_cast<const unsigned long *>(addresses[2]);

  flatbuffers::Verifier verifier(manifest, manifestSize);
  if (!ds::manifest::VerifyModelBuffer(verifier)) {
    setError(error, error_size,
             "'%s': embedded manifest (%lu bytes) is corrupt or not a DSM1 "
             "manifest", lib, manifestSize);
    return nullptr;
  }
  const ds::manifest::Model *root = ds::manifest::GetModel(manifest);
  if (root->abi_version() != DS_ABI_VERSION) {
    setError(error, error_size,
             "'%s': artifact ABI version %u, this runtime supports %u", lib,
             root->abi_version(), DS_ABI_VERSION);
    return nullptr;
  }
  if (root->target())
    model->target = root->target()->str();
  std::string problem = copyTensors(root->inputs(), "input", model->inputs);
  if (problem.empty())
    problem = copyTensors(root->outputs(), "output", model->outputs);
  if (problem.empty() && model->outputs.empty())
    problem = "declares no outputs";
  if (!problem.empty()) {
    setError(error, error_size, "'%s': manifest %s", lib, problem.c_str());
    return nullptr;
  }
  return model.release();
}

void ds_model_free(ds_model *model) { delete model; }

size_t ds_model_num_inputs(const ds_model *model) {
  return model ? model->inputs.size() : 0;
}

size_t ds_model_num_outputs(const ds_model *model) {
  return model ? model->outputs.size() : 0;
}

const ds_tensor_info *ds_model_input(const ds_model *model, size_t index) {
  if (!model || index >= model->inputs.size())
    return nullptr;
  return &model->inputs[index].info;
}

const ds_tensor_info *ds_model_output(const ds_model *model, size_t index) {
  if (!model || index >= model->outputs.size())
    return nullptr;
  return &model->outputs[index].info;
}

const char *ds_model_target(const ds_model *model) {
  return model ? model->target.c_str() : nullptr;
}

int ds_model_run(ds_model *model, const void *const *inputs,
                 void *const *outputs) {
  if (!model || (!inputs && !model->inputs.empty()) || !outputs)
    return -1;
  // The entry point takes one array: inputs first, then outputs. It never
  // writes through the input pointers, so dropping const here is safe.
  std::vector<void *> buffers;
  buffers.reserve(model->inputs.size() + model->outputs.size());
  for (size_t i = 0; i < model->inputs.size(); ++i)
    buffers.push_back(const_cast<void *>(inputs[i]));
  for (size_t i = 0; i < model->outputs.size(); ++i)
    buffers.push_back(outputs[i]);
  return model->entry(buffers.data());
}

} // extern "C"
