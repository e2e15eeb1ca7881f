//===- ModelEvaluation.h - run artifacts to measure them --------*- C++ -*-===//
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
#include "compiler/Driver/Driver.h"
#include "compiler/Support/TensorFile.h"

#include "llvm/Support/JSON.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::ds {

/// The inputs a model is evaluated on.
struct EvaluationInputs {
  /// Each set holds one tensor per model input, in input order; no sets
  /// means `syntheticSets` synthetic ones (float inputs N(0, 1) drawn from
  /// `syntheticSeed`, the others zero), made to the model's input sizes.
  std::vector<std::vector<::ds::support::Tensor>> sets;
  unsigned syntheticSeed = 0, syntheticSets = 1;
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

/// The float outputs of one run, with their names (others are left out).
struct NamedOutputs {
  std::vector<std::string> names;
  std::vector<std::vector<float>> values;
};

/// Runs the artifact at `artifactPath` (a directory or model.so) on every
/// input set. Nothing, with `why`, when it cannot run here.
std::optional<std::vector<NamedOutputs>>
runEachSet(const std::string &artifactPath, const EvaluationInputs &inputs,
           std::string &why);

/// The float outputs of every set, concatenated in set and output order.
std::vector<float> concatenate(const std::vector<NamedOutputs> &runs);

/// runEachSet, concatenated.
std::optional<std::vector<float>> runOnInputs(const std::string &artifactPath,
                                              const EvaluationInputs &inputs,
                                              std::string &why);

/// Builds of the model made only to be measured (float references,
/// quantization trials, calibration), each in a scratch directory removed
/// once read. They target this machine, whatever the requested target: what
/// they measure is the arithmetic, not the target.
class ScratchBuilds {
public:
  ScratchBuilds(const CompileOptions &options, const EvaluationInputs &inputs);
  ~ScratchBuilds();

  struct Result {
    llvm::json::Object quantization; // the build's report record
    std::vector<NamedOutputs> runs;  // one per input set; none for mlir
  };

  /// Builds `variant` (the options, changed as the caller needs); with
  /// `run`, as a library run on the inputs, else only the graph. A failed
  /// run is reported as bad input for `purpose` (e.g. "--quantize
  /// adaptive"), which needs it.
  CompileStatus build(CompileOptions variant, bool run,
                      const std::string &purpose, Result &result);

  int count() const { return builds; }

private:
  const CompileOptions &options;
  const EvaluationInputs &inputs;
  std::string scratch;
  int builds = 0;
};

/// cos(a, b); 1 when both are zero, 0 when one is.
double cosineSimilarity(const std::vector<float> &a,
                        const std::vector<float> &b);

/// ||a - reference|| / ||reference|| (Euclidean norms); 0 when both are
/// zero, 1 when only the reference is.
double relativeError(const std::vector<float> &a,
                     const std::vector<float> &reference);

} // namespace mlir::ds

#endif
