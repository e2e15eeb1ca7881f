//===- FusionStats.cpp - per-function fusion counts for the report --------===//
#include "dialects/Graph/Transforms/Passes.h"

using namespace mlir;

void mlir::ds::graph::recordFusion(Operation *op, StringRef kind) {
  // The enclosing function keeps the counts: function passes may run in
  // parallel and must not touch the module.
  auto func = op->getParentOfType<func::FuncOp>();
  if (!func)
    return;
  MLIRContext *ctx = func.getContext();
  NamedAttrList counts;
  if (auto dict = func->getAttrOfType<DictionaryAttr>("ds.fusions"))
    counts = NamedAttrList(dict);
  auto current = counts.get(kind);
  int64_t n = current ? llvm::cast<IntegerAttr>(current).getInt() : 0;
  counts.set(kind, IntegerAttr::get(IntegerType::get(ctx, 64), n + 1));
  func->setAttr("ds.fusions", counts.getDictionary(ctx));
}
