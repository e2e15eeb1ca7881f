//===- deepseek-run.cpp - Run a compiled artifact on tensor files ---------===//
//
// Loads an artifact through ds_runtime, feeds it input_<i>.pb files, writes
// and/or checks output_<i>.pb files and optionally times repeated runs.
// Exit codes: 0 ok, 1 output mismatch, 2 usage, input or load failure.
//
//===----------------------------------------------------------------------===//

#include "compiler/Support/TensorFile.h"
#include "compiler/Support/Version.h"

#include "ds_runtime.h"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

namespace {

using ds::support::Tensor;

constexpr int kExitOk = 0;
constexpr int kExitMismatch = 1;
constexpr int kExitFailure = 2;

// Generated code may use aligned vector loads; give every buffer a cache
// line alignment rather than whatever the allocator returns.
constexpr size_t kBufferAlignment = 64;

struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};
using Buffer = std::unique_ptr<uint8_t, FreeDeleter>;

Buffer allocateBuffer(size_t bytes) {
  // aligned_alloc wants a non-zero multiple of the alignment.
  size_t rounded =
      std::max(kBufferAlignment, (bytes + kBufferAlignment - 1) /
                                     kBufferAlignment * kBufferAlignment);
  auto *p = static_cast<uint8_t *>(std::aligned_alloc(kBufferAlignment, rounded));
  if (p)
    std::memset(p, 0, rounded);
  return Buffer(p);
}

struct Options {
  std::string artifact;
  std::string inputsDir;
  std::string outputsDir;
  std::string expectedDir;
  double rtol = 1e-3;
  double atol = 1e-5;
  int bench = 0;
  int warmup = 1;
  int threads = 1;
};

int fail(const std::string &message) {
  spdlog::error("{}", message);
  return kExitFailure;
}

std::string tensorFile(const std::string &dir, const char *kind, size_t i) {
  return dir + "/" + kind + "_" + std::to_string(i) + ".pb";
}

bool isDirectory(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<int64_t> shapeOf(const ds_tensor_info &info) {
  return std::vector<int64_t>(info.shape, info.shape + info.rank);
}

// numpy has no bfloat16, so ONNX's own test data stores bfloat16 tensors as
// uint16 bit patterns; accept them as what the model declares.
void adoptBFloat16Bits(Tensor &tensor, int32_t modelDtype) {
  if (modelDtype == DS_BFLOAT16 && tensor.dtype == DS_UINT16)
    tensor.dtype = DS_BFLOAT16;
}

// Reads input_<i>.pb and checks it against what the model declares (a
// dynamic dim takes any size; the sizes are bound afterwards).
bool readInput(const Options &opts, const ds_tensor_info &info, size_t i,
               Tensor &tensor, std::string &error) {
  std::string path = tensorFile(opts.inputsDir, "input", i);
  if (!ds::support::readTensorFile(path, tensor, error))
    return false;
  std::vector<int64_t> shape = shapeOf(info);
  adoptBFloat16Bits(tensor, info.dtype);
  bool fits = tensor.dtype == info.dtype && tensor.shape.size() == shape.size();
  for (size_t d = 0; fits && d < shape.size(); ++d)
    fits = shape[d] < 0 || shape[d] == tensor.shape[d];
  if (!fits) {
    error = "'" + path + "': input " + std::to_string(i) + " '" + info.name +
            "' expects " + ds::support::formatType(info.dtype, shape) +
            ", got " + ds::support::formatType(tensor.dtype, tensor.shape);
    return false;
  }
  return true;
}

void printLatency(std::vector<double> &ms) {
  std::sort(ms.begin(), ms.end());
  size_t n = ms.size();
  double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  std::printf("latency_ms min=%.6g median=%.6g max=%.6g runs=%zu\n",
              ms.front(), median, ms.back(), n);
}

int runArtifact(const Options &opts) {
  char loadError[1024] = "";
  std::unique_ptr<ds_model, void (*)(ds_model *)> model(
      ds_model_load(opts.artifact.c_str(), loadError, sizeof(loadError)),
      ds_model_free);
  if (!model)
    return fail(loadError);
  ds_model_set_num_threads(model.get(), opts.threads);
  size_t numInputs = ds_model_num_inputs(model.get());
  size_t numOutputs = ds_model_num_outputs(model.get());

  std::vector<Buffer> inputs(numInputs);
  if (numInputs > 0) {
    if (opts.inputsDir.empty())
      return fail("the model takes " + std::to_string(numInputs) +
                  " input(s): pass --inputs DIR");
    if (!isDirectory(opts.inputsDir))
      return fail("inputs directory '" + opts.inputsDir + "' does not exist");
  }
  std::vector<Tensor> inputTensors(numInputs);
  for (size_t i = 0; i < numInputs; ++i) {
    std::string error;
    if (!readInput(opts, *ds_model_input(model.get(), i), i, inputTensors[i],
                   error))
      return fail(error);
  }
  if (ds_model_is_dynamic(model.get())) {
    // Dynamic dims take their sizes from the input files.
    std::vector<const int64_t *> shapes;
    for (const Tensor &t : inputTensors)
      shapes.push_back(t.shape.data());
    char shapeError[1024] = "";
    if (ds_model_set_input_shapes(model.get(), shapes.data(), shapeError,
                                  sizeof(shapeError)))
      return fail("'" + opts.artifact + "': " + shapeError);
  }
  for (size_t i = 0; i < numInputs; ++i) {
    size_t bytes = ds_model_input_bytes(model.get(), i);
    inputs[i] = allocateBuffer(bytes);
    if (!inputs[i] && bytes)
      return fail("out of memory allocating input " + std::to_string(i));
    std::memcpy(inputs[i].get(), inputTensors[i].data.data(), bytes);
  }
  inputTensors.clear();
  if (!opts.inputsDir.empty()) {
    std::string extra = tensorFile(opts.inputsDir, "input", numInputs);
    if (::access(extra.c_str(), F_OK) == 0)
      spdlog::warn("ignoring '{}': the model takes {} input(s)", extra,
                   numInputs);
  }

  std::vector<Buffer> outputs(numOutputs);
  for (size_t i = 0; i < numOutputs; ++i) {
    outputs[i] = allocateBuffer(ds_model_output_bytes(model.get(), i));
    if (!outputs[i])
      return fail("out of memory allocating output " + std::to_string(i));
  }
  std::vector<const void *> inputPtrs;
  for (const Buffer &b : inputs)
    inputPtrs.push_back(b.get());
  std::vector<void *> outputPtrs;
  for (const Buffer &b : outputs)
    outputPtrs.push_back(b.get());
  auto runOnce = [&]() {
    return ds_model_run(model.get(), inputPtrs.data(), outputPtrs.data());
  };

  if (int status = runOnce()) {
    std::string why = ds_model_last_error(model.get());
    return fail("'" + opts.artifact + "': model run failed with status " +
                std::to_string(status) + (why.empty() ? "" : ": " + why));
  }

  if (!opts.outputsDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(opts.outputsDir, ec);
    if (ec)
      return fail("cannot create outputs directory '" + opts.outputsDir +
                  "': " + ec.message());
  }
  bool mismatch = false;
  for (size_t i = 0; i < numOutputs; ++i) {
    const ds_tensor_info &info = *ds_model_output(model.get(), i);
    Tensor actual;
    actual.name = info.name;
    actual.dtype = info.dtype;
    // After the run: data-dependent dims hold the sizes found, and the
    // output is dense at the start of its (bound-sized) buffer.
    const int64_t *shape = ds_model_output_shape(model.get(), i);
    actual.shape.assign(shape, shape + info.rank);
    size_t bytes = ds_dtype_size(info.dtype);
    for (int64_t d : actual.shape)
      bytes *= static_cast<size_t>(d);
    actual.data.assign(outputs[i].get(), outputs[i].get() + bytes);
    std::string error;
    if (!opts.outputsDir.empty() &&
        !ds::support::writeTensorFile(tensorFile(opts.outputsDir, "output", i),
                                      actual, error))
      return fail(error);
    if (opts.expectedDir.empty()) {
      std::printf("output %zu '%s': %s\n", i, info.name,
                  ds::support::formatType(info.dtype, actual.shape).c_str());
      continue;
    }
    Tensor expected;
    if (!ds::support::readTensorFile(
            tensorFile(opts.expectedDir, "output", i), expected, error))
      return fail(error);
    adoptBFloat16Bits(expected, info.dtype);
    ds::support::CompareResult cmp =
        ds::support::compareTensors(actual, expected, opts.rtol, opts.atol);
    if (cmp.ok) {
      std::printf("output %zu '%s': ok (max |diff| %.3g)\n", i, info.name,
                  cmp.worstError);
    } else {
      std::printf("%s\n", cmp.message.c_str());
      mismatch = true;
    }
  }

  if (opts.bench > 0) {
    for (int i = 0; i < opts.warmup; ++i)
      if (int status = runOnce())
        return fail("warm-up run failed with status " + std::to_string(status));
    std::vector<double> ms;
    for (int i = 0; i < opts.bench; ++i) {
      auto start = std::chrono::steady_clock::now();
      int status = runOnce();
      auto end = std::chrono::steady_clock::now();
      if (status)
        return fail("timed run failed with status " + std::to_string(status));
      ms.push_back(
          std::chrono::duration<double, std::milli>(end - start).count());
    }
    printLatency(ms);
  }
  std::fflush(stdout);
  return mismatch ? kExitMismatch : kExitOk;
}

} // namespace

int main(int argc, char **argv) {
  auto logger = spdlog::stderr_logger_st("deepseek-run");
  logger->set_pattern("%n: %l: %v");
  spdlog::set_default_logger(logger);

  Options opts;
  CLI::App app{"Runs a deepseek-convert artifact on ONNX tensor files "
               "(input_<i>.pb), writes or checks its outputs (output_<i>.pb) "
               "and optionally benchmarks it.\n"
               "Exit status: 0 ok, 1 output mismatch, 2 usage, input or load "
               "error.",
               "deepseek-run"};
  app.add_option("artifact", opts.artifact,
                 "Artifact directory (holding model.so) or the model.so itself")
      ->required();
  app.add_option("--inputs", opts.inputsDir,
                 "Directory with input_<i>.pb, one per model input");
  app.add_option("--outputs", opts.outputsDir,
                 "Write output_<i>.pb files here (created if missing)");
  app.add_option("--expected", opts.expectedDir,
                 "Compare with output_<i>.pb files in this directory");
  app.add_option("--rtol", opts.rtol, "Relative tolerance for float outputs")
      ->capture_default_str();
  app.add_option("--atol", opts.atol, "Absolute tolerance for float outputs")
      ->capture_default_str();
  CLI::Option *bench =
      app.add_option("--bench", opts.bench,
                     "Time N runs and print latency_ms min/median/max")
          ->check(CLI::Range(1, INT_MAX));
  app.add_option("--warmup", opts.warmup, "Untimed runs before --bench")
      ->capture_default_str()
      ->check(CLI::Range(0, INT_MAX))
      ->needs(bench);
  app.add_option("--threads", opts.threads,
                 "Threads the model's parallel loops may use (results do not "
                 "depend on it)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));

  app.set_version_flag("--version", ds::support::versionText("deepseek-run"));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    // --help is reported as a "successful" parse error.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
      return app.exit(e);
    return fail(e.what());
  }
  // Written so that NaN fails too.
  if (!(opts.rtol >= 0) || !(opts.atol >= 0))
    return fail("--rtol and --atol must be non-negative numbers");
  return runArtifact(opts);
}
