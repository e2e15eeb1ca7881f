//===- ModelEvaluation.h - run artifacts to measure lossy passes -*- C++
//-*-===//
//
// Pruning and quantization change a model's outputs; how much is measured by
// running the artifact and a float build of the same model on the same
// inputs: calibration sets the user gives (--calibration-data), or one
// synthetic set.
//
//===----------------------------------------------------------------------===//
#ifndef DS_COMPILER_DRIVER_MODELEVALUATION_H
#define DS_COMPILER_DRIVER_MODELEVALUATION_H

#include "backends/Common/Artifact.h"
#include "compiler/Support/TensorFile.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::ds {

/// The inputs a model is evaluated on.
struct EvaluationInputs {
  /// Each set holds one tensor per model input, in input order; no sets
  /// means one synthetic set (float inputs N(0, 1) from seed 0, the others
  /// zero), made to the model's input sizes.
  std::vector<std::vector<::ds::support::Tensor>> sets;
  std::vector<std::string> setDirectories; // one per set
  std::string directory; // where the sets came from, if not synthetic

  /// Reads `directory`/input_<i>.pb as one set, or else every
  /// subdirectory's input_<i>.pb files as a set each, in name order.
  static bool readCalibrationDirectory(const std::string &directory,
                                       size_t numInputs, EvaluationInputs &out,
                                       std::string &error);
  /// Whether every set fits the model's inputs (dtype and shape; a dynamic
  /// dim takes any size).
  bool fits(const ModelSignature &signature, std::string &error) const;
  /// For the report: what the measurements ran on.
  std::string describe() const;
};

/// The float outputs of the artifact at `artifactPath` (a directory or
/// model.so), run on every input set, concatenated in set and output order.
/// Nothing, with `why`, when it cannot run here.
std::optional<std::vector<float>> runOnInputs(const std::string &artifactPath,
                                              const EvaluationInputs &inputs,
                                              std::string &why);

/// cos(a, b); 1 when both are zero, 0 when one is.
double cosineSimilarity(const std::vector<float> &a,
                        const std::vector<float> &b);

/// ||a - reference|| / ||reference|| (Euclidean norms); 0 when both are
/// zero, 1 when only the reference is.
double relativeError(const std::vector<float> &a,
                     const std::vector<float> &reference);

} // namespace mlir::ds

#endif
