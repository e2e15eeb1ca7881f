//===- Calibration.h - activation ranges for static int8 --------*- C++ -*-===//
//
// --quantize static-int8 fixes each layer's activation scale at compile
// time from the range its input takes on the calibration sets: a float
// build that also returns every MatMul/Gemm input is run on them, and the
// values seen give the range, by MinMax or by percentile (which ignores the
// rare outliers that would otherwise stretch the scale). The same run gives
// each input feature's mean, which bias correction needs (static-int8,
// int4, int2).
//
//===----------------------------------------------------------------------===//
#ifndef DS_COMPILER_DRIVER_CALIBRATION_H
#define DS_COMPILER_DRIVER_CALIBRATION_H

#include "compiler/Driver/Driver.h"
#include "compiler/Driver/ModelEvaluation.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mlir::ds {

/// The range of `values` (non-finite ones left out): min and max for
/// "minmax"; for "percentile", the `percentile`-th value from the top and
/// from the bottom. (0, 0) when no value is finite.
std::pair<double, double> observedRange(std::vector<float> values,
                                        const std::string &method,
                                        double percentile);

/// What a float build run on the calibration sets saw of each MatMul/Gemm
/// layer's input, by node name.
struct LayerInputStatistics {
  /// The range, by options.calibrationMethod (static-int8 only).
  std::map<std::string, std::pair<double, double>> ranges;
  /// Each input feature's mean over all sets (for bias correction).
  std::map<std::string, std::vector<float>> means;
  /// What the build ran on (EvaluationInputs::describe), for the report.
  std::string inputs;
};

CompileStatus calibrateLayerInputs(const CompileOptions &options,
                                   const EvaluationInputs &inputs,
                                   LayerInputStatistics &statistics);

} // namespace mlir::ds

#endif
