/*===- ds_runtime.h - C API for deepseek-convert artifacts ----------------===*
 *
 * An artifact is a shared library produced by deepseek-convert. It exports
 *   int  ds_artifact_run(void *const *buffers, const int64_t *dims);
 *        buffers: inputs first, then outputs; dims: the size of every
 *        dynamic dimension, tensor by tensor in that order (NULL if none)
 *   const unsigned char ds_model_manifest[];   flatbuffers, schema Manifest.fbs
 *   const unsigned long ds_model_manifest_size;
 * This API loads one, describes its tensors and runs it. Buffers are dense,
 * row-major, caller-owned; outputs are written in place.
 *
 * A model compiled with symbolic dimensions (a dynamic batch, say) takes
 * their sizes per run: ds_model_set_input_shapes binds them from the input
 * shapes and sizes the outputs, which ds_model_output_shape then reports.
 *
 *===----------------------------------------------------------------------===*/
#ifndef DS_RUNTIME_H
#define DS_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DS_ABI_VERSION 2u

typedef struct ds_model ds_model;

/* Element types: ONNX TensorProto.DataType codes. */
enum ds_dtype {
  DS_FLOAT = 1, DS_UINT8 = 2, DS_INT8 = 3, DS_UINT16 = 4, DS_INT16 = 5,
  DS_INT32 = 6, DS_INT64 = 7, DS_BOOL = 9, DS_FLOAT16 = 10, DS_DOUBLE = 11,
  DS_UINT32 = 12, DS_UINT64 = 13, DS_BFLOAT16 = 16
};

typedef struct ds_tensor_info {
  const char *name;
  int32_t dtype;        /* enum ds_dtype */
  int32_t rank;
  const int64_t *shape; /* rank entries, as compiled; -1 marks a dynamic dim */
  size_t num_bytes;     /* dense size of the whole tensor; 0 if dynamic */
  const char *const *dim_names; /* rank entries: a dynamic dim's symbol, or
                                   "" for a static dim */
  const int64_t *dim_bounds; /* rank entries: for an output size known only
                                after the run (NonZero's count), its upper
                                bound; 0 elsewhere */
} ds_tensor_info;

/* Loads `path`: an artifact directory (holding model.so) or the library
 * itself. Returns NULL and fills `error` (if non-NULL) on failure, which
 * includes a --target cuda artifact on a machine without an NVIDIA GPU. */
ds_model *ds_model_load(const char *path, char *error, size_t error_size);
void ds_model_free(ds_model *model);

size_t ds_model_num_inputs(const ds_model *model);
size_t ds_model_num_outputs(const ds_model *model);
/* NULL when the index is out of range. Valid until ds_model_free. */
const ds_tensor_info *ds_model_input(const ds_model *model, size_t index);
const ds_tensor_info *ds_model_output(const ds_model *model, size_t index);
const char *ds_model_target(const ds_model *model);

/* Whether any input or output has a dynamic dimension. */
int ds_model_is_dynamic(const ds_model *model);

/* Fixes the sizes of the dynamic dimensions for the runs that follow:
 * `input_shapes[i]` points at ds_model_input(model, i)->rank sizes. Static
 * dims must match what was compiled and dims sharing a symbol must agree.
 * Returns 0, or -1 with `error` (if non-NULL) filled. */
int ds_model_set_input_shapes(ds_model *model,
                              const int64_t *const *input_shapes, char *error,
                              size_t error_size);

/* The shape (rank entries) of input or output `index` for the shapes set
 * last (for a static model, the compiled one), and the bytes to allocate
 * for it. A data-dependent output dim reads as its bound before a run and
 * as the size found after it; the output is then dense at the start of its
 * buffer. NULL / 0 when the index is out of range or the dynamic sizes are
 * not set yet. */
const int64_t *ds_model_input_shape(const ds_model *model, size_t index);
const int64_t *ds_model_output_shape(const ds_model *model, size_t index);
size_t ds_model_input_bytes(const ds_model *model, size_t index);
size_t ds_model_output_bytes(const ds_model *model, size_t index);

/* Threads the model's runs may use (default 1): its thread-level tile
 * loops are split into that many contiguous chunks. Results are the same
 * for every thread count. Returns 0, or -1 for a null model. */
int ds_model_set_num_threads(ds_model *model, int threads);

/* Runs the model once. `inputs` and `outputs` hold one buffer per tensor, in
 * manifest order, sized as ds_model_input_bytes / ds_model_output_bytes say.
 * Returns 0 on success, -1 on bad arguments, -2 when the model is dynamic
 * and ds_model_set_input_shapes has not succeeded, -3 when a GPU call
 * failed (ds_model_last_error says which). */
int ds_model_run(ds_model *model, const void *const *inputs,
                 void *const *outputs);

/* Why the last ds_model_run returned -3; "" after a successful run.
 * --target cuda models may run on several threads at once, but
 * ds_model_free of one must not overlap a run of another: freeing a model
 * unloads the kernels and weights the runtime keeps on the GPU. */
const char *ds_model_last_error(const ds_model *model);

/* Size in bytes of one element of `dtype`, 0 when unknown. */
size_t ds_dtype_size(int32_t dtype);

/* Layer timing. Artifacts built with per-layer instrumentation (the builds
 * deepseek-profile makes) call ds_profile_mark at every layer boundary;
 * the runtime records the layer number and a monotonic timestamp in
 * nanoseconds. ds_profile_take copies up to `capacity` of the marks
 * recorded since the last take, oldest first, forgets them all and
 * returns how many there were. Marks come from the thread that called
 * ds_model_run; profile one model at a time. */
void ds_profile_mark(int32_t layer);
size_t ds_profile_take(int32_t *layers, uint64_t *ns, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* DS_RUNTIME_H */
