//===- AdaptiveQuantization.h - a width per layer ---------------*- C++ -*-===//
//
// --quantize adaptive --max-error E: each MatMul/Gemm layer gets 2, 4 or 8
// bits, or stays float, so that the model's outputs move by at most E
// (relative L2 error against the float build, on the evaluation inputs)
// with the fewest weight bytes. Each layer's sensitivity is measured by
// building and running the model with only that layer quantized at each
// width.
//
//===----------------------------------------------------------------------===//
#ifndef DS_COMPILER_DRIVER_ADAPTIVEQUANTIZATION_H
#define DS_COMPILER_DRIVER_ADAPTIVEQUANTIZATION_H

#include "compiler/Driver/Driver.h"
#include "compiler/Driver/ModelEvaluation.h"

#include "llvm/Support/JSON.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mlir::ds {

struct LayerWidthChoice {
  std::string node;
  /// Width -> relative output error with only this layer at that width.
  std::map<int, double> errorAlone;
  /// Width -> the layer's weight bytes (32: float32).
  std::map<int, int64_t> weightBytes;
  int bits = 2;
  std::string reason;
};

struct AdaptivePlan {
  std::vector<LayerWidthChoice> layers;
  /// sqrt(sum of the chosen widths' errorAlone^2): the plan's model of the
  /// total, which the measured error checks.
  double estimatedError = 0;
  /// Of the build with the chosen widths, against the float build.
  double measuredError = 0, cosine = 1;
  int builds = 0;

  std::map<std::string, int> layerBits() const;
  /// Adds the plan's figures to the quantization record of report.json.
  void annotate(llvm::json::Object &record, double maxError,
                const EvaluationInputs &inputs) const;
};

/// Measures every quantizable layer's sensitivity and chooses its width
/// (see the file comment). Errors are printed; a model that cannot run
/// here (dynamic input dims) is bad input for this mode.
CompileStatus planAdaptiveQuantization(const CompileOptions &options,
                                       const EvaluationInputs &inputs,
                                       AdaptivePlan &plan);

} // namespace mlir::ds

#endif
