//===- ModelInspector.h - summarize an ONNX model without compiling -*- C++ -*-===//
#ifndef DS_COMPILER_IMPORT_ONNX_MODELINSPECTOR_H
#define DS_COMPILER_IMPORT_ONNX_MODELINSPECTOR_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mlir::ds {

struct ModelSummary {
  std::string path, producer;
  int64_t irVersion = 0;
  std::map<std::string, int64_t> opsets;       // domain ("" = ai.onnx) -> version
  std::map<std::string, int64_t> opHistogram;  // op type -> node count
  int64_t nodes = 0, parameters = 0, parameterBytes = 0;
  /// Multiply-adds count 2; elementwise ops count one per output element.
  /// Nodes whose shapes ONNX inference cannot pin down count 0.
  int64_t flops = 0;
  /// "input 'x' dim 0 ('batch')" for every symbolic or unknown input dim.
  std::vector<std::string> dynamicDims;
  /// op type (with domain) -> names of the nodes using it.
  std::map<std::string, std::vector<std::string>> unsupported;
};

/// Parses the model and runs ONNX shape inference; compiles nothing.
bool inspectONNXModel(const std::string &path, ModelSummary &summary,
                      std::string &error);

/// Human-readable and JSON renderings.
std::string formatSummaryText(const ModelSummary &summary);
std::string formatSummaryJson(const ModelSummary &summary);

} // namespace mlir::ds

#endif
