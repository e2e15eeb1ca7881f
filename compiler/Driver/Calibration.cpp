//===- Calibration.cpp - activation ranges for static quantization --------===//
#include "compiler/Driver/Calibration.h"

#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <cmath>

using namespace mlir::ds;

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

CompileStatus mlir::ds::calibrateActivationRanges(
    const CompileOptions &options, const EvaluationInputs &inputs,
    std::map<std::string, std::pair<double, double>> &ranges) {
  ScratchBuilds builds(options, inputs);
  CompileOptions variant = options;
  variant.quantize = "none";
  variant.quantizeLayerBits.clear();
  variant.exposeLayerInputs = true;
  ScratchBuilds::Result calibration;
  if (CompileStatus status = builds.build(
          variant, /*run=*/true, "--quantize static-int8", calibration);
      status != CompileStatus::Success)
    return status;
  // Every set's values of each layer input, then one range per layer.
  std::map<std::string, std::vector<float>> observed;
  for (const NamedOutputs &run : calibration.runs)
    for (size_t i = 0; i < run.names.size(); ++i) {
      llvm::StringRef name = run.names[i];
      if (!name.consume_back(":input"))
        continue;
      std::vector<float> &values = observed[name.str()];
      values.insert(values.end(), run.values[i].begin(), run.values[i].end());
    }
  for (auto &[node, values] : observed)
    ranges[node] = observedRange(std::move(values), options.calibrationMethod,
                                 options.calibrationPercentile);
  return CompileStatus::Success;
}
