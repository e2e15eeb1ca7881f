//===- RecomposeOps.cpp - GELU and LayerNorm back from their primitives ---===//
#include "dialects/Graph/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::ds::graph {
#define GEN_PASS_DEF_RECOMPOSEOPSPASS
#include "dialects/Graph/Transforms/Passes.h.inc"
} // namespace mlir::ds::graph

using namespace mlir;
using namespace mlir::ds::graph;

namespace {

/// Whether `v` is a constant whose elements all equal `expected` (to the
/// precision exporters write such constants with).
bool isSplatOf(Value v, double expected) {
  DenseElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)) ||
      !llvm::isa<FloatType>(attr.getElementType()) || !attr.isSplat())
    return false;
  double got = attr.getSplatValue<APFloat>().convertToDouble();
  return std::abs(got - expected) <= 1e-4 * std::max(1.0, std::abs(expected));
}

std::optional<double> splatValue(Value v) {
  DenseElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)) ||
      !llvm::isa<FloatType>(attr.getElementType()) || !attr.isSplat())
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

/// For `1 + erf(x / sqrt(2))` (or `x * (1/sqrt(2))`, either add order),
/// returns x.
Value erfTermInput(Value v) {
  auto add = v.getDefiningOp<AddOp>();
  if (!add)
    return nullptr;
  for (int i = 0; i < 2; ++i) {
    auto erf = add.getOperand(i).getDefiningOp<ErfOp>();
    if (!erf || !isSplatOf(add.getOperand(1 - i), 1.0))
      continue;
    Value scaled = erf.getInput();
    if (auto div = scaled.getDefiningOp<DivOp>();
        div && isSplatOf(div.getRhs(), M_SQRT2))
      return div.getLhs();
    if (auto mul = scaled.getDefiningOp<MulOp>())
      for (int j = 0; j < 2; ++j)
        if (isSplatOf(mul.getOperand(1 - j), M_SQRT1_2))
          return mul.getOperand(j);
  }
  return nullptr;
}

/// x * 0.5 * (1 + erf(x / sqrt(2))), the factors multiplied in any order.
struct RecomposeGelu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp root,
                                PatternRewriter &rewriter) const override {
    SmallVector<Value> factors;
    for (Value operand : root->getOperands()) {
      auto inner = operand.getDefiningOp<MulOp>();
      if (inner && inner->hasOneUse())
        factors.append({inner.getLhs(), inner.getRhs()});
      else
        factors.push_back(operand);
    }
    if (factors.size() != 3)
      return failure();
    Value x;
    for (Value f : factors)
      if (Value in = erfTermInput(f))
        x = in;
    if (!x || x.getType() != root.getType())
      return failure();
    int halves = 0, xs = 0, terms = 0;
    for (Value f : factors) {
      if (f == x)
        ++xs;
      else if (isSplatOf(f, 0.5))
        ++halves;
      else if (erfTermInput(f) == x)
        ++terms;
    }
    if (xs != 1 || halves != 1 || terms != 1)
      return failure();
    recordFusion(root, "gelu");
    rewriter.replaceOpWithNewOp<GeluOp>(root, root.getType(), x,
                                        rewriter.getBoolAttr(false));
    return success();
  }
};

/// reduce_mean over the trailing axes [axis, rank), keeping them.
std::optional<int64_t> trailingMeanAxis(ReduceMeanOp mean) {
  auto axes = mean.getAxes();
  int64_t rank = mean.getInput().getType().getRank();
  if (!mean.getKeepdims() || axes.empty())
    return std::nullopt;
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != rank - (int64_t)axes.size() + (int64_t)i)
      return std::nullopt;
  return axes.front();
}

/// (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) over trailing axes.
struct RecomposeLayerNorm : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp div,
                                PatternRewriter &rewriter) const override {
    auto centered = div.getLhs().getDefiningOp<SubOp>();
    auto sqrt = div.getRhs().getDefiningOp<SqrtOp>();
    if (!centered || !sqrt)
      return failure();
    Value x = centered.getLhs();
    auto mean = centered.getRhs().getDefiningOp<ReduceMeanOp>();
    if (!mean || mean.getInput() != x || x.getType() != div.getType())
      return failure();
    auto axis = trailingMeanAxis(mean);
    auto shifted = sqrt.getInput().getDefiningOp<AddOp>();
    if (!axis || !shifted)
      return failure();
    std::optional<double> eps;
    ReduceMeanOp variance;
    for (int i = 0; i < 2 && !variance; ++i)
      if ((eps = splatValue(shifted.getOperand(1 - i))))
        variance = shifted.getOperand(i).getDefiningOp<ReduceMeanOp>();
    if (!variance || !eps || variance.getAxes() != mean.getAxes() ||
        !variance.getKeepdims())
      return failure();
    Operation *square = variance.getInput().getDefiningOp();
    bool squares =
        (isa_and_nonnull<PowOp>(square) &&
         square->getOperand(0) == centered.getResult() &&
         isSplatOf(square->getOperand(1), 2.0)) ||
        (isa_and_nonnull<MulOp>(square) &&
         square->getOperand(0) == centered.getResult() &&
         square->getOperand(1) == centered.getResult());
    if (!squares)
      return failure();
    auto type = llvm::cast<RankedTensorType>(x.getType());
    auto normShape = type.getShape().drop_front(*axis);
    auto scaleType = RankedTensorType::get(normShape, type.getElementType());
    if (!scaleType.hasStaticShape())
      return failure();
    Value ones = rewriter.create<ConstantOp>(
        div.getLoc(), DenseElementsAttr::get(
                          scaleType, rewriter.getFloatAttr(
                                         type.getElementType(), 1.0)));
    recordFusion(div, "layer_norm");
    rewriter.replaceOpWithNewOp<LayerNormOp>(
        div, type, x, ones, Value(), rewriter.getI64IntegerAttr(*axis),
        rewriter.getF32FloatAttr(*eps));
    return success();
  }
};

/// layer_norm with unit scale and no bias, times gamma (plus beta): the
/// scale (and shift) move into the layer_norm.
template <typename OpTy>
struct AbsorbAffine : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    constexpr bool isScale = std::is_same_v<OpTy, MulOp>;
    for (int i = 0; i < 2; ++i) {
      auto ln = op->getOperand(i).template getDefiningOp<LayerNormOp>();
      Value other = op->getOperand(1 - i);
      if (!ln || !ln->hasOneUse() || ln.getBias() || op.getType() != ln.getType())
        continue;
      if (isScale && !isSplatOf(ln.getScale(), 1.0))
        continue;
      // Only along the normalized dims: the layer_norm's parameters.
      int64_t normRank = ln.getType().getRank() - ln.getAxis();
      if (llvm::cast<RankedTensorType>(other.getType()).getRank() > normRank)
        continue;
      rewriter.replaceOpWithNewOp<LayerNormOp>(
          op, ln.getType(), ln.getInput(), isScale ? other : ln.getScale(),
          isScale ? Value() : other, ln.getAxisAttr(), ln.getEpsilonAttr());
      rewriter.eraseOp(ln);
      return success();
    }
    return failure();
  }
};

struct RecomposeOpsPass
    : mlir::ds::graph::impl::RecomposeOpsPassBase<RecomposeOpsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RecomposeGelu, RecomposeLayerNorm, AbsorbAffine<MulOp>,
                 AbsorbAffine<AddOp>>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
