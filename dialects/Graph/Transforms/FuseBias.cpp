//===- FuseBias.cpp - an Add after MatMul, Gemm or Conv becomes its bias -===//
#include "dialects/Graph/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ds::graph {
#define GEN_PASS_DEF_FUSEBIASPASS
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

/// Replaces `add` with `fused`, which took over `product` and the bias,
/// and counts the fusion.
void replaceWithFused(PatternRewriter &rewriter, AddOp add, Operation *product,
                      Operation *fused, llvm::StringRef kind) {
  recordFusion(add, kind);
  rewriter.replaceOp(add, fused->getResults());
  rewriter.eraseOp(product);
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
    replaceWithFused(rewriter, add, mm, fused, "matmul_bias");
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
    replaceWithFused(rewriter, add, gemm, fused, "gemm_bias");
    return success();
  }
};

/// Conv without bias plus a per-channel constant: the constant, flattened
/// to [C], is the bias.
struct ConvPlusBias : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    auto [conv, bias] = productPlusBias<ConvOp>(add);
    DenseElementsAttr values;
    if (!conv || conv.getBias() || !matchPattern(bias, m_Constant(&values)))
      return failure();
    int64_t channels = conv.getType().getShape()[1];
    auto shape = llvm::cast<RankedTensorType>(bias.getType()).getShape();
    // Per channel: exactly one dim is C and it lines up with the result's
    // dim 1; every other dim is 1.
    int64_t rank = conv.getType().getRank();
    int64_t channelDim = 1 - (rank - (int64_t)shape.size());
    if (channelDim < 0 || shape[channelDim] != channels ||
        llvm::count(shape, 1) != (int64_t)shape.size() - 1)
      return failure();
    auto flatType = RankedTensorType::get({channels}, values.getElementType());
    Value flat = rewriter.create<ConstantOp>(bias.getLoc(),
                                             values.reshape(flatType));
    auto fused = rewriter.create<ConvOp>(
        conv.getLoc(), add.getType(), conv.getInput(), conv.getWeight(), flat,
        conv.getStridesAttr(), conv.getPadsAttr(), conv.getDilationsAttr(),
        conv.getGroupAttr());
    replaceWithFused(rewriter, add, conv, fused, "conv_bias");
    return success();
  }
};

struct FuseBiasPass
    : mlir::ds::graph::impl::FuseBiasPassBase<FuseBiasPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MatMulPlusBias, GemmPlusBias, ConvPlusBias>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
