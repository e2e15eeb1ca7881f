//===- FoldBatchNorm.cpp - BatchNormalization into the layer before -------===//
#include "dialects/Graph/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ds::graph {
#define GEN_PASS_DEF_FOLDBATCHNORMPASS
#include "dialects/Graph/Transforms/Passes.h.inc"
} // namespace mlir::ds::graph

using namespace mlir;
using namespace mlir::ds::graph;

namespace {

/// The values of a constant f32 tensor, or nothing.
std::optional<std::vector<float>> constantFloats(Value v) {
  DenseElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)) ||
      !attr.getElementType().isF32())
    return std::nullopt;
  auto values = attr.getValues<float>();
  return std::vector<float>(values.begin(), values.end());
}

/// The per-channel affine map a batch_norm applies: y = x * scale + shift.
struct ChannelAffine {
  std::vector<double> scale, shift;
};

std::optional<ChannelAffine> channelAffine(BatchNormOp bn) {
  auto gamma = constantFloats(bn.getScale()), beta = constantFloats(bn.getBias());
  auto mean = constantFloats(bn.getMean()), var = constantFloats(bn.getVariance());
  if (!gamma || !beta || !mean || !var)
    return std::nullopt;
  double eps = bn.getEpsilon().convertToDouble();
  ChannelAffine a;
  for (size_t c = 0; c < gamma->size(); ++c) {
    double s = (*gamma)[c] / std::sqrt((double)(*var)[c] + eps);
    a.scale.push_back(s);
    a.shift.push_back((*beta)[c] - (*mean)[c] * s);
  }
  return a;
}

Value floatConstant(PatternRewriter &rewriter, Location loc,
                    ArrayRef<int64_t> shape, ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, rewriter.getF32Type());
  return rewriter.create<ConstantOp>(loc, DenseElementsAttr::get(type, values));
}

/// The producer of a batch_norm's input, when the batch_norm is its only
/// user and no activation sits between them.
template <typename OpTy>
OpTy foldableProducer(BatchNormOp bn) {
  auto op = bn.getInput().template getDefiningOp<OpTy>();
  if (!op || !op->hasOneUse() || op.getActivation())
    return nullptr;
  return op;
}

struct FoldIntoConv : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto conv = foldableProducer<ConvOp>(bn);
    if (!conv)
      return failure();
    auto weights = constantFloats(conv.getWeight());
    auto affine = channelAffine(bn);
    std::optional<std::vector<float>> bias;
    if (conv.getBias() && !(bias = constantFloats(conv.getBias())))
      return failure();
    if (!weights || !affine)
      return failure();
    auto wShape = conv.getWeight().getType().getShape();
    int64_t channels = wShape[0], perChannel = weights->size() / channels;
    if ((int64_t)affine->scale.size() != channels)
      return failure();
    std::vector<float> newWeights(weights->size()), newBias(channels);
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < perChannel; ++i)
        newWeights[c * perChannel + i] =
            (*weights)[c * perChannel + i] * affine->scale[c];
      newBias[c] = (bias ? (*bias)[c] : 0.0) * affine->scale[c] + affine->shift[c];
    }
    Location loc = conv.getLoc();
    auto folded = rewriter.create<ConvOp>(
        loc, bn.getType(), conv.getInput(),
        floatConstant(rewriter, loc, wShape, newWeights),
        floatConstant(rewriter, loc, {channels}, newBias), conv.getStridesAttr(),
        conv.getPadsAttr(), conv.getDilationsAttr(), conv.getGroupAttr());
    recordFusion(bn, "conv_batchnorm");
    rewriter.replaceOp(bn, folded.getResult());
    rewriter.eraseOp(conv);
    return success();
  }
};

/// [M, N] results (Gemm, 2-D MatMul): the batch_norm channel is the column.
struct FoldIntoGemm : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto gemm = foldableProducer<GemmOp>(bn);
    if (!gemm || gemm.getType().getRank() != 2)
      return failure();
    auto b = constantFloats(gemm.getB());
    auto affine = channelAffine(bn);
    if (!b || !affine)
      return failure();
    int64_t n = gemm.getType().getShape()[1];
    if ((int64_t)affine->scale.size() != n)
      return failure();
    // C broadcast to a row: absent, a scalar, [N] or [1, N].
    std::vector<float> c(n, 0.0f);
    if (gemm.getC()) {
      auto cv = constantFloats(gemm.getC());
      auto cShape = gemm.getC().getType().getShape();
      if (!cv || (cv->size() != 1 && cv->size() != (size_t)n) ||
          (cShape.size() == 2 && cShape[0] != 1))
        return failure();
      for (int64_t j = 0; j < n; ++j)
        c[j] = (*cv)[cv->size() == 1 ? 0 : j];
    }
    double beta = gemm.getBeta().convertToDouble();
    auto bShape = gemm.getB().getType().getShape();
    std::vector<float> newB(b->size()), newC(n);
    for (int64_t r = 0; r < bShape[0]; ++r)
      for (int64_t k = 0; k < bShape[1]; ++k) {
        int64_t column = gemm.getTransB() ? r : k;
        newB[r * bShape[1] + k] = (*b)[r * bShape[1] + k] * affine->scale[column];
      }
    for (int64_t j = 0; j < n; ++j)
      newC[j] = beta * c[j] * affine->scale[j] + affine->shift[j];
    Location loc = gemm.getLoc();
    auto folded = rewriter.create<GemmOp>(
        loc, bn.getType(), gemm.getA(), floatConstant(rewriter, loc, bShape, newB),
        floatConstant(rewriter, loc, {n}, newC), gemm.getAlphaAttr(),
        rewriter.getF32FloatAttr(1.0f), gemm.getTransAAttr(),
        gemm.getTransBAttr());
    recordFusion(bn, "gemm_batchnorm");
    rewriter.replaceOp(bn, folded.getResult());
    rewriter.eraseOp(gemm);
    return success();
  }
};

struct FoldIntoMatMul : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto mm = foldableProducer<MatMulOp>(bn);
    if (!mm || mm.getType().getRank() != 2 ||
        mm.getRhs().getType().getRank() != 2)
      return failure();
    auto rhs = constantFloats(mm.getRhs());
    auto affine = channelAffine(bn);
    if (!rhs || !affine)
      return failure();
    int64_t k = mm.getRhs().getType().getShape()[0];
    int64_t n = mm.getRhs().getType().getShape()[1];
    if ((int64_t)affine->scale.size() != n)
      return failure();
    std::vector<float> bias(n, 0.0f);
    if (mm.getBias()) {
      auto bv = constantFloats(mm.getBias());
      if (!bv || (bv->size() != 1 && bv->size() != (size_t)n) ||
          mm.getBias().getType().getRank() > 1)
        return failure();
      for (int64_t j = 0; j < n; ++j)
        bias[j] = (*bv)[bv->size() == 1 ? 0 : j];
    }
    std::vector<float> newRhs(rhs->size()), newBias(n);
    for (int64_t r = 0; r < k; ++r)
      for (int64_t j = 0; j < n; ++j)
        newRhs[r * n + j] = (*rhs)[r * n + j] * affine->scale[j];
    for (int64_t j = 0; j < n; ++j)
      newBias[j] = bias[j] * affine->scale[j] + affine->shift[j];
    Location loc = mm.getLoc();
    auto folded = rewriter.create<MatMulOp>(
        loc, bn.getType(), mm.getLhs(), floatConstant(rewriter, loc, {k, n}, newRhs),
        floatConstant(rewriter, loc, {n}, newBias), StringAttr(), ArrayAttr());
    recordFusion(bn, "matmul_batchnorm");
    rewriter.replaceOp(bn, folded.getResult());
    rewriter.eraseOp(mm);
    return success();
  }
};

struct FoldBatchNormPass
    : mlir::ds::graph::impl::FoldBatchNormPassBase<FoldBatchNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldIntoConv, FoldIntoGemm, FoldIntoMatMul>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
