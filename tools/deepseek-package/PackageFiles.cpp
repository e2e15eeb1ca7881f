//===- PackageFiles.cpp - Generated files of a deployment package ---------===//

#include "tools/deepseek-package/PackageFiles.h"

#include <algorithm>
#include <cstring>

namespace ds::package {

const char *dtypeName(int onnxDtype) {
  switch (onnxDtype) {
  case 1:
    return "float32";
  case 2:
    return "uint8";
  case 3:
    return "int8";
  case 4:
    return "uint16";
  case 5:
    return "int16";
  case 6:
    return "int32";
  case 7:
    return "int64";
  case 9:
    return "bool";
  case 10:
    return "float16";
  case 11:
    return "float64";
  case 12:
    return "uint32";
  case 13:
    return "uint64";
  case 16:
    return "bfloat16";
  default:
    return "unknown";
  }
}

std::string exampleSource() {
  return R"(/* example.c - runs the packaged model once through the deepseek runtime C API
 * (include/ds_runtime.h): loads it, feeds zero-filled inputs of the shapes it
 * was compiled for and prints the shape of every output.
 *
 *   usage: ./example [ARTIFACT_DIR]     (default: model)
 *   exit status: 0 ok, 1 the run failed, 2 the model could not be loaded
 */
#include "ds_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Generated code may use aligned vector loads: give every buffer a
 * cache-line alignment (aligned_alloc wants a multiple of it). */
static void *zeroed_buffer(size_t bytes) {
  size_t rounded = bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
  void *p = aligned_alloc(64, rounded);
  if (p)
    memset(p, 0, rounded);
  return p;
}

static const char *dtype_name(int32_t dtype) {
  switch (dtype) {
  case DS_FLOAT: return "float32";
  case DS_UINT8: return "uint8";
  case DS_INT8: return "int8";
  case DS_UINT16: return "uint16";
  case DS_INT16: return "int16";
  case DS_INT32: return "int32";
  case DS_INT64: return "int64";
  case DS_BOOL: return "bool";
  case DS_FLOAT16: return "float16";
  case DS_DOUBLE: return "float64";
  case DS_UINT32: return "uint32";
  case DS_UINT64: return "uint64";
  case DS_BFLOAT16: return "bfloat16";
  default: return "unknown";
  }
}

static void print_shape(const char *kind, size_t index,
                        const ds_tensor_info *info, const int64_t *shape) {
  printf("%s %zu '%s': %s [", kind, index, info->name,
         dtype_name(info->dtype));
  for (int32_t d = 0; d < info->rank; ++d)
    printf("%s%lld", d ? ", " : "", (long long)shape[d]);
  printf("]\n");
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "model";
  char error[1024] = "";
  ds_model *model = ds_model_load(path, error, sizeof error);
  if (!model) {
    fprintf(stderr, "example: %s\n", error);
    return 2;
  }
  size_t num_inputs = ds_model_num_inputs(model);
  size_t num_outputs = ds_model_num_outputs(model);
  printf("model '%s': target %s, %zu input(s), %zu output(s)\n", path,
         ds_model_target(model), num_inputs, num_outputs);

  int status = 1;
  size_t i;
  int32_t d;
  int rc;
  void **inputs = calloc(num_inputs + 1, sizeof *inputs);
  void **outputs = calloc(num_outputs + 1, sizeof *outputs);
  int64_t **shapes = calloc(num_inputs + 1, sizeof *shapes);
  if (!inputs || !outputs || !shapes)
    goto out_of_memory;

  if (ds_model_is_dynamic(model)) {
    /* Dynamic dimensions (a batch, a sequence length) take size 1 here;
     * a real program passes the sizes of its data. */
    for (i = 0; i < num_inputs; ++i) {
      const ds_tensor_info *info = ds_model_input(model, i);
      shapes[i] = calloc((size_t)info->rank + 1, sizeof **shapes);
      if (!shapes[i])
        goto out_of_memory;
      for (d = 0; d < info->rank; ++d)
        shapes[i][d] = info->shape[d] < 0 ? 1 : info->shape[d];
    }
    if (ds_model_set_input_shapes(model, (const int64_t *const *)shapes, error,
                                  sizeof error) != 0) {
      fprintf(stderr, "example: %s\n", error);
      goto done;
    }
  }
  for (i = 0; i < num_inputs; ++i) {
    print_shape("input", i, ds_model_input(model, i),
                ds_model_input_shape(model, i));
    if (!(inputs[i] = zeroed_buffer(ds_model_input_bytes(model, i))))
      goto out_of_memory;
  }
  for (i = 0; i < num_outputs; ++i)
    if (!(outputs[i] = zeroed_buffer(ds_model_output_bytes(model, i))))
      goto out_of_memory;

  rc = ds_model_run(model, (const void *const *)inputs, outputs);
  if (rc != 0) {
    fprintf(stderr, "example: run failed with status %d: %s\n", rc,
            ds_model_last_error(model));
    goto done;
  }
  /* After the run: a data-dependent dimension holds the size found. */
  for (i = 0; i < num_outputs; ++i)
    print_shape("output", i, ds_model_output(model, i),
                ds_model_output_shape(model, i));
  status = 0;
  goto done;

out_of_memory:
  fprintf(stderr, "example: out of memory\n");
done:
  for (i = 0; inputs && i < num_inputs; ++i)
    free(inputs[i]);
  for (i = 0; outputs && i < num_outputs; ++i)
    free(outputs[i]);
  for (i = 0; shapes && i < num_inputs; ++i)
    free(shapes[i]);
  free(inputs);
  free(outputs);
  free(shapes);
  ds_model_free(model);
  return status;
}
)";
}

std::string makefileText() {
  return std::string(
      "# Builds example.c against the packaged runtime. The rpath "
      "lets ./example find\n"
      "# lib/libds_runtime.so without LD_LIBRARY_PATH. To "
      "cross-compile, pass CC:\n"
      "#   make CC=aarch64-linux-gnu-gcc\n"
      "CC ?= cc\n"
      "CFLAGS ?= -O2\n"
      "\n"
      "example: example.c include/ds_runtime.h\n"
      "\t$(CC) $(CFLAGS) -std=c11 -Iinclude -o $@ example.c -Llib "
      "-lds_runtime \\\n"
      "\t  -Wl,-rpath,'$$ORIGIN/lib'\n"
      "\n"
      "run: example\n"
      "\t./example model\n"
      "\n"
      "clean:\n"
      "\trm -f example\n"
      "\n"
      ".PHONY: run clean\n");
}

namespace {

// What each kind of packaged file is, for the README's table of contents.
std::string describe(const std::string &path) {
  auto endsWith = [&](const char *suffix) {
    size_t n = std::strlen(suffix);
    return path.size() >= n && path.compare(path.size() - n, n, suffix) == 0;
  };
  if (endsWith("/model.so"))
    return "the compiled model (shared library)";
  if (endsWith("/model.h"))
    return "its C entry point, one comment per tensor";
  if (endsWith("/report.json"))
    return "what deepseek-convert did: fusions, quantization, sizes";
  if (endsWith(".ptx"))
    return "the GPU kernels as PTX (also embedded in model.so)";
  if (endsWith(".dsm"))
    return "the model's manifest and weights";
  if (path == kRuntimeHeader)
    return "the runtime's C API";
  if (path == kRuntimeLibrary)
    return "the runtime: loads and runs model.so";
  if (path == kExample)
    return "loads the model, runs it on zero inputs, prints output shapes";
  if (path == kMakefile)
    return "builds example.c";
  if (path == kReadme)
    return "this file";
  if (path == kManifest)
    return "platform, target, tensors and the SHA-256 of every file";
  return "";
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t d = 0; d < shape.size(); ++d)
    text += (d ? ", " : "") + std::to_string(shape[d]);
  return text + "]";
}

} // namespace

std::string readmeText(const std::string &packageName,
                       const ds::support::Platform &platform,
                       const ds::support::ArtifactTarget &artifact,
                       const std::vector<std::string> &files,
                       const std::vector<TensorDesc> &outputs) {
  std::string title =
      packageName + ": a deepseek-convert model for " + platform.name;
  std::string text = title + "\n" + std::string(title.size(), '=') + "\n\n";
  text += std::string("Platform: ") + platform.name + " - " +
          platform.description + ".\n";
  text += "The model was compiled for --target " + artifact.target + ", CPU " +
          artifact.cpu + (artifact.gpu.empty() ? "" : ", GPU " + artifact.gpu) +
          ".\n";
  text += std::string("For this platform compile with: deepseek-convert ") +
          ds::support::convertFlags(platform) + "\n\n";

  text += "Contents\n";
  size_t width = 0;
  for (const std::string &f : files)
    width = std::max(width, f.size());
  for (const std::string &f : files)
    text +=
        "  " + f + std::string(width + 2 - f.size(), ' ') + describe(f) + "\n";

  text += "\nBuild and run, on the target machine, in this directory\n"
          "  make\n"
          "  ./example model\n"
          "or build by hand:\n"
          "  ";
  text += kBuildCommand;
  text += "\nFrom another machine, cross-compile with that machine's C "
          "compiler for\n";
  text +=
      std::string(platform.arch) + " Linux, e.g. make CC=" +
      (std::strcmp(platform.arch, "aarch64") == 0 ? "aarch64-linux-gnu-gcc"
                                                  : "x86_64-linux-gnu-gcc") +
      ".\n\n";

  text += "It prints the model's target, its inputs (all zeros) and one line "
          "per output:\n";
  for (size_t i = 0; i < outputs.size(); ++i)
    text += "  output " + std::to_string(i) + " '" + outputs[i].name +
            "': " + dtypeName(outputs[i].dtype) + " " +
            shapeText(outputs[i].shape) + "\n";
  bool dynamic = false;
  for (const TensorDesc &t : outputs)
    dynamic = dynamic || std::count(t.shape.begin(), t.shape.end(), -1) > 0;
  if (dynamic)
    text += "(-1: a size set at run time; the example gives every dynamic "
            "input dimension\nsize 1.)\n";
  text += "\n";

  text += "Needs Linux with glibc and libstdc++ (libds_runtime.so is C++)";
  if (*platform.gpu)
    text += std::string(", an NVIDIA GPU of architecture ") + platform.gpu +
            " or newer and its driver (libcuda.so.1); without a driver the "
            "example exits with status 2 and says so";
  text += ".\n\n";

  text += "Your own program: include ds_runtime.h, link -lds_runtime, and "
          "call\nds_model_load(\"model\", ...) as example.c does. The "
          "tensors, their types and\nshapes are also in manifest.json, "
          "with the SHA-256 of every file in \"files\".\n";
  return text;
}

} // namespace ds::package
