//===- Calibration.cpp - activation ranges for static quantization --------===//
#include "compiler/Driver/Calibration.h"

#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <cmath>

using namespace mlir::ds;

namespace {
constexpr unsigned kSyntheticCalibrationSets = 16;
constexpr size_t kMinBiasCorrectionSamples = 16;
} // namespace

std::pair<double, double> mlir::ds::observedRange(std::vector<float> values,
                                                  const std::string &method,
                                                  double percentile) {
  values.erase(std::remove_if(values.begin(), values.end(),
                              [](float v) { return !std::isfinite(v); }),
               values.end());
  if (values.empty())
    return {0.0, 0.0};
  if (method != "percentile") {
    auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    return {*lo, *hi};
  }
  // Ranks of the percentile and its mirror, nearest rank.
  size_t last = values.size() - 1;
  auto rank = [&](double p) {
    return (size_t)std::llround(std::clamp(p, 0.0, 100.0) / 100.0 * last);
  };
  size_t upper = rank(percentile), lower = rank(100.0 - percentile);
  std::nth_element(values.begin(), values.begin() + upper, values.end());
  double hi = values[upper];
  std::nth_element(values.begin(), values.begin() + lower, values.end());
  double lo = values[lower];
  return {std::min(lo, hi), std::max(lo, hi)};
}

CompileStatus mlir::ds::calibrateLayerInputs(const CompileOptions &options,
                                             const EvaluationInputs &inputs,
                                             LayerInputStatistics &statistics) {
  // Synthetic calibration draws other values than the similarity
  // measurement does, so that the report's figure is not measured on the
  // data the quantization was fitted to, and several sets of them: a mean
  // taken from one batch-1 input is mostly noise.
  EvaluationInputs calibrationInputs = inputs;
  if (calibrationInputs.sets.empty()) {
    calibrationInputs.syntheticSeed = inputs.syntheticSeed + 1;
    calibrationInputs.syntheticSets = kSyntheticCalibrationSets;
  }
  statistics.inputs = calibrationInputs.describe();
  ScratchBuilds builds(options, calibrationInputs);
  CompileOptions variant = options;
  variant.quantize = "none";
  variant.quantizeLayerBits.clear();
  variant.exposeLayerInputs = true;
  ScratchBuilds::Result calibration;
  if (CompileStatus status = builds.build(
          variant, /*run=*/true, "--quantize " + options.quantize, calibration);
      status != CompileStatus::Success)
    return status;
  // Every set's values of each layer input, kept only for static-int8's
  // ranges, else counted; the means of the sets, averaged.
  bool wantRanges = options.quantize == "static-int8";
  std::map<std::string, std::vector<float>> observed;
  std::map<std::string, size_t> observedCount;
  std::map<std::string, std::vector<double>> meanSums;
  for (const NamedOutputs &run : calibration.runs)
    for (size_t i = 0; i < run.names.size(); ++i) {
      llvm::StringRef name = run.names[i];
      const std::vector<float> &values = run.values[i];
      if (name.consume_back(":input_mean")) {
        std::vector<double> &sum = meanSums[name.str()];
        sum.resize(values.size(), 0.0);
        for (size_t f = 0; f < values.size(); ++f)
          sum[f] += values[f];
      } else if (name.consume_back(":input")) {
        observedCount[name.str()] += values.size();
        if (wantRanges) {
          std::vector<float> &all = observed[name.str()];
          all.insert(all.end(), values.begin(), values.end());
        }
      }
    }
  // A mean over fewer samples than this corrects by noise more than by
  // the weights' error; such a layer goes without.
  for (auto &[node, sum] : meanSums) {
    size_t samples = sum.empty() ? 0 : observedCount[node] / sum.size();
    if (samples < kMinBiasCorrectionSamples)
      continue;
    std::vector<float> &mean = statistics.means[node];
    for (double s : sum)
      mean.push_back((float)(s / calibration.runs.size()));
  }
  for (auto &[node, values] : observed)
    statistics.ranges[node] =
        observedRange(std::move(values), options.calibrationMethod,
                      options.calibrationPercentile);
  return CompileStatus::Success;
}
