//===- ds_runtime.cpp - Load and run deepseek-convert artifacts -----------===//
//
// Implements ds_runtime.h: dlopen an artifact, verify and copy its embedded
// flatbuffers manifest, and call its entry point with one flat buffer array.
// Plain C++17 without exceptions or LLVM, so it can ship next to artifacts.
//
//===----------------------------------------------------------------------===//

#include "ds_runtime.h"

#include "backends/Common/Manifest_generated.h"
#include "ds_cuda.h"
#include "ds_memory.h"
#include "ds_parallel.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

using EntryFn = int (*)(void *const *buffers, const int64_t *dims);

// Dense byte size of `shape`, or 0 with `overflow` set when it cannot be
// addressed.
size_t denseBytes(size_t elemSize, const std::vector<int64_t> &shape,
                  bool &overflow) {
  size_t bytes = elemSize;
  overflow = false;
  for (int64_t dim : shape) {
    if (dim != 0 && bytes > SIZE_MAX / static_cast<size_t>(dim)) {
      overflow = true;
      return 0;
    }
    bytes *= static_cast<size_t>(dim);
  }
  return bytes;
}

// A tensor description that owns the storage `info` points into.
struct OwnedTensor {
  std::string name;
  std::vector<int64_t> shape; // as compiled, -1 for dynamic dims
  std::vector<std::string> dimNames;
  std::vector<const char *> dimNamePtrs;
  std::vector<int64_t> bounds; // data-dependent dims: their bound, else 0
  ds_tensor_info info{};
  // The shape of the next run (dynamic dims filled in, data-dependent ones
  // at their bound) and, after a run, of its result; and the bytes to
  // allocate, bounds included.
  std::vector<int64_t> current;
  size_t currentBytes = 0;
  // Whether some dim takes its size from the inputs.
  bool needsInputShapes() const {
    for (size_t d = 0; d < shape.size(); ++d)
      if (shape[d] < 0 && !bounds[d])
        return true;
    return false;
  }
  // Fills `current` from `sizes` (input symbol -> size) and the bounds.
  std::string resolve(const std::map<std::string, int64_t> &sizes) {
    current = shape;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] >= 0)
        continue;
      if (bounds[d]) {
        current[d] = bounds[d];
        continue;
      }
      auto it = sizes.find(dimNames[d]);
      if (it == sizes.end())
        return "'" + name + "': dim " + std::to_string(d) + " ('" +
               dimNames[d] + "') is bound by no input dimension";
      current[d] = it->second;
    }
    bool overflow;
    currentBytes = denseBytes(ds_dtype_size(info.dtype), current, overflow);
    if (overflow)
      return "'" + name + "' is too large to address";
    return {};
  }
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
    bool dynamic = false;
    if (src->shape()) {
      for (int64_t dim : *src->shape()) {
        if (dim < -1)
          return where + " '" + dst.name + "' has negative dimension " +
                 std::to_string(dim);
        dynamic |= dim == -1;
        dst.shape.push_back(dim);
      }
    }
    const auto *names = src->dim_names();
    const auto *bounds = src->dim_bounds();
    for (size_t d = 0; d < dst.shape.size(); ++d) {
      const char *name = names && d < names->size() && names->Get(d)
                             ? names->Get(d)->c_str()
                             : "";
      int64_t bound = bounds && d < bounds->size() ? bounds->Get(d) : 0;
      if (bound < 0 || (bound && dst.shape[d] != -1))
        return where + " '" + dst.name + "' has a bad bound on dim " +
               std::to_string(d);
      if (dst.shape[d] == -1 && !*name)
        return where + " '" + dst.name + "' has an unnamed dynamic dimension";
      dst.dimNames.push_back(name);
      dst.bounds.push_back(bound);
    }
    dst.info.dtype = src->dtype();
    dst.info.rank = static_cast<int32_t>(dst.shape.size());
    if (!dst.needsInputShapes()) {
      std::string problem = dst.resolve({});
      if (!problem.empty())
        return where + " " + problem;
    }
    dst.info.num_bytes = dynamic ? 0 : dst.currentBytes;
  }
  // Pointers are taken only once the vector no longer grows.
  for (OwnedTensor &t : out) {
    t.info.name = t.name.c_str();
    t.info.shape = t.shape.data();
    for (const std::string &name : t.dimNames)
      t.dimNamePtrs.push_back(name.c_str());
    t.info.dim_names = t.dimNamePtrs.data();
    t.info.dim_bounds = t.bounds.data();
  }
  return {};
}

} // namespace

struct ds_model {
  void *handle = nullptr;
  EntryFn entry = nullptr;
  std::string target;
  std::string lastError; // why the last run failed
  std::vector<OwnedTensor> inputs;
  std::vector<OwnedTensor> outputs;
  bool dynamic = false;
  bool shapesSet = false;
  int threads = 1;
  // Every dynamic dim in entry-point order (inputs, then outputs), and the
  // arrays the entry point takes, kept so a run allocates nothing.
  struct DimSlot {
    OwnedTensor *tensor;
    size_t dim;
  };
  std::vector<DimSlot> dimSlots;
  std::vector<int64_t> dims;
  std::vector<void *> buffers;

  ~ds_model() {
    if (handle)
      dlclose(handle);
  }
};

namespace {
/// The marks of instrumented artifacts, until ds_profile_take.
struct ProfileMarks {
  std::vector<int32_t> layers;
  std::vector<uint64_t> ns;
};
ProfileMarks &profileMarks() {
  static ProfileMarks marks;
  return marks;
}
} // namespace

extern "C" {

void ds_profile_mark(int32_t layer) {
  ProfileMarks &marks = profileMarks();
  marks.layers.push_back(layer);
  marks.ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count());
}

size_t ds_profile_take(int32_t *layers, uint64_t *ns, size_t capacity) {
  ProfileMarks &marks = profileMarks();
  size_t count = marks.layers.size();
  for (size_t i = 0; i < count && i < capacity; ++i) {
    layers[i] = marks.layers[i];
    ns[i] = marks.ns[i];
  }
  marks.layers.clear();
  marks.ns.clear();
  return count;
}

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

// Models alive; scratch memory kept for reuse goes when the last one does.
static std::atomic<int> liveModels{0};

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
  std::string gpuProblem;
  if (model->target == "cuda" && !dsCudaAvailable(gpuProblem)) {
    setError(error, error_size,
             "'%s' was compiled for NVIDIA GPUs (--target cuda) and cannot "
             "run on this machine: %s",
             lib, gpuProblem.c_str());
    return nullptr;
  }
  std::string problem = copyTensors(root->inputs(), "input", model->inputs);
  if (problem.empty())
    problem = copyTensors(root->outputs(), "output", model->outputs);
  if (problem.empty() && model->outputs.empty())
    problem = "declares no outputs";
  if (!problem.empty()) {
    setError(error, error_size, "'%s': manifest %s", lib, problem.c_str());
    return nullptr;
  }
  for (auto *list : {&model->inputs, &model->outputs})
    for (OwnedTensor &t : *list) {
      model->dynamic |= t.needsInputShapes();
      for (size_t d = 0; d < t.shape.size(); ++d)
        if (t.shape[d] < 0)
          model->dimSlots.push_back({&t, d});
    }
  model->dims.resize(model->dimSlots.size());
  model->buffers.resize(model->inputs.size() + model->outputs.size());
  ++liveModels;
  return model.release();
}

void ds_model_free(ds_model *model) {
  if (!model)
    return;
  if (model->target == "cuda")
    dsCudaForgetModels();
  delete model;
  if (--liveModels == 0)
    ds_release_cached_memory();
}

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

const char *ds_model_last_error(const ds_model *model) {
  return model ? model->lastError.c_str() : nullptr;
}

const char *ds_model_target(const ds_model *model) {
  return model ? model->target.c_str() : nullptr;
}

int ds_model_is_dynamic(const ds_model *model) {
  return model && model->dynamic;
}

int ds_model_set_input_shapes(ds_model *model,
                              const int64_t *const *input_shapes, char *error,
                              size_t error_size) {
  if (!model || (!input_shapes && !model->inputs.empty())) {
    setError(error, error_size, "no model or no input shapes given");
    return -1;
  }
  model->shapesSet = false;
  std::map<std::string, int64_t> sizes;
  for (size_t i = 0; i < model->inputs.size(); ++i) {
    OwnedTensor &t = model->inputs[i];
    for (size_t d = 0; d < t.shape.size(); ++d) {
      int64_t size = input_shapes[i][d];
      if (size < 0) {
        setError(error, error_size, "input '%s': dim %zu is negative",
                 t.name.c_str(), d);
        return -1;
      }
      if (t.shape[d] >= 0 && t.shape[d] != size) {
        setError(error, error_size,
                 "input '%s': dim %zu is %lld, the model was compiled for %lld",
                 t.name.c_str(), d, (long long)size, (long long)t.shape[d]);
        return -1;
      }
      if (t.shape[d] >= 0)
        continue;
      auto [it, inserted] = sizes.emplace(t.dimNames[d], size);
      if (!inserted && it->second != size) {
        setError(error, error_size,
                 "input '%s': dim %zu ('%s') is %lld, another input gives "
                 "'%s' the size %lld",
                 t.name.c_str(), d, t.dimNames[d].c_str(), (long long)size,
                 t.dimNames[d].c_str(), (long long)it->second);
        return -1;
      }
    }
  }
  for (auto *list : {&model->inputs, &model->outputs})
    for (OwnedTensor &t : *list) {
      std::string problem = t.resolve(sizes);
      if (!problem.empty()) {
        setError(error, error_size, "%s", problem.c_str());
        return -1;
      }
    }
  model->shapesSet = true;
  return 0;
}

static const OwnedTensor *currentTensor(const ds_model *model, bool output,
                                        size_t index) {
  if (!model)
    return nullptr;
  const auto &list = output ? model->outputs : model->inputs;
  if (index >= list.size() || (model->dynamic && !model->shapesSet))
    return nullptr;
  return &list[index];
}

const int64_t *ds_model_input_shape(const ds_model *model, size_t index) {
  const OwnedTensor *t = currentTensor(model, false, index);
  return t ? t->current.data() : nullptr;
}

const int64_t *ds_model_output_shape(const ds_model *model, size_t index) {
  const OwnedTensor *t = currentTensor(model, true, index);
  return t ? t->current.data() : nullptr;
}

size_t ds_model_input_bytes(const ds_model *model, size_t index) {
  const OwnedTensor *t = currentTensor(model, false, index);
  return t ? t->currentBytes : 0;
}

size_t ds_model_output_bytes(const ds_model *model, size_t index) {
  const OwnedTensor *t = currentTensor(model, true, index);
  return t ? t->currentBytes : 0;
}

int ds_model_set_num_threads(ds_model *model, int threads) {
  if (!model)
    return -1;
  model->threads = threads < 1 ? 1 : threads;
  return 0;
}

int ds_model_run(ds_model *model, const void *const *inputs,
                 void *const *outputs) {
  if (!model || (!inputs && !model->inputs.empty()) || !outputs)
    return -1;
  if (model->dynamic && !model->shapesSet)
    return -2;
  // Dynamic sizes in, data-dependent ones (passed as their bounds) out.
  for (size_t k = 0; k < model->dimSlots.size(); ++k) {
    const auto [t, d] = model->dimSlots[k];
    model->dims[k] = t->bounds[d] ? t->bounds[d] : t->current[d];
  }
  // The entry point takes one array: inputs first, then outputs. It never
  // writes through the input pointers, so dropping const here is safe.
  size_t numInputs = model->inputs.size();
  for (size_t i = 0; i < numInputs; ++i)
    model->buffers[i] = const_cast<void *>(inputs[i]);
  for (size_t i = 0; i < model->outputs.size(); ++i)
    model->buffers[numInputs + i] = outputs[i];
  int status;
  {
    ParallelRegionThreads threads(model->threads);
    status = model->entry(model->buffers.data(),
                          model->dims.empty() ? nullptr : model->dims.data());
  }
  model->lastError.clear();
  if (model->target == "cuda") {
    model->lastError = dsCudaTakeError();
    if (!model->lastError.empty())
      return -3;
  }
  for (size_t k = 0; k < model->dimSlots.size(); ++k) {
    const auto [t, d] = model->dimSlots[k];
    if (t->bounds[d])
      t->current[d] = model->dims[k];
  }
  return status;
}

} // extern "C"
