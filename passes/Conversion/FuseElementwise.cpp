//===- FuseElementwise.cpp - elementwise fusion without recomputation -----===//
#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ds {
#define GEN_PASS_DEF_FUSEELEMENTWISEPRODUCERSPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {

/// Whether fusing the producer of `operand` into its consumer computes each
/// producer element at most once per use it replaces.
bool fusesWithoutRecomputation(OpOperand *operand) {
  Operation *producer = operand->get().getDefiningOp();
  if (!producer || !producer->hasOneUse())
    return false;
  auto consumer = dyn_cast<linalg::LinalgOp>(operand->getOwner());
  if (!consumer || consumer.getNumReductionLoops() == 0)
    return true;
  return consumer.getMatchingIndexingMap(operand).isPermutation();
}

/// Loops shorter than this (four 16-lane vectors) spend a large share of
/// their time in the scalar remainder.
constexpr int64_t kMinInnermostLoop = 64;

/// Whether folding a reshape into a linalg op by expanding its loops keeps
/// the innermost loop long: expanding [.., 3248] into [.., 56, 58] would
/// turn one long vectorized loop into many short ones.
bool keepsInnermostLoopLong(OpOperand *operand) {
  if (!fusesWithoutRecomputation(operand))
    return false;
  SmallVector<ReassociationIndices> groups;
  RankedTensorType expanded;
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(operand->getOwner())) {
    groups = expand.getReassociationIndices();
    expanded = expand.getResultType();
  } else if (auto collapse =
                 operand->get().getDefiningOp<tensor::CollapseShapeOp>()) {
    groups = collapse.getReassociationIndices();
    expanded = collapse.getSrcType();
  } else {
    return true;
  }
  if (groups.empty() || groups.back().size() == 1)
    return true;
  int64_t innermost = expanded.getShape().back();
  return ShapedType::isDynamic(innermost) || innermost >= kMinInnermostLoop;
}

struct FuseElementwiseProducersPass
    : ds::impl::FuseElementwiseProducersPassBase<FuseElementwiseProducersPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns,
                                                 fusesWithoutRecomputation);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns,
                                                      keepsInnermostLoopLong);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(
        patterns);
    GreedyRewriteConfig config;
    config.useTopDownTraversal = true;
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns),
                                            config)))
      return signalPassFailure();
  }
};
} // namespace
