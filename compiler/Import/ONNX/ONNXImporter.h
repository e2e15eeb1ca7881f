//===- ONNXImporter.h - ONNX ModelProto to dsg ------------------*- C++ -*-===//
#ifndef DS_COMPILER_IMPORT_ONNX_ONNXIMPORTER_H
#define DS_COMPILER_IMPORT_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <map>
#include <string>
#include <vector>

namespace mlir::ds {

struct ImportOptions {
  /// Name of the generated graph function.
  std::string functionName = "main_graph";
  /// Shapes fixed at compile time for named graph inputs (--input-shape),
  /// replacing symbolic dimensions with sizes: static code is faster.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// The most bytes the model file and its external data may hold together
  /// (--max-model-bytes); 0 for no limit.
  uint64_t maxModelBytes = 0;
};


/// Reads an ONNX model file and builds a module holding one function in the
/// dsg dialect. Graph inputs and outputs keep their ONNX names in the
/// `ds.name` argument and result attributes; symbolic dimensions become
/// dynamic ones, their ONNX names kept in `ds.dims` (an array of strings,
/// empty for static dimensions) so the runtime can bind them. A result
/// with a data-dependent size carries `ds.bounds` (an upper bound per
/// dimension, 0 where there is none). Every problem (malformed file,
/// failed checks, each unsupported op) is reported through the context's
/// diagnostics, naming the file, node and op; failure means the model was
/// rejected, not that the compiler broke.
FailureOr<OwningOpRef<ModuleOp>> importONNXModel(MLIRContext &context,
                                                 const std::string &path,
                                                 const ImportOptions &options);

} // namespace mlir::ds

#endif
