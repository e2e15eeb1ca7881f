//===- ShapeInference.h - libonnx shape inference, hardened -----*- C++ -*-===//
//
// ONNX's own shape inference fills in the types the model leaves out. The
// libonnx 1.12 that Debian ships trusts some inputs it should check (a
// weight whose rank differs from the input's, a zero stride) and crashes
// on them; those preconditions are checked here first, so a hostile model
// is rejected by inference instead of taking the process down.
//
//===----------------------------------------------------------------------===//
#ifndef DS_IMPORT_ONNX_SHAPEINFERENCE_H
#define DS_IMPORT_ONNX_SHAPEINFERENCE_H

#include <string>

namespace onnx {
class GraphProto;
class ModelProto;
} // namespace onnx

namespace mlir::ds::onnx_import {

/// Runs libonnx's shape inference with data propagation over `model`,
/// annotating value_info in place. Best effort: a node whose types cannot
/// be inferred (or that breaks a checked precondition) stops inference
/// without an error; the importer's handlers report what stays unknown.
/// Skipped for a graph that fails checkGraphWiring.
void inferShapesBestEffort(onnx::ModelProto &model);

/// Every graph input of `graph` and its subgraphs has a type, every node
/// input is a graph input, an initializer or an earlier node's output
/// (subgraphs also see the names around them), and each node has the inputs and
/// outputs its schema requires; else false, with `problem` naming the node. The
/// ONNX checker covers this for the opsets it knows.
bool checkGraphWiring(const onnx::GraphProto &graph, std::string &problem);

} // namespace mlir::ds::onnx_import

#endif // DS_IMPORT_ONNX_SHAPEINFERENCE_H
