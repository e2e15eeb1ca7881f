//===- FuseMatMulBias.cpp - an Add after MatMul becomes its bias ----------===//
#include "dialects/Graph/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ds::graph {
#define GEN_PASS_DEF_FUSEMATMULBIASPASS
#include "dialects/Graph/Transforms/Passes.h.inc"
} // namespace mlir::ds::graph

using namespace mlir;
using namespace mlir::ds::graph;

namespace {

/// The operand of `add` that `op` does not produce, when the add only
/// broadcasts it into `op`'s result (the result keeps `op`'s shape).
template <typename OpTy>
std::pair<OpTy, Value> productPlusBias(AddOp add) {
  for (int i = 0; i < 2; ++i) {
    auto op = add.getOperand(i).template getDefiningOp<OpTy>();
    Value other = add.getOperand(1 - i);
    if (op && op->hasOneUse() && !op->hasAttr("activation") &&
        add.getType() == op.getType() && other != op.getResult())
      return {op, other};
  }
  return {nullptr, nullptr};
}

struct MatMulPlusBias : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    auto [mm, bias] = productPlusBias<MatMulOp>(add);
    if (!mm || mm.getBias())
      return failure();
    // Built at the add, where the bias is sure to be defined; it keeps the
    // MatMul node's name.
    auto fused = rewriter.create<MatMulOp>(mm.getLoc(), add.getType(),
                                           mm.getLhs(), mm.getRhs(), bias,
                                           StringAttr(), ArrayAttr());
    recordFusion(add, "matmul_bias");
    rewriter.replaceOp(add, fused.getResult());
    rewriter.eraseOp(mm);
    return success();
  }
};

/// Gemm without C plus a bias that broadcasts to [M, N]: C = bias, beta 1.
struct GemmPlusBias : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    auto [gemm, bias] = productPlusBias<GemmOp>(add);
    if (!gemm || gemm.getC() ||
        llvm::cast<RankedTensorType>(bias.getType()).getRank() > 2)
      return failure();
    auto fused = rewriter.create<GemmOp>(
        gemm.getLoc(), add.getType(), gemm.getA(), gemm.getB(), bias,
        gemm.getAlphaAttr(), rewriter.getF32FloatAttr(1.0f),
        gemm.getTransAAttr(), gemm.getTransBAttr());
    recordFusion(add, "gemm_bias");
    rewriter.replaceOp(add, fused.getResult());
    rewriter.eraseOp(gemm);
    return success();
  }
};

struct FuseMatMulBiasPass
    : mlir::ds::graph::impl::FuseMatMulBiasPassBase<FuseMatMulBiasPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MatMulPlusBias, GemmPlusBias>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
