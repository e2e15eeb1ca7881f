//===- AdaptiveQuantization.cpp - a width per layer, within a budget ------===//
#include "compiler/Driver/AdaptiveQuantization.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir::ds;

namespace {

/// The widths a layer can take, narrowest first; 32 is float.
constexpr int kWidths[] = {2, 4, 8, 32};
constexpr int kFloatBits = 32;

/// The record of `node` in a quantization record's layer list.
const llvm::json::Object *layerRecord(const llvm::json::Object &quantization,
                                      llvm::StringRef node) {
  if (const llvm::json::Array *layers = quantization.getArray("layers"))
    for (const llvm::json::Value &layer : *layers)
      if (const llvm::json::Object *object = layer.getAsObject())
        if (object->getString("node") == node)
          return object;
  return nullptr;
}

std::string formatError(double e) { return llvm::formatv("{0:e2}", e).str(); }

/// The greedy choice: every layer starts at 2 bits; while the estimated
/// total error is over `target`, the layer whose next width cuts the
/// estimate's square most per added weight byte is raised one width.
class WidthSearch {
public:
  explicit WidthSearch(std::vector<LayerWidthChoice> &layers)
      : layers(layers), level(layers.size(), 0) {}

  double error(size_t l, unsigned lvl) const {
    int bits = kWidths[lvl];
    return bits == kFloatBits ? 0.0 : layers[l].errorAlone.at(bits);
  }

  double estimate() const {
    double sum = 0;
    for (size_t l = 0; l < layers.size(); ++l)
      sum += error(l, level[l]) * error(l, level[l]);
    return std::sqrt(sum);
  }

  /// Raises one layer; false when every layer is float already.
  bool raiseOne(double maxError) {
    std::optional<size_t> best;
    double bestScore = 0;
    for (size_t l = 0; l < layers.size(); ++l) {
      if (level[l] + 1 >= std::size(kWidths))
        continue;
      double now = error(l, level[l]), next = error(l, level[l] + 1);
      double cost =
          std::max<int64_t>(1, layers[l].weightBytes.at(kWidths[level[l] + 1]) -
                                   layers[l].weightBytes.at(kWidths[level[l]]));
      double score = (now * now - next * next) / cost;
      if (!best || score > bestScore) {
        best = l;
        bestScore = score;
      }
    }
    if (!best)
      return false;
    size_t l = *best;
    int from = kWidths[level[l]], to = kWidths[level[l] + 1];
    layers[l].reason =
        llvm::formatv("raised from {0} to {1} bits: at {0} bits this layer "
                      "alone moves the outputs by {2}; raising it cut the "
                      "estimated error most per added weight byte while the "
                      "estimate ({3}) was over the budget ({4})",
                      from, to, formatError(error(l, level[l])),
                      formatError(estimate()), formatError(maxError))
            .str();
    ++level[l];
    return true;
  }

  void commit() {
    for (size_t l = 0; l < layers.size(); ++l) {
      layers[l].bits = kWidths[level[l]];
      if (level[l] == 0)
        layers[l].reason = "2 bits, the narrowest: alone this layer moves "
                           "the outputs by " +
                           formatError(error(l, 0)) +
                           ", which the budget takes";
    }
  }

private:
  std::vector<LayerWidthChoice> &layers;
  std::vector<unsigned> level;
};

} // namespace

std::map<std::string, int> AdaptivePlan::layerBits() const {
  std::map<std::string, int> bits;
  for (const LayerWidthChoice &layer : layers)
    bits[layer.node] = layer.bits;
  return bits;
}

void AdaptivePlan::annotate(llvm::json::Object &record, double maxError,
                            const EvaluationInputs &inputs) const {
  record["mode"] = "adaptive";
  record["max_error"] = maxError;
  record["estimated_error"] = estimatedError;
  record["measured_error"] = measuredError;
  record["output_cosine_similarity"] = cosine;
  record["similarity_inputs"] = inputs.describe();
  record["measurement_builds"] = builds;
  // Over every layer the search chose for, float ones included.
  int64_t bytes = 0, floatBytes = 0;
  for (const LayerWidthChoice &choice : layers) {
    bytes += choice.weightBytes.at(choice.bits);
    floatBytes += choice.weightBytes.at(kFloatBits);
  }
  llvm::json::Array *layerList = record.getArray("layers");
  llvm::json::Array noLayers;
  for (llvm::json::Value &value : layerList ? *layerList : noLayers) {
    llvm::json::Object *layer = value.getAsObject();
    auto node = layer ? layer->getString("node") : std::nullopt;
    if (!node)
      continue;
    bool chosen = llvm::any_of(layers, [&](const LayerWidthChoice &choice) {
      return choice.node == *node;
    });
    if (!chosen) {
      // Float whatever the search did; its weights still count.
      int64_t weightBytes = layer->getInteger("weight_bytes").value_or(0);
      bytes += weightBytes;
      floatBytes += weightBytes;
    }
    for (const LayerWidthChoice &choice : layers) {
      if (choice.node != *node)
        continue;
      llvm::json::Object errors;
      for (auto [bits, error] : choice.errorAlone)
        errors[std::to_string(bits)] = error;
      (*layer)["error_alone"] = std::move(errors);
      (*layer)["reason"] = choice.reason;
      if (choice.bits == kFloatBits) {
        (*layer)["weight_bytes"] = choice.weightBytes.at(kFloatBits);
        (*layer)["weight_bytes_fp32"] = choice.weightBytes.at(kFloatBits);
      }
    }
  }
  record["weight_bytes"] = bytes;
  record["weight_bytes_fp32"] = floatBytes;
}

CompileStatus mlir::ds::planAdaptiveQuantization(const CompileOptions &options,
                                                 const EvaluationInputs &inputs,
                                                 AdaptivePlan &plan) {
  ScratchBuilds builds(options, inputs);
  const std::string purpose = "--quantize adaptive";
  auto build = [&](const std::string &mode,
                   const std::map<std::string, int> &layerBits, bool run,
                   ScratchBuilds::Result &result) {
    CompileOptions variant = options;
    variant.quantize = mode;
    variant.quantizeLayerBits = layerBits;
    CompileStatus status = builds.build(variant, run, purpose, result);
    plan.builds = builds.count();
    return status;
  };

  // Which layers can be quantized: a graph-only int8 build says.
  ScratchBuilds::Result probe, reference;
  if (CompileStatus s = build("int8", {}, /*run=*/false, probe);
      s != CompileStatus::Success)
    return s;
  if (const llvm::json::Array *layers = probe.quantization.getArray("layers"))
    for (const llvm::json::Value &value : *layers) {
      const llvm::json::Object *layer = value.getAsObject();
      if (layer && layer->getInteger("bits") == 8) {
        LayerWidthChoice choice;
        choice.node = layer->getString("node")->str();
        choice.weightBytes[kFloatBits] =
            *layer->getInteger("weight_bytes_fp32");
        plan.layers.push_back(std::move(choice));
      }
    }
  if (CompileStatus s = build("none", {}, /*run=*/true, reference);
      s != CompileStatus::Success)
    return s;
  std::vector<float> referenceOutputs = concatenate(reference.runs);

  // Each layer alone at each width.
  for (LayerWidthChoice &layer : plan.layers)
    for (int bits : {2, 4, 8}) {
      ScratchBuilds::Result alone;
      if (CompileStatus s =
              build("none", {{layer.node, bits}}, /*run=*/true, alone);
          s != CompileStatus::Success)
        return s;
      layer.errorAlone[bits] =
          relativeError(concatenate(alone.runs), referenceOutputs);
      const llvm::json::Object *record =
          layerRecord(alone.quantization, layer.node);
      layer.weightBytes[bits] =
          record ? record->getInteger("weight_bytes").value_or(0) : 0;
    }

  // Choose, then check the choice with a build of it; while the measured
  // error is over the budget (the estimate assumes the layers' errors
  // independent), aim lower and raise more.
  WidthSearch search(plan.layers);
  double target = options.maxError;
  for (;;) {
    while (search.estimate() > target && search.raiseOne(options.maxError)) {
    }
    search.commit();
    ScratchBuilds::Result chosen;
    if (CompileStatus s = build("none", plan.layerBits(), /*run=*/true, chosen);
        s != CompileStatus::Success)
      return s;
    std::vector<float> outputs = concatenate(chosen.runs);
    plan.estimatedError = search.estimate();
    plan.measuredError = relativeError(outputs, referenceOutputs);
    plan.cosine = cosineSimilarity(outputs, referenceOutputs);
    if (plan.measuredError <= options.maxError)
      break;
    target = std::min(target, plan.estimatedError) *
             std::min(0.9, options.maxError / plan.measuredError);
    if (!search.raiseOne(options.maxError))
      break; // all float: error 0, not reached
  }
  return CompileStatus::Success;
}
