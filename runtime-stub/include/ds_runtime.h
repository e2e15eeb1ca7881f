/*===- ds_runtime.h - C API for deepseek-convert artifacts ----------------===*
 *
 * An artifact is a shared library produced by deepseek-convert. It exports
 *   int  ds_artifact_run(void *const *buffers); inputs first, then outputs
 *   const unsigned char ds_model_manifest[];   flatbuffers, schema Manifest.fbs
 *   const unsigned long ds_model_manifest_size;
 * This API loads one, describes its tensors and runs it. Buffers are dense,
 * row-major, caller-owned; outputs are written in place.
 *
 *===----------------------------------------------------------------------===*/
#ifndef DS_RUNTIME_H
#define DS_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DS_ABI_VERSION 1u

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
  const int64_t *shape; /* rank entries */
  size_t num_bytes;     /* dense size of the whole tensor */
} ds_tensor_info;

/* Loads `path`: an artifact directory (holding model.so) or the library
 * itself. Returns NULL and fills `error` (if non-NULL) on failure. */
ds_model *ds_model_load(const char *path, char *error, size_t error_size);
void ds_model_free(ds_model *model);

size_t ds_model_num_inputs(const ds_model *model);
size_t ds_model_num_outputs(const ds_model *model);
/* NULL when the index is out of range. Valid until ds_model_free. */
const ds_tensor_info *ds_model_input(const ds_model *model, size_t index);
const ds_tensor_info *ds_model_output(const ds_model *model, size_t index);
const char *ds_model_target(const ds_model *model);

/* Runs the model once. `inputs` and `outputs` hold one buffer per tensor, in
 * manifest order. Returns 0 on success. */
int ds_model_run(ds_model *model, const void *const *inputs,
                 void *const *outputs);

/* Size in bytes of one element of `dtype`, 0 when unknown. */
size_t ds_dtype_size(int32_t dtype);

#ifdef __cplusplus
}
#endif

#endif /* DS_RUNTIME_H */
