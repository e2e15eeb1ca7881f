//===- Passes.h - dsg graph optimization passes -----------------*- C++ -*-===//
#ifndef DS_DIALECTS_GRAPH_TRANSFORMS_PASSES_H
#define DS_DIALECTS_GRAPH_TRANSFORMS_PASSES_H

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::ds::graph {

#define GEN_PASS_DECL
#include "dialects/Graph/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/Graph/Transforms/Passes.h.inc"

/// Counts one application of fusion `kind` in the `ds.fusions` dictionary
/// of the function holding `op`; the driver copies it into report.json.
void recordFusion(Operation *op, StringRef kind);

} // namespace mlir::ds::graph

#endif
