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

/// Builds f64 arithmetic (scalars or vectors of one shape) for the f64
/// exp and log below: constants, and the i64 view of the same bits.
struct F64Builder {
  PatternRewriter &b;
  Location loc;
  Type type; // f64 or vector<...xf64>

  Type intType() const {
    Type i64 = b.getI64Type();
    if (auto vector = dyn_cast<VectorType>(type))
      return vector.clone(i64);
    return i64;
  }
  Value f(double v) const {
    return b.create<arith::ConstantOp>(loc, type, constantOf(type, v));
  }
  Value i(int64_t v) const {
    Type t = intType();
    auto scalar = b.getI64IntegerAttr(v);
    TypedAttr attr = isa<VectorType>(t)
                         ? TypedAttr(DenseElementsAttr::get(cast<ShapedType>(t),
                                                            scalar.getValue()))
                         : TypedAttr(scalar);
    return b.create<arith::ConstantOp>(loc, t, attr);
  }
  Value bits(Value x) const {
    return b.create<arith::BitcastOp>(loc, intType(), x);
  }
  Value fromBits(Value x) const {
    return b.create<arith::BitcastOp>(loc, type, x);
  }
  Value add(Value x, Value y) const {
    return b.create<arith::AddFOp>(loc, x, y);
  }
  Value sub(Value x, Value y) const {
    return b.create<arith::SubFOp>(loc, x, y);
  }
  Value mul(Value x, Value y) const {
    return b.create<arith::MulFOp>(loc, x, y);
  }
  Value cmp(arith::CmpFPredicate p, Value x, Value y) const {
    return b.create<arith::CmpFOp>(loc, p, x, y);
  }
  Value select(Value c, Value x, Value y) const {
    return b.create<arith::SelectOp>(loc, c, x, y);
  }
  /// c[0] + x (c[1] + x (c[2] + ...)).
  Value horner(Value x, ArrayRef<double> c) const {
    Value result = f(c.back());
    for (double coefficient : llvm::reverse(c.drop_back()))
      result = add(f(coefficient), mul(x, result));
    return result;
  }
  /// 2^k for i64 `k` in [-1022, 1023], exactly.
  Value powerOfTwo(Value k) const {
    return fromBits(b.create<arith::ShLIOp>(
        loc, b.create<arith::AddIOp>(loc, k, i(1023)), i(52)));
  }
};

// ln 2 split so that k * kLn2Hi is exact for the |k| <= 1075 used here.
constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;

/// exp on f64 in arithmetic, for GPU kernels (no libdevice): x = k ln2 + r
/// with |r| <= ln2/2, exp(r) by its Taylor series to r^13 (remainder below
/// 2^-56 relative), scaled by 2^k in two steps so that results near the
/// overflow and in the subnormal range are formed exactly.
struct ExpF64 : OpRewritePattern<math::ExpOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::ExpOp op,
                                PatternRewriter &rewriter) const override {
    if (!getElementTypeOrSelf(op.getType()).isF64())
      return failure();
    F64Builder b{rewriter, op.getLoc(), op.getType()};
    Value x = op.getOperand();
    // Clamped so that k fits the two scaling steps; beyond, inf or 0.
    Value clamped = rewriter.create<arith::MinimumFOp>(
        b.loc, rewriter.create<arith::MaximumFOp>(b.loc, x, b.f(-746)),
        b.f(710));
    Value kf = rewriter.create<math::FloorOp>(
        b.loc, b.add(b.mul(clamped, b.f(M_LOG2E)), b.f(0.5)));
    Value r =
        b.sub(b.sub(clamped, b.mul(kf, b.f(kLn2Hi))), b.mul(kf, b.f(kLn2Lo)));
    SmallVector<double> taylor = {1.0};
    for (int n = 1; n <= 13; ++n)
      taylor.push_back(taylor.back() / n);
    Value p = b.horner(r, taylor);
    Value k = rewriter.create<arith::FPToSIOp>(b.loc, b.intType(), kf);
    Value half = rewriter.create<arith::ShRSIOp>(b.loc, k, b.i(1));
    Value rest = rewriter.create<arith::SubIOp>(b.loc, k, half);
    Value result = b.mul(b.mul(p, b.powerOfTwo(half)), b.powerOfTwo(rest));
    result = b.select(b.cmp(arith::CmpFPredicate::OGT, x, b.f(709.8)),
                      b.f(INFINITY), result);
    result = b.select(b.cmp(arith::CmpFPredicate::OLT, x, b.f(-745.2)), b.f(0),
                      result);
    // NaN in, NaN out (the clamp would have made it a number).
    result = b.select(b.cmp(arith::CmpFPredicate::UNO, x, x), x, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// log on f64 in arithmetic, for GPU kernels: x = m 2^e with m in
/// [sqrt(1/2), sqrt(2)), log(m) = 2 atanh(s) with s = (m - 1) / (m + 1),
/// |s| < 0.172, by its series to s^25 (remainder below 2^-60 relative);
/// subnormals are scaled by 2^54 first.
struct LogF64 : OpRewritePattern<math::LogOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::LogOp op,
                                PatternRewriter &rewriter) const override {
    if (!getElementTypeOrSelf(op.getType()).isF64())
      return failure();
    F64Builder b{rewriter, op.getLoc(), op.getType()};
    Value x = op.getOperand();
    Value subnormal = b.cmp(arith::CmpFPredicate::OLT, x, b.f(0x1p-1022));
    Value scaled = b.select(subnormal, b.mul(x, b.f(0x1p54)), x);
    Value bits = b.bits(scaled);
    Value exponent = rewriter.create<arith::SubIOp>(
        b.loc, rewriter.create<arith::ShRUIOp>(b.loc, bits, b.i(52)),
        b.i(1023));
    exponent = rewriter.create<arith::SelectOp>(
        b.loc, subnormal,
        rewriter.create<arith::SubIOp>(b.loc, exponent, b.i(54)), exponent);
    Value fraction = rewriter.create<arith::AndIOp>(
        b.loc, bits, b.i((int64_t(1) << 52) - 1));
    Value m = b.fromBits(rewriter.create<arith::OrIOp>(
        b.loc, fraction, b.i(int64_t(1023) << 52)));
    // m in [1, 2); above sqrt(2), halve it and count one more power of 2.
    Value high = b.cmp(arith::CmpFPredicate::OGT, m, b.f(M_SQRT2));
    m = b.select(high, b.mul(m, b.f(0.5)), m);
    exponent = rewriter.create<arith::SelectOp>(
        b.loc, high, rewriter.create<arith::AddIOp>(b.loc, exponent, b.i(1)),
        exponent);
    Value s = rewriter.create<arith::DivFOp>(b.loc, b.sub(m, b.f(1)),
                                             b.add(m, b.f(1)));
    Value z = b.mul(s, s);
    SmallVector<double> series; // 1/3, 1/5, ..., 1/25
    for (int n = 3; n <= 25; n += 2)
      series.push_back(1.0 / n);
    Value tail = b.mul(z, b.horner(z, series));
    // 2s + 2s * tail, then e ln2 in two parts.
    Value twoS = b.mul(s, b.f(2));
    Value logM = b.add(twoS, b.mul(twoS, tail));
    Value e = rewriter.create<arith::SIToFPOp>(b.loc, b.type, exponent);
    Value result =
        b.add(b.mul(e, b.f(kLn2Hi)), b.add(logM, b.mul(e, b.f(kLn2Lo))));
    // log(+inf) = +inf, log(0) = -inf, log(x < 0) = NaN, NaN stays.
    result =
        b.select(b.cmp(arith::CmpFPredicate::OEQ, x, b.f(INFINITY)), x, result);
    result = b.select(b.cmp(arith::CmpFPredicate::OEQ, x, b.f(0)),
                      b.f(-INFINITY), result);
    result = b.select(b.cmp(arith::CmpFPredicate::ULT, x, b.f(0)),
                      b.f(std::nan("")), result);
    rewriter.replaceOp(op, result);
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
              ArcSineCosineAsAtan2<math::AcosOp, false>, ExpF64, LogF64>(ctx);
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
