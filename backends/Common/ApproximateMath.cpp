//===- ApproximateMath.cpp - polynomial exp, erf and tanh -----------------===//
#include "backends/Common/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ds {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "backends/Common/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {
struct ApproximateMathPass
    : ds::impl::ApproximateMathPassBase<ApproximateMathPass> {
  LogicalResult initialize(MLIRContext *ctx) override {
    // Upstream registers approximations for many functions at once; keep
    // those of the three that matter for speed (their error is a few ulp,
    // well inside the conformance tolerances).
    RewritePatternSet all(ctx);
    populateMathPolynomialApproximationPatterns(all);
    OperationName wanted[] = {OperationName(math::ExpOp::getOperationName(), ctx),
                              OperationName(math::ErfOp::getOperationName(), ctx),
                              OperationName(math::TanhOp::getOperationName(), ctx)};
    llvm::erase_if(all.getNativePatterns(), [&](const auto &pattern) {
      std::optional<OperationName> root = pattern->getRootKind();
      return !root || !llvm::is_contained(wanted, *root);
    });
    patterns = FrozenRewritePatternSet(std::move(all));
    return success();
  }

  void runOnOperation() override {
    if (failed(applyPatternsAndFoldGreedily(getOperation(), patterns)))
      signalPassFailure();
  }

  FrozenRewritePatternSet patterns;
};
} // namespace
