//===- ApproximateMath.cpp - polynomial exp, erf and tanh -----------------===//
#include "backends/Common/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include <cmath>

namespace mlir::ds {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "backends/Common/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {

/// `value` as a constant of `type` (a float, or a splat of one).
TypedAttr constantOf(Type type, double value) {
  auto scalar = FloatAttr::get(getElementTypeOrSelf(type), value);
  if (auto shaped = dyn_cast<ShapedType>(type))
    return DenseElementsAttr::get(shaped, scalar);
  return scalar;
}

/// pow(x, y) as exp(y * log|x|) with C's special cases: 1 when y is 0 or
/// x is 1 (or -1 with an infinite y), NaN for a negative x and a
/// non-integer y, negative for a negative x and an odd y. (Upstream's expansion
/// returns a number for a negative base and any exponent.)
struct PowFAsExpLog : OpRewritePattern<math::PowFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::PowFOp op,
                                PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Type type = op.getType();
    Value x = op.getLhs(), y = op.getRhs();
    auto constant = [&](double v) -> Value {
      return b.create<arith::ConstantOp>(loc, type, constantOf(type, v));
    };
    auto compare = [&](arith::CmpFPredicate p, Value a, Value c) -> Value {
      return b.create<arith::CmpFOp>(loc, p, a, c);
    };
    Value magnitude = b.create<math::ExpOp>(
        loc, b.create<arith::MulFOp>(
                 loc, y,
                 b.create<math::LogOp>(loc, b.create<math::AbsFOp>(loc, x))));
    Value yIsInteger =
        compare(arith::CmpFPredicate::OEQ, b.create<math::FloorOp>(loc, y), y);
    Value halfY = b.create<arith::MulFOp>(loc, y, constant(0.5));
    Value yIsOdd = b.create<arith::AndIOp>(
        loc, yIsInteger,
        compare(arith::CmpFPredicate::ONE, b.create<math::FloorOp>(loc, halfY),
                halfY));
    Value xIsNegative = compare(arith::CmpFPredicate::OLT, x, constant(0));
    Value negate = b.create<arith::AndIOp>(loc, xIsNegative, yIsOdd);
    Value signedResult = b.create<arith::SelectOp>(
        loc, negate, b.create<arith::NegFOp>(loc, magnitude), magnitude);
    Value yIsFraction = b.create<arith::XOrIOp>(
        loc, yIsInteger,
        b.create<arith::ConstantOp>(
            loc, yIsInteger.getType(),
            isa<ShapedType>(type)
                ? TypedAttr(DenseElementsAttr::get(
                      cast<ShapedType>(yIsInteger.getType()), true))
                : TypedAttr(b.getBoolAttr(true))));
    Value undefined = b.create<arith::AndIOp>(loc, xIsNegative, yIsFraction);
    Value result = b.create<arith::SelectOp>(
        loc, undefined, constant(std::nan("")), signedResult);
    // 1 for a zero exponent, a base of 1 (even with a NaN exponent), and
    // a base of -1 with an infinite exponent.
    // (Each value gets its own statement: the order of evaluation of
    // arguments would otherwise decide the order of the ops.)
    Value xIsOne = compare(arith::CmpFPredicate::OEQ, x, constant(1));
    Value absX = b.create<math::AbsFOp>(loc, x);
    Value xIsUnit = compare(arith::CmpFPredicate::OEQ, absX, constant(1));
    Value absY = b.create<math::AbsFOp>(loc, y);
    Value yIsInfinite =
        compare(arith::CmpFPredicate::OEQ, absY, constant(INFINITY));
    Value yIsZero = compare(arith::CmpFPredicate::OEQ, y, constant(0));
    Value one = b.create<arith::OrIOp>(
        loc, xIsOne, b.create<arith::AndIOp>(loc, xIsUnit, yIsInfinite));
    one = b.create<arith::OrIOp>(loc, one, yIsZero);
    result = b.create<arith::SelectOp>(loc, one, constant(1), result);
    b.replaceOp(op, result);
    return success();
  }
};

/// asin and acos through atan2, whose approximation holds its accuracy
/// near |x| = 1 where upstream's asin polynomial is off by 0.03.
template <typename Op, bool isAsin>
struct ArcSineCosineAsAtan2 : OpRewritePattern<Op> {
  ArcSineCosineAsAtan2(MLIRContext *ctx)
      : OpRewritePattern<Op>(ctx, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(Op op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Type type = op.getType();
    Value x = op.getOperand();
    Value one = b.create<arith::ConstantOp>(loc, type, constantOf(type, 1));
    // sqrt(1 - x^2), as (1 - x)(1 + x) to keep precision near 1.
    Value oneMinusX = b.create<arith::SubFOp>(loc, one, x);
    Value onePlusX = b.create<arith::AddFOp>(loc, one, x);
    Value cosine = b.create<math::SqrtOp>(
        loc, b.create<arith::MulFOp>(loc, oneMinusX, onePlusX));
    Value result = isAsin ? b.create<math::Atan2Op>(loc, x, cosine)
                          : b.create<math::Atan2Op>(loc, cosine, x);
    b.replaceOp(op, result);
    return success();
  }
};

struct ApproximateMathPass
    : ds::impl::ApproximateMathPassBase<ApproximateMathPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    RewritePatternSet all(ctx);
    if (allFunctions) {
      // Expansions first rewrite functions in terms of others (tan as
      // sin / cos, pow as exp and log), which the approximations then take.
      populateExpandTanPattern(all);
      populateExpandSinhPattern(all);
      populateExpandCoshPattern(all);
      populateExpandAsinhPattern(all);
      populateExpandAcoshPattern(all);
      populateExpandAtanhPattern(all);
      populateExpandExp2FPattern(all);
      all.add<PowFAsExpLog, ArcSineCosineAsAtan2<math::AsinOp, true>,
              ArcSineCosineAsAtan2<math::AcosOp, false>>(ctx);
      populateExpandFPowIPattern(all);
      populateMathPolynomialApproximationPatterns(all);
      patterns = FrozenRewritePatternSet(std::move(all));
      return success();
    }
    // Upstream registers approximations for many functions at once; keep
    // those of the three that matter for speed (their error is a few ulp,
    // well inside the conformance tolerances).
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
