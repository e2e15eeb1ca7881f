//===- Calibration.h - activation ranges for static int8 --------*- C++ -*-===//
//
// --quantize static-int8 fixes each layer's activation scale at compile
// time from the range its input takes on the calibration sets: a float
// build that also returns every MatMul/Gemm input is run on them, and the
// values seen give the range, by MinMax or by percentile (which ignores the
// rare outliers that would otherwise stretch the scale).
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

/// NODE -> the range of that layer's input over all calibration sets.
CompileStatus calibrateActivationRanges(
    const CompileOptions &options, const EvaluationInputs &inputs,
    std::map<std::string, std::pair<double, double>> &ranges);

} // namespace mlir::ds

#endif
