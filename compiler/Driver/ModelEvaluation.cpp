//===- ModelEvaluation.cpp - run artifacts to measure lossy passes --------===//
#include "compiler/Driver/ModelEvaluation.h"
#include "backends/Common/TargetBackend.h"

#include "runtime-stub/include/ds_runtime.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>

using namespace mlir::ds;
using ::ds::support::Tensor;

namespace {

/// Reads input_0.pb .. input_<n-1>.pb of `dir` into `set`.
bool readSet(const std::string &dir, size_t numInputs, std::vector<Tensor> &set,
             std::string &error) {
  for (size_t i = 0; i < numInputs; ++i) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, "input_" + std::to_string(i) + ".pb");
    Tensor tensor;
    if (!::ds::support::readTensorFile(std::string(path), tensor, error)) {
      error = "calibration data: " + error;
      return false;
    }
    set.push_back(std::move(tensor));
  }
  return true;
}

bool hasFile(const llvm::Twine &dir, const char *name) {
  llvm::SmallString<256> path;
  dir.toVector(path);
  llvm::sys::path::append(path, name);
  return llvm::sys::fs::exists(path);
}

using Buffer = std::unique_ptr<char, void (*)(void *)>;

Buffer alignedBuffer(size_t bytes) {
  size_t rounded = std::max<size_t>(64, (bytes + 63) / 64 * 64);
  return Buffer(static_cast<char *>(std::aligned_alloc(64, rounded)),
                std::free);
}

} // namespace

bool EvaluationInputs::readCalibrationDirectory(const std::string &directory,
                                                size_t numInputs,
                                                EvaluationInputs &out,
                                                std::string &error) {
  out = EvaluationInputs();
  out.directory = directory;
  if (!llvm::sys::fs::is_directory(directory)) {
    error = "calibration data '" + directory + "' is not a directory";
    return false;
  }
  std::vector<std::string> setDirs;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(directory, ec), end;
       it != end && !ec; it.increment(ec))
    if (llvm::sys::fs::is_directory(it->path()) &&
        hasFile(it->path(), "input_0.pb"))
      setDirs.push_back(it->path());
  std::sort(setDirs.begin(), setDirs.end());
  if (hasFile(directory, "input_0.pb"))
    setDirs = {directory};
  if (setDirs.empty()) {
    error = "calibration data '" + directory +
            "' holds no input_0.pb, in itself or in a subdirectory";
    return false;
  }
  for (const std::string &dir : setDirs) {
    out.sets.emplace_back();
    out.setDirectories.push_back(dir);
    if (!readSet(dir, numInputs, out.sets.back(), error))
      return false;
  }
  return true;
}

bool EvaluationInputs::fits(const ModelSignature &signature,
                            std::string &error) const {
  for (size_t s = 0; s < sets.size(); ++s)
    for (size_t i = 0; i < signature.inputs.size(); ++i) {
      const TensorSignature &want = signature.inputs[i];
      const Tensor &have = sets[s][i];
      bool shapeFits = have.shape.size() == want.shape.size();
      for (size_t d = 0; shapeFits && d < want.shape.size(); ++d)
        shapeFits = want.shape[d] < 0 || want.shape[d] == have.shape[d];
      if (shapeFits && have.dtype == want.onnxDtype)
        continue;
      llvm::SmallString<256> path(setDirectories[s]);
      llvm::sys::path::append(path, "input_" + std::to_string(i) + ".pb");
      error = "calibration data " + std::string(path) + " is " +
              ::ds::support::formatType(have.dtype, have.shape) +
              ", the model's input '" + want.name + "' takes " +
              ::ds::support::formatType(want.onnxDtype, want.shape);
      return false;
    }
  return true;
}

std::string EvaluationInputs::describe() const {
  if (sets.empty())
    return "synthetic: " +
           (syntheticSets == 1 ? std::string("one set")
                               : std::to_string(syntheticSets) + " sets") +
           ", float inputs N(0, 1) from seed " + std::to_string(syntheticSeed) +
           ", integer inputs 0";
  return "calibration data " + directory + " (" + std::to_string(sets.size()) +
         (sets.size() == 1 ? " set)" : " sets)");
}

std::optional<std::vector<NamedOutputs>>
mlir::ds::runEachSet(const std::string &artifactPath,
                     const EvaluationInputs &inputs, std::string &why) {
  char error[512] = "";
  std::unique_ptr<ds_model, void (*)(ds_model *)> model(
      ds_model_load(artifactPath.c_str(), error, sizeof(error)), ds_model_free);
  if (!model) {
    why = error;
    return std::nullopt;
  }
  if (ds_model_is_dynamic(model.get())) {
    why = "the model has dynamic input dims; fix them with --input-shape";
    return std::nullopt;
  }
  size_t numInputs = ds_model_num_inputs(model.get());
  size_t numSets = inputs.sets.empty() ? std::max(1u, inputs.syntheticSets)
                                       : inputs.sets.size();
  std::mt19937 rng(inputs.syntheticSeed);
  std::normal_distribution<float> normal;
  std::vector<NamedOutputs> runs;
  for (size_t s = 0; s < numSets; ++s) {
    std::vector<Buffer> buffers;
    std::vector<const void *> inputPtrs;
    for (size_t i = 0; i < numInputs; ++i) {
      size_t bytes = ds_model_input_bytes(model.get(), i);
      buffers.push_back(alignedBuffer(bytes));
      char *data = buffers.back().get();
      std::memset(data, 0, bytes);
      if (!inputs.sets.empty()) {
        const Tensor &t = inputs.sets[s][i];
        if (t.data.size() != bytes) {
          why = "calibration data " + inputs.setDirectories[s] + ": input_" +
                std::to_string(i) + ".pb has " + std::to_string(t.data.size()) +
                " bytes, the model takes " + std::to_string(bytes);
          return std::nullopt;
        }
        std::memcpy(data, t.data.data(), bytes);
      } else if (ds_model_input(model.get(), i)->dtype == DS_FLOAT) {
        auto *values = reinterpret_cast<float *>(data);
        for (size_t k = 0; k < bytes / sizeof(float); ++k)
          values[k] = normal(rng);
      }
      inputPtrs.push_back(data);
    }
    std::vector<Buffer> outputs;
    std::vector<void *> outputPtrs;
    for (size_t i = 0; i < ds_model_num_outputs(model.get()); ++i) {
      outputs.push_back(alignedBuffer(ds_model_output_bytes(model.get(), i)));
      outputPtrs.push_back(outputs.back().get());
    }
    if (ds_model_run(model.get(), inputPtrs.data(), outputPtrs.data()) != 0) {
      why = "a model run failed";
      return std::nullopt;
    }
    NamedOutputs &run = runs.emplace_back();
    for (size_t i = 0; i < outputs.size(); ++i) {
      const ds_tensor_info *info = ds_model_output(model.get(), i);
      if (info->dtype != DS_FLOAT)
        continue;
      auto *values = reinterpret_cast<const float *>(outputs[i].get());
      run.names.push_back(info->name);
      run.values.emplace_back(values,
                              values + ds_model_output_bytes(model.get(), i) /
                                           sizeof(float));
    }
  }
  return runs;
}

std::vector<float>
mlir::ds::concatenate(const std::vector<NamedOutputs> &runs) {
  std::vector<float> all;
  for (const NamedOutputs &run : runs)
    for (const std::vector<float> &values : run.values)
      all.insert(all.end(), values.begin(), values.end());
  return all;
}

std::optional<std::vector<float>>
mlir::ds::runOnInputs(const std::string &artifactPath,
                      const EvaluationInputs &inputs, std::string &why) {
  std::optional<std::vector<NamedOutputs>> runs =
      runEachSet(artifactPath, inputs, why);
  if (!runs)
    return std::nullopt;
  return concatenate(*runs);
}

ScratchBuilds::ScratchBuilds(const CompileOptions &options,
                             const EvaluationInputs &inputs)
    : options(options), inputs(inputs) {}

ScratchBuilds::~ScratchBuilds() {
  if (!scratch.empty())
    llvm::sys::fs::remove_directories(scratch);
}

CompileStatus ScratchBuilds::build(CompileOptions variant, bool run,
                                   const std::string &purpose, Result &result) {
  if (scratch.empty()) {
    llvm::SmallString<128> dir;
    if (std::error_code ec =
            llvm::sys::fs::createUniqueDirectory("ds-measure", dir)) {
      llvm::errs() << "deepseek-convert: error: cannot create a scratch "
                      "directory for "
                   << purpose << ": " << ec.message() << "\n";
      return CompileStatus::CompileFailure;
    }
    scratch = std::string(dir);
  }
  // Measuring builds are x86-64 ones, and one that is run is run here: it
  // is built for this machine's CPU where the target's would not run on it.
  if (variant.target != "x86_64" ||
      (run && !lookupTargetBackend("x86_64")->runsOnHost(
                  {variant.cpu, variant.features, ""}))) {
    variant.target = "x86_64";
    variant.cpu = variant.features = variant.gpu = "";
    variant.precision = "fp32";
  }
  variant.emit = run ? "lib" : "mlir";
  variant.reportPath.clear();
  variant.calibrationDir.clear();
  variant.measureSimilarity = false;
  // Measuring builds are the compiler's business, not the user's.
  variant.dumpIRAfter.clear();
  variant.onStage = nullptr;
  llvm::SmallString<256> dir(scratch);
  llvm::sys::path::append(dir, "build" + std::to_string(builds++));
  variant.outputDir = std::string(dir);
  CompileStatus status = compileModel(variant);
  if (status != CompileStatus::Success)
    return status;
  llvm::SmallString<256> reportPath(dir);
  llvm::sys::path::append(reportPath, "report.json");
  auto text = llvm::MemoryBuffer::getFile(reportPath);
  llvm::Expected<llvm::json::Value> report =
      text ? llvm::json::parse((*text)->getBuffer())
           : llvm::Expected<llvm::json::Value>(
                 llvm::errorCodeToError(text.getError()));
  if (!report) {
    llvm::errs() << "deepseek-convert: error: reading " << reportPath << ": "
                 << llvm::toString(report.takeError()) << "\n";
    return CompileStatus::CompileFailure;
  }
  if (auto *record = report->getAsObject()->getObject("quantization"))
    result.quantization = *record;
  if (run) {
    std::string why;
    std::optional<std::vector<NamedOutputs>> runs =
        runEachSet(std::string(dir), inputs, why);
    if (!runs) {
      llvm::errs() << "deepseek-convert: error: " << purpose
                   << " measures the model by running it here, which "
                      "failed: "
                   << why << "\n";
      return CompileStatus::BadInput;
    }
    result.runs = std::move(*runs);
  }
  llvm::sys::fs::remove_directories(dir);
  return CompileStatus::Success;
}

double mlir::ds::cosineSimilarity(const std::vector<float> &a,
                                  const std::vector<float> &b) {
  double dot = 0, aNorm = 0, bNorm = 0;
  for (size_t k = 0; k < a.size() && k < b.size(); ++k) {
    dot += (double)a[k] * b[k];
    aNorm += (double)a[k] * a[k];
    bNorm += (double)b[k] * b[k];
  }
  if (aNorm == 0 || bNorm == 0)
    return aNorm == bNorm ? 1.0 : 0.0;
  return dot / std::sqrt(aNorm * bNorm);
}

double mlir::ds::relativeError(const std::vector<float> &a,
                               const std::vector<float> &reference) {
  double diff = 0, norm = 0;
  for (size_t k = 0; k < a.size() && k < reference.size(); ++k) {
    double d = (double)a[k] - reference[k];
    diff += d * d;
    norm += (double)reference[k] * reference[k];
  }
  if (norm == 0)
    return diff == 0 ? 0.0 : 1.0;
  return std::sqrt(diff / norm);
}
