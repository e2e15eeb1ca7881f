//===- ds-exec.cpp - Run an artifact for deepseek-run on another machine --===//
//
// The part of deepseek-run that must run on the artifact's architecture:
// deepseek-run starts it (under qemu-aarch64 for an aarch64 artifact on
// x86-64) and keeps the tensor files, checks and reports on its side.
//
//   ds-exec describe ARTIFACT
//     one line per tensor: "input|output DTYPE RANK DIMS... NAME"
//   ds-exec run ARTIFACT DIR THREADS BENCH WARMUP
//     reads DIR/input_<i>.bin, runs the model once and writes
//     DIR/output_<i>.bin (ds_exec.h); with BENCH > 0, times BENCH
//     more runs after WARMUP untimed ones and prints "latency_ms" lines, one
//     per timed run
//
// Exit status: 0 ok, 2 on any failure, with the reason on stderr. Only the
// C runtime, so that it builds with nothing but a cross compiler.
//
//===----------------------------------------------------------------------===//
#include "ds_exec.h"
#include "ds_runtime.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

using ds::exec::RawTensor;

int fail(const std::string &message) {
  std::fprintf(stderr, "ds-exec: %s\n", message.c_str());
  return 2;
}

using ModelPtr = std::unique_ptr<ds_model, void (*)(ds_model *)>;

ModelPtr load(const char *path, std::string &error) {
  char message[1024] = "";
  ModelPtr model(ds_model_load(path, message, sizeof(message)), ds_model_free);
  if (!model)
    error = message;
  return model;
}

void describeTensor(const char *kind, const ds_tensor_info &info) {
  std::printf("%s %d %d", kind, info.dtype, info.rank);
  for (int32_t d = 0; d < info.rank; ++d)
    std::printf(" %lld", static_cast<long long>(info.shape[d]));
  std::printf(" %s\n", info.name);
}

int describe(const char *artifact) {
  std::string error;
  ModelPtr model = load(artifact, error);
  if (!model)
    return fail(error);
  for (size_t i = 0; i < ds_model_num_inputs(model.get()); ++i)
    describeTensor("input", *ds_model_input(model.get(), i));
  for (size_t i = 0; i < ds_model_num_outputs(model.get()); ++i)
    describeTensor("output", *ds_model_output(model.get(), i));
  return std::fflush(stdout) == 0 ? 0 : 2;
}

int run(const char *artifact, const std::string &dir, int threads, int bench,
        int warmup) {
  std::string error;
  ModelPtr model = load(artifact, error);
  if (!model)
    return fail(error);
  ds_model_set_num_threads(model.get(), threads);
  // deepseek-run checked the inputs against the model.
  std::vector<RawTensor> inputs(ds_model_num_inputs(model.get()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string path = ds::exec::tensorPath(dir, "input", i);
    if (!ds::exec::readRawTensor(path, ds_dtype_size, inputs[i]))
      return fail("cannot read '" + path + "'");
  }
  std::vector<RawTensor> outputs;
  std::vector<double> latencies;
  if (!ds::exec::runModel(model.get(), artifact, inputs, bench, warmup, outputs,
                          latencies, error))
    return fail(error);
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::string path = ds::exec::tensorPath(dir, "output", i);
    if (!ds::exec::writeRawTensor(path, outputs[i]))
      return fail("cannot write '" + path + "'");
  }
  for (double ms : latencies)
    std::printf("latency_ms %.9g\n", ms);
  return std::fflush(stdout) == 0 ? 0 : 2;
}

int parseCount(const char *text, int &value) {
  char *end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < 0 || v > 1 << 30)
    return -1;
  value = static_cast<int>(v);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc == 3 && std::strcmp(argv[1], "describe") == 0)
    return describe(argv[2]);
  int threads = 0, bench = 0, warmup = 0;
  if (argc == 7 && std::strcmp(argv[1], "run") == 0 &&
      parseCount(argv[4], threads) == 0 && threads > 0 &&
      parseCount(argv[5], bench) == 0 && parseCount(argv[6], warmup) == 0)
    return run(argv[2], argv[3], threads, bench, warmup);
  return fail("usage: ds-exec describe ARTIFACT | ds-exec run ARTIFACT DIR "
              "THREADS BENCH WARMUP (started by deepseek-run)");
}
