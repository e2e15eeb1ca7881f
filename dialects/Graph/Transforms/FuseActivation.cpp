//===- FuseActivation.cpp - activations into Conv/Gemm/MatMul epilogues ---===//
#include "dialects/Graph/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace mlir::ds::graph {
#define GEN_PASS_DEF_FUSEACTIVATIONPASS
#include "dialects/Graph/Transforms/Passes.h.inc"
} // namespace mlir::ds::graph

using namespace mlir;
using namespace mlir::ds::graph;

namespace {

/// The single float of a one-element constant, or nothing.
std::optional<float> scalarValue(Value v) {
  DenseElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)) || attr.getNumElements() != 1 ||
      !attr.getElementType().isF32())
    return std::nullopt;
  return *attr.getValues<float>().begin();
}

/// The epilogue equivalent of `op` (name and parameters), if it has one.
std::optional<std::pair<StringRef, SmallVector<float>>>
asEpilogue(Operation *op) {
  using Result = std::pair<StringRef, SmallVector<float>>;
  if (isa<ReluOp>(op))
    return Result{"relu", {}};
  if (isa<SigmoidOp>(op))
    return Result{"sigmoid", {}};
  if (isa<TanhOp>(op))
    return Result{"tanh", {}};
  if (isa<HardSwishOp>(op))
    return Result{"hard_swish", {}};
  if (auto gelu = dyn_cast<GeluOp>(op))
    return Result{gelu.getApproximate() ? "gelu_tanh" : "gelu", {}};
  if (auto leaky = dyn_cast<LeakyReluOp>(op))
    return Result{"leaky_relu", {leaky.getAlpha().convertToFloat()}};
  if (auto hs = dyn_cast<HardSigmoidOp>(op))
    return Result{"hard_sigmoid",
                  {hs.getAlpha().convertToFloat(), hs.getBeta().convertToFloat()}};
  if (auto clip = dyn_cast<ClipOp>(op)) {
    float lo = -std::numeric_limits<float>::infinity(), hi = -lo;
    if (clip.getMin()) {
      auto v = scalarValue(clip.getMin());
      if (!v)
        return std::nullopt;
      lo = *v;
    }
    if (clip.getMax()) {
      auto v = scalarValue(clip.getMax());
      if (!v)
        return std::nullopt;
      hi = *v;
    }
    return Result{"clip", {lo, hi}};
  }
  return std::nullopt;
}

struct FuseIntoProducer : RewritePattern {
  FuseIntoProducer(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (op->getNumOperands() < 1 || op->getNumResults() != 1)
      return failure();
    Operation *producer = op->getOperand(0).getDefiningOp();
    if (!producer || !isa<ConvOp, GemmOp, MatMulOp>(producer) ||
        !producer->hasOneUse() || producer->hasAttr("activation") ||
        producer->getResult(0).getType() != op->getResult(0).getType() ||
        !llvm::cast<ShapedType>(op->getResult(0).getType())
             .getElementType()
             .isF32())
      return failure();
    auto epilogue = asEpilogue(op);
    if (!epilogue)
      return failure();
    rewriter.modifyOpInPlace(producer, [&] {
      producer->setAttr("activation", rewriter.getStringAttr(epilogue->first));
      if (!epilogue->second.empty())
        producer->setAttr("activation_params",
                          rewriter.getF32ArrayAttr(epilogue->second));
    });
    recordFusion(op, (producer->getName().stripDialect() + "_" +
                      epilogue->first).str());
    rewriter.replaceOp(op, producer->getResults());
    return success();
  }
};

struct FuseActivationPass
    : mlir::ds::graph::impl::FuseActivationPassBase<FuseActivationPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseIntoProducer>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
