//===- Driver.h - compile an ONNX model into an artifact --------*- C++ -*-===//
#ifndef DS_COMPILER_DRIVER_DRIVER_H
#define DS_COMPILER_DRIVER_DRIVER_H

#include "llvm/Support/JSON.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace mlir::ds {

/// What the tools ask for; mirrors the deepseek-convert command line.
struct CompileOptions {
  std::string inputPath;
  std::string outputDir;
  std::string target = "x86_64";
  std::string cpu;      // empty: the backend default (host CPU)
  std::string features; // extra LLVM subtarget features
  std::string gpu;      // GPU architecture (sm_80) for --target cuda
  /// fp32, or fp16 / bf16 to compute in half precision (--precision).
  std::string precision = "fp32";
  /// mlir (dsg after graph passes), llvm, asm, obj or lib.
  std::string emit = "lib";
  /// Extra copy of report.json, if non-empty.
  std::string reportPath;
  /// Graph-level operator fusion (--no-fusion clears it).
  bool fusion = true;
  /// Weight pruning (--prune-*); off while the sparsity is 0.
  double pruneSparsity = 0.0;
  bool pruneStructured = false; // L1-norm channel removal
  bool pruneGlobal = false;     // one magnitude threshold for all layers
  std::vector<std::string> pruneExclude;
  /// Weight quantization (--quantize): "none", "int8" (dynamic), "int4" or
  /// "int2" (weight-only, group-wise), "w4a8" or "w2a8" (group-wise weights,
  /// activations quantized at run time, integer products), "static-int8"
  /// (activation ranges from calibration), or "adaptive" (a width per
  /// layer, chosen against maxError).
  std::string quantize = "none";
  int64_t groupSize = 128;
  std::vector<std::string> quantizeExcludeNodes, quantizeExcludeOps;
  /// Widths (2, 4, 8, or 32 for float) for named layers, over the mode's.
  std::map<std::string, int> quantizeLayerBits;
  /// --max-error: the relative output error --quantize adaptive may spend.
  double maxError = 0;
  /// How static-int8 turns observed activations into ranges: "minmax", or
  /// "percentile" (the calibrationPercentile-th and its mirror).
  std::string calibrationMethod = "minmax";
  double calibrationPercentile = 99.99;
  /// Return every MatMul/Gemm input as an extra output, named NODE:input
  /// (the build calibration runs).
  bool exposeLayerInputs = false;
  /// --calibration-data: input sets (input_<i>.pb) on which quantization
  /// and pruning are measured; synthetic inputs when empty.
  std::string calibrationDir;
  /// Time every layer (deepseek-profile's builds): the artifact calls
  /// ds_profile_mark at each layer boundary and report.json describes the
  /// layers under `profile_layers`.
  bool instrumentLayers = false;
  /// Whether to measure how far pruning and quantization moved the outputs
  /// (off for the builds that adaptive quantization makes to measure).
  bool measureSimilarity = true;
  /// --max-model-bytes: model file plus external data; 0 for no limit.
  uint64_t maxModelBytes = 0;
  /// --input-shape: sizes fixed at compile time for named inputs.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// --dump-ir-after: the passes (by command-line name, as in
  /// deepseek-opt, or "all") after which the module is printed.
  std::vector<std::string> dumpIRAfter;
  /// --dump-ir-dir: print those dumps as a file tree here, one
  /// subdirectory per pipeline, instead of to stderr.
  std::string dumpIRDir;
  /// Told as each stage (the keys of report.json's compile_ms) begins,
  /// with ms < 0, and ends, with its duration: progress display and logs.
  std::function<void(const std::string &stage, double ms)> onStage;
};

/// Exit codes, documented in --help and README.
enum class CompileStatus : int {
  Success = 0,
  CompileFailure = 1, // the compiler failed on a model it accepted
  BadInput = 2,       // bad options, unreadable/invalid/unsupported model
};

/// The options that decide what code is generated, as report.json records
/// them under `options`; with `layerBits` the widths actually used (those
/// adaptive quantization chose, which a rebuild then takes as given).
llvm::json::Object
codegenOptionsJson(const CompileOptions &options,
                   const std::map<std::string, int> &layerBits);

/// Reads back what codegenOptionsJson wrote into `options` (input, output
/// and the measuring options are left as they are); false with `error` when
/// a field is missing or malformed.
bool codegenOptionsFromJson(const llvm::json::Object &json,
                            CompileOptions &options, std::string &error);

/// Imports, optimizes, lowers and emits. Errors go to stderr, one line each,
/// naming the file, node and op where there is one. On failure nothing is
/// left at options.outputDir (output is staged and renamed into place).
CompileStatus compileModel(const CompileOptions &options);

} // namespace mlir::ds

#endif
