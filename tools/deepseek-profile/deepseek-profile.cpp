//===- deepseek-profile.cpp - per-layer FLOPs, latency and memory ---------===//
//
// Rebuilds a deepseek-convert artifact from the model and options its
// report.json records, with a timestamp call at every layer boundary
// (ds-instrument-layers), runs that build on given or generated inputs, and
// reports each layer after fusion: FLOPs, median time and share, bytes of
// weights and activations, as a table, JSON or an HTML page.
// Exit codes: 0 ok, 1 internal failure, 2 bad input.
//
//===----------------------------------------------------------------------===//

#include "compiler/Driver/Driver.h"
#include "compiler/Support/AtomicOutput.h"
#include "compiler/Support/TensorFile.h"
#include "compiler/Support/Version.h"
#include "tools/deepseek-profile/ProfileReport.h"

#include "ds_runtime.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>

namespace {

constexpr int kExitInternal = 1;
constexpr int kExitBadInput = 2;

struct Options {
  std::string model;
  std::string inputsDir;
  int64_t batchSize = 0; // 0: as compiled (dynamic batch: 1)
  std::vector<std::string> metrics = {"flops", "latency", "memory"};
  std::string jsonPath, htmlPath;
  int runs = 20, warmup = 2, threads = 1;
};

int fail(int code, const std::string &message) {
  std::fprintf(stderr, "deepseek-profile: error: %s\n", message.c_str());
  return code;
}

/// A scratch directory removed on exit.
struct ScratchDir {
  std::string path;
  ~ScratchDir() {
    if (!path.empty())
      llvm::sys::fs::remove_directories(path);
  }
};

/// The inputs to run on: read from --inputs, or generated (floats uniform
/// in [-1, 1) from a fixed seed, integers and bools 0) at the compiled
/// shape with dynamic dims at --batch-size (dim 0) or 1.
bool prepareInputs(const Options &opts, ds_model *model,
                   std::vector<ds::support::Tensor> &tensors,
                   std::string &error) {
  size_t count = ds_model_num_inputs(model);
  std::mt19937 random(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (size_t i = 0; i < count; ++i) {
    const ds_tensor_info *info = ds_model_input(model, i);
    ds::support::Tensor t;
    if (!opts.inputsDir.empty()) {
      std::string path = opts.inputsDir + "/input_" + std::to_string(i) + ".pb";
      if (!ds::support::readTensorFile(path, t, error))
        return false;
      if (t.dtype != info->dtype || (int32_t)t.shape.size() != info->rank) {
        error = "'" + path + "' holds " +
                ds::support::formatType(t.dtype, t.shape) + "; input '" +
                info->name + "' is " +
                ds::support::formatType(
                    info->dtype, {info->shape, info->shape + info->rank});
        return false;
      }
    } else {
      t.name = info->name;
      t.dtype = info->dtype;
      for (int32_t d = 0; d < info->rank; ++d) {
        int64_t size = info->shape[d];
        if (size < 0 && d > 0) {
          error = std::string("input '") + info->name + "' has dynamic dim " +
                  std::to_string(d) +
                  " besides the batch; give its inputs with --inputs DIR";
          return false;
        }
        if (d == 0 && opts.batchSize > 0) {
          if (size >= 0 && size != opts.batchSize) {
            error = std::string("input '") + info->name +
                    "' has its batch fixed at " + std::to_string(size) +
                    " by the compiled model; --batch-size " +
                    std::to_string(opts.batchSize) + " cannot change it";
            return false;
          }
          size = opts.batchSize;
        }
        t.shape.push_back(size < 0 ? 1 : size);
      }
      size_t elementSize = ds_dtype_size(t.dtype);
      t.data.assign(t.numElements() * elementSize, 0);
      if (t.dtype == DS_FLOAT)
        for (size_t e = 0; e < t.numElements(); ++e) {
          float v = uniform(random);
          std::memcpy(t.data.data() + e * 4, &v, 4);
        }
    }
    tensors.push_back(std::move(t));
  }
  if (ds_model_is_dynamic(model)) {
    std::vector<const int64_t *> shapes;
    for (const auto &t : tensors)
      shapes.push_back(t.shape.data());
    char message[512] = "";
    if (ds_model_set_input_shapes(model, shapes.data(), message,
                                  sizeof(message)) != 0) {
      error = message;
      return false;
    }
  }
  return true;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n == 0  ? 0
         : n % 2 ? values[n / 2]
                 : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int profile(const Options &opts) {
  // What was compiled, and how.
  llvm::SmallString<256> reportPath(opts.model);
  llvm::sys::path::append(reportPath, "report.json");
  auto text = llvm::MemoryBuffer::getFile(reportPath);
  if (!text)
    return fail(kExitBadInput, "'" + opts.model +
                                   "' is not a deepseek-convert output "
                                   "directory (no report.json)");
  auto report = llvm::json::parse((*text)->getBuffer());
  const llvm::json::Object *root = report ? report->getAsObject() : nullptr;
  if (!report)
    llvm::consumeError(report.takeError());
  auto input = root ? root->getString("input") : std::nullopt;
  const llvm::json::Object *recorded =
      root ? root->getObject("options") : nullptr;
  if (!input || !recorded)
    return fail(kExitBadInput,
                "'" + std::string(reportPath) +
                    "' does not record the model and its options; recompile "
                    "it with this version of deepseek-convert");
  mlir::ds::CompileOptions build;
  std::string error;
  if (!mlir::ds::codegenOptionsFromJson(*recorded, build, error))
    return fail(kExitBadInput, std::string(reportPath) + ": " + error);
  if (build.target != "x86_64")
    return fail(kExitBadInput,
                "'" + opts.model + "' was compiled for " + build.target +
                    "; deepseek-profile times layers on the host CPU "
                    "(x86_64) only");
  if (!llvm::sys::fs::exists(*input))
    return fail(kExitBadInput,
                "the model '" + input->str() + "' that '" +
                    std::string(reportPath) +
                    "' names is not there; deepseek-profile rebuilds from it "
                    "(run it where deepseek-convert ran)");

  // The instrumented build, in a scratch directory.
  ScratchDir scratch;
  llvm::SmallString<128> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("ds-profile", dir))
    return fail(kExitInternal,
                "cannot create a scratch directory: " + ec.message());
  scratch.path = std::string(dir);
  build.inputPath = input->str();
  build.outputDir = scratch.path + "/build";
  build.instrumentLayers = true;
  build.measureSimilarity = false;
  if (auto status = mlir::ds::compileModel(build);
      status != mlir::ds::CompileStatus::Success)
    return fail((int)status,
                "the instrumented build of '" + input->str() + "' failed");
  auto built = llvm::MemoryBuffer::getFile(build.outputDir + "/report.json");
  auto builtReport = built ? llvm::json::parse((*built)->getBuffer())
                           : llvm::Expected<llvm::json::Value>(nullptr);
  const llvm::json::Array *layerInfo = nullptr;
  if (builtReport && builtReport->getAsObject())
    layerInfo = builtReport->getAsObject()->getArray("profile_layers");
  else if (!builtReport)
    llvm::consumeError(builtReport.takeError());
  if (!layerInfo)
    return fail(kExitInternal, "the instrumented build lists no layers");

  char loadError[1024] = "";
  std::unique_ptr<ds_model, void (*)(ds_model *)> model(
      ds_model_load(build.outputDir.c_str(), loadError, sizeof(loadError)),
      ds_model_free);
  if (!model)
    return fail(kExitInternal, loadError);
  ds_model_set_num_threads(model.get(), opts.threads);
  std::vector<ds::support::Tensor> inputs;
  if (!prepareInputs(opts, model.get(), inputs, error))
    return fail(kExitBadInput, error);
  std::vector<const void *> inputPtrs;
  for (auto &t : inputs)
    inputPtrs.push_back(t.data.data());
  std::vector<std::vector<uint8_t>> outputs(ds_model_num_outputs(model.get()));
  std::vector<void *> outputPtrs;
  for (size_t i = 0; i < outputs.size(); ++i) {
    outputs[i].assign(
        std::max<size_t>(1, ds_model_output_bytes(model.get(), i)), 0);
    outputPtrs.push_back(outputs[i].data());
  }

  size_t numLayers = layerInfo->size();
  // Marks: one per layer plus the end, per run.
  std::vector<int32_t> ids(numLayers + 1);
  std::vector<uint64_t> ns(numLayers + 1);
  std::vector<std::vector<double>> layerMs(numLayers);
  std::vector<double> runMs;
  for (int run = 0; run < opts.warmup + opts.runs; ++run) {
    ds_profile_take(ids.data(), ns.data(), 0);
    if (ds_model_run(model.get(), inputPtrs.data(), outputPtrs.data()) != 0)
      return fail(kExitInternal, std::string("the run failed: ") +
                                     ds_model_last_error(model.get()));
    size_t marks = ds_profile_take(ids.data(), ns.data(), ids.size());
    if (marks != numLayers + 1)
      return fail(kExitInternal, "the instrumented build recorded " +
                                     std::to_string(marks) +
                                     " layer marks, expected " +
                                     std::to_string(numLayers + 1));
    if (run < opts.warmup)
      continue;
    for (size_t k = 0; k < numLayers; ++k)
      layerMs[ids[k]].push_back((ns[k + 1] - ns[k]) / 1e6);
    runMs.push_back((ns[numLayers] - ns[0]) / 1e6);
  }

  ds::profile::Profile result;
  result.model = input->str();
  result.artifact = opts.model;
  result.runs = opts.runs;
  result.threads = opts.threads;
  if (!inputs.empty())
    result.batchShape = inputs.front().shape;
  result.totalMs = median(runMs);
  result.flops = llvm::is_contained(opts.metrics, "flops");
  result.latency = llvm::is_contained(opts.metrics, "latency");
  result.memory = llvm::is_contained(opts.metrics, "memory");
  double sum = 0;
  for (size_t k = 0; k < numLayers; ++k) {
    const llvm::json::Object *info = (*layerInfo)[k].getAsObject();
    ds::profile::Layer layer;
    if (info) {
      layer.node = info->getString("node").value_or("").str();
      layer.op = info->getString("op").value_or("").str();
      layer.flops = info->getInteger("flops").value_or(0);
      layer.weightBytes = info->getInteger("weight_bytes").value_or(0);
      layer.activationBytes = info->getInteger("activation_bytes").value_or(0);
    }
    layer.medianMs = median(layerMs[k]);
    sum += layer.medianMs;
    result.layers.push_back(std::move(layer));
  }
  for (auto &layer : result.layers)
    layer.share = sum > 0 ? layer.medianMs / sum : 0;

  std::fputs(ds::profile::formatTable(result).c_str(), stdout);
  for (auto [path, body] :
       {std::pair{opts.jsonPath, &ds::profile::formatJson},
        std::pair{opts.htmlPath, &ds::profile::formatHtml}}) {
    if (path.empty())
      continue;
    std::string content = body(result);
    if (!ds::support::writeFileAtomically(path, content.data(), content.size(),
                                          error))
      return fail(kExitBadInput, error);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options opts;
  CLI::App app{"deepseek-profile: per-layer FLOPs, latency and memory of a "
               "compiled model. Rebuilds the artifact in --model from the "
               "model and options its report.json records, with a timestamp "
               "at every layer boundary, runs it and reports each layer "
               "after fusion.\n\nExit codes: 0 ok; 1 internal failure; 2 bad "
               "input."};
  app.add_option("--model,-m", opts.model,
                 "Artifact directory written by deepseek-convert --output")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--inputs", opts.inputsDir,
                 "Directory with input_<i>.pb to run on (default: generated "
                 "inputs at the compiled shapes)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--batch-size", opts.batchSize,
                 "Batch (dim 0) of generated inputs for a model with a "
                 "dynamic batch")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
  app.add_option("--metrics", opts.metrics,
                 "Columns to report: flops, latency, memory (comma-separated)")
      ->delimiter(',')
      ->check(CLI::IsMember({"flops", "latency", "memory"}));
  app.add_option("--json", opts.jsonPath, "Also write the profile as JSON");
  app.add_option("--html", opts.htmlPath,
                 "Also write a self-contained HTML page with a chart of "
                 "where the time goes");
  app.add_option("--runs", opts.runs, "Timed runs (the median is reported)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--warmup", opts.warmup, "Untimed runs first")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  app.add_option("--threads", opts.threads,
                 "Threads the model's parallel loops may use")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.set_version_flag("--version",
                       ds::support::versionText("deepseek-profile"));
  app.footer("Example:\n  deepseek-convert -i model.onnx -o out/\n"
             "  deepseek-profile --model out/ --html profile.html");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
      return app.exit(e);
    return fail(kExitBadInput, e.what());
  }
  return profile(opts);
}
