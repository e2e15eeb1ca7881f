//===- QuantToLinalg.cpp - lower dsq to linalg/tensor/arith/math ----------===//
//
// Quantize and dequantize become elementwise generics whose scale and zero
// point are read through an indexing map (per tensor, per axis or per
// block), so they fuse with their neighbours like any elementwise op.
// Integer contractions accumulate in i32 with the operands widened in the
// loop body; packed weights are unpacked in the body too, so no widened or
// float copy of a weight tensor exists.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/LinalgBuilders.h"
#include "passes/Conversion/Passes.h"

#include "dialects/Quant/IR/QuantOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::lowering;
namespace q = mlir::ds::quant;

namespace {

/// The map from a quantized tensor's loops to its scale (or zero point)
/// entry, for the three layouts of QuantBase.td.
AffineMap scaleMap(MLIRContext *ctx, RankedTensorType data,
                   RankedTensorType scale, int64_t axisAttr, int64_t block) {
  int64_t rank = data.getRank();
  if (scale.getRank() == 0)
    return AffineMap::get(rank, 0, {}, ctx);
  FailureOr<int64_t> axis = q::normalizeAxis(axisAttr, rank);
  if (block == 0) {
    bool perTensor = failed(axis) ||
                     (scale.getDimSize(0) == 1 && data.getDimSize(*axis) != 1);
    return AffineMap::get(rank, 0,
                          perTensor ? getAffineConstantExpr(0, ctx)
                                    : getAffineDimExpr(*axis, ctx));
  }
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    exprs.push_back(d == *axis ? getAffineDimExpr(d, ctx).floorDiv(block)
                               : getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value widenInt(OpBuilder &b, Location loc, Value v, bool isUnsigned, Type to) {
  if (v.getType() == to)
    return v;
  if (isUnsigned)
    return b.create<arith::ExtUIOp>(loc, to, v);
  return b.create<arith::ExtSIOp>(loc, to, v);
}

bool isUnsignedElement(Value v) {
  return tensorType(v).getElementType().isUnsignedInteger();
}

/// saturate(round_half_even(x / scale) + zeroPoint) in f32, as an integer
/// of `resultType` (bounds from `rangeType`, which carries the signedness).
/// A zero scale or a NaN quotient gives the zero point: no division by
/// zero leaks out, and infinities saturate.
Value quantizeScalar(OpBuilder &b, Location loc, Value x, Value scale,
                     Value zeroPoint, Type rangeType, Type resultType) {
  Type f32 = b.getF32Type();
  auto [lo, hi] = q::integerRange(rangeType);
  // (Operands are built one statement at a time: the IR must not depend
  // on the compiler's argument evaluation order.)
  Value quotient = b.create<arith::DivFOp>(loc, x, scale);
  Value rounded = b.create<math::RoundEvenOp>(loc, quotient);
  Value shifted = b.create<arith::AddFOp>(loc, rounded, zeroPoint);
  Value loValue = scalarConst(b, loc, f32, (double)lo);
  Value hiValue = scalarConst(b, loc, f32, (double)hi);
  Value atLeastLo = b.create<arith::MaximumFOp>(loc, shifted, loValue);
  Value clamped = b.create<arith::MinimumFOp>(loc, atLeastLo, hiValue);
  Value zero = scalarConst(b, loc, f32, 0);
  Value zeroScale =
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, scale, zero);
  Value isNaN =
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, shifted, shifted);
  Value value = b.create<arith::SelectOp>(
      loc, b.create<arith::OrIOp>(loc, zeroScale, isNaN), zeroPoint, clamped);
  Value wide = b.create<arith::FPToSIOp>(loc, b.getI32Type(), value);
  if (resultType == wide.getType())
    return wide;
  return b.create<arith::TruncIOp>(loc, resultType, wide);
}

/// An integer zero point (or 0) as f32.
Value zeroPointAsFloat(OpBuilder &b, Location loc, Value zeroPoint,
                       bool isUnsigned) {
  Type f32 = b.getF32Type();
  if (!zeroPoint)
    return scalarConst(b, loc, f32, 0);
  Value wide = widenInt(b, loc, zeroPoint, isUnsigned, b.getI32Type());
  return b.create<arith::SIToFPOp>(loc, f32, wide);
}

Value toF32(OpBuilder &b, Location loc, Value v) {
  return convertFloat(b, loc, v, b.getF32Type());
}

/// An elementwise generic over a quantize or dequantize: `body` gets the
/// data element, its scale and its zero point (null when absent), each
/// parameter read through the op's layout map.
template <typename OpTy>
Value buildScaledElementwise(
    ConversionPatternRewriter &rewriter, OpTy op,
    typename OpTy::Adaptor adaptor, RankedTensorType resultType,
    function_ref<Value(OpBuilder &, Location, Value, Value, Value)> body) {
  Location loc = op.getLoc();
  auto dataType = op.getInput().getType();
  int64_t rank = dataType.getRank();
  AffineMap paramMap =
      scaleMap(rewriter.getContext(), dataType, op.getScale().getType(),
               op.getAxis(), op.getBlockSize());
  SmallVector<Value> inputs = {adaptor.getInput(), adaptor.getScale()};
  SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank),
                                 paramMap};
  if (adaptor.getZeroPoint()) {
    inputs.push_back(adaptor.getZeroPoint());
    maps.push_back(paramMap);
  }
  maps.push_back(rewriter.getMultiDimIdentityMap(rank));
  Value init = emptyTensor(
      rewriter, loc, resultType,
      dynamicSizesLike(rewriter, loc, resultType, adaptor.getInput()));
  bool hasZeroPoint = (bool)adaptor.getZeroPoint();
  return rewriter
      .create<linalg::GenericOp>(
          loc, TypeRange{resultType}, inputs, ValueRange{init}, maps,
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [&](OpBuilder &b, Location l, ValueRange args) {
            Value result =
                body(b, l, args[0], args[1], hasZeroPoint ? args[2] : Value());
            b.create<linalg::YieldOp>(l, result);
          })
      .getResult(0);
}

struct QuantizeLowering : GraphPattern<q::QuantizeOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(q::QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = convertedType(op.getType());
    Type rangeType = op.getType().getElementType();
    bool zpUnsigned = rangeType.isUnsignedInteger();
    Value result = buildScaledElementwise(
        rewriter, op, adaptor, resultType,
        [&](OpBuilder &b, Location l, Value element, Value scale,
            Value zeroPoint) {
          Value zp = zeroPointAsFloat(b, l, zeroPoint, zpUnsigned);
          Value x = toF32(b, l, element);
          Value s = toF32(b, l, scale);
          return quantizeScalar(b, l, x, s, zp, rangeType,
                                resultType.getElementType());
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct DequantizeLowering : GraphPattern<q::DequantizeOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(q::DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = convertedType(op.getType());
    bool isUnsigned = isUnsignedElement(op.getInput());
    auto resultElt = llvm::cast<FloatType>(resultType.getElementType());
    Value result = buildScaledElementwise(
        rewriter, op, adaptor, resultType,
        [&](OpBuilder &b, Location l, Value element, Value scale,
            Value zeroPoint) {
          // (x - zp) is exact in i32 for every quantized width.
          Type i32 = b.getI32Type();
          Value x = widenInt(b, l, element, isUnsigned, i32);
          if (zeroPoint) {
            Value zp = widenInt(b, l, zeroPoint, isUnsigned, i32);
            x = b.create<arith::SubIOp>(l, x, zp);
          }
          Value real = b.create<arith::SIToFPOp>(l, b.getF32Type(), x);
          Value s = toF32(b, l, scale);
          Value value = b.create<arith::MulFOp>(l, real, s);
          return convertFloat(b, l, value, resultElt);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The smallest and largest element of `input` as rank-0 tensors, NaNs
/// ignored (minnumf/maxnumf). One pass computes both: the input is viewed
/// as [rows, lanes] with `lanes` up to 64 dividing its element count (its
/// last dim when others are dynamic), reduced over the rows into per-lane
/// minima and maxima (a reduction whose innermost loop is parallel, so the
/// backends vectorize it), and the lanes are reduced last. (Lanes from the
/// last dim alone were 2 for a 14x14 feature map: a scalar loop, 3/4 of an
/// int8 1x1 convolution's time.)
std::pair<Value, Value> rangeOf(OpBuilder &b, Location loc, Value input) {
  auto inType = tensorType(input);
  Type elt = inType.getElementType();
  int64_t span = inType.hasStaticShape() ? inType.getNumElements()
                 : inType.getRank()      ? inType.getShape().back()
                                         : 1;
  int64_t lanes = 1;
  if (!ShapedType::isDynamic(span))
    for (int64_t candidate : {64, 32, 16, 8, 4, 2})
      if (span % candidate == 0) {
        lanes = candidate;
        break;
      }
  int64_t rows = ShapedType::kDynamic;
  if (inType.hasStaticShape())
    rows = inType.getNumElements() / lanes;
  auto gridType = RankedTensorType::get({rows, lanes}, elt);
  Value grid = reshapeTensor(b, loc, input, gridType);
  MLIRContext *ctx = b.getContext();
  auto laneType = RankedTensorType::get({lanes}, elt);
  Value lowest =
      filledTensor(b, loc, laneType, extremeConst(b, loc, elt, false));
  Value highest =
      filledTensor(b, loc, laneType, extremeConst(b, loc, elt, true));
  AffineMap gridMap = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap laneMap = AffineMap::get(2, 0, getAffineDimExpr(1, ctx));
  auto perLane = b.create<linalg::GenericOp>(
      loc, TypeRange{laneType, laneType}, ValueRange{grid},
      ValueRange{lowest, highest},
      ArrayRef<AffineMap>{gridMap, laneMap, laneMap},
      ArrayRef<utils::IteratorType>{utils::IteratorType::reduction,
                                    utils::IteratorType::parallel},
      [](OpBuilder &nb, Location l, ValueRange args) {
        Value lo = nb.create<arith::MinNumFOp>(l, args[0], args[1]);
        Value hi = nb.create<arith::MaxNumFOp>(l, args[0], args[2]);
        nb.create<linalg::YieldOp>(l, ValueRange{lo, hi});
      });
  auto reduceLanes = [&](Value perLaneValues, bool isMin) -> Value {
    Value reduced = buildReduction(
        b, loc, perLaneValues, {0}, extremeConst(b, loc, elt, !isMin),
        [&](OpBuilder &nb, Location l, Value x, Value acc) -> Value {
          if (isMin)
            return nb.create<arith::MinNumFOp>(l, x, acc);
          return nb.create<arith::MaxNumFOp>(l, x, acc);
        });
    return reduced;
  };
  Value minimum = reduceLanes(perLane.getResult(0), true);
  Value maximum = reduceLanes(perLane.getResult(1), false);
  return {minimum, maximum};
}

struct DynamicQuantizeLowering : GraphPattern<q::DynamicQuantizeOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(q::DynamicQuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    Type f32 = rewriter.getF32Type(), i8 = rewriter.getI8Type();
    Type u8 = op.getResult().getType().getElementType();
    auto [minimum, maximum] = rangeOf(rewriter, loc, input);
    // Scale and zero point are computed by a rank-0 op from the rank-0
    // range, and read by the quantizing op as operands: no value goes
    // through the host, so a GPU computes all of it on the device.
    //   scale = (max(0, hi) - min(0, lo)) / 255,
    //   zero_point = saturate(round(0 - lo / scale)) (quantizing 0 itself).
    auto scalarType = RankedTensorType::get({}, f32);
    auto zeroPointType = RankedTensorType::get({}, i8);
    auto scalarMap = AffineMap::get(0, 0, rewriter.getContext());
    auto parameters = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{scalarType, zeroPointType}, ValueRange{minimum, maximum},
        ValueRange{emptyTensor(rewriter, loc, scalarType),
                   emptyTensor(rewriter, loc, zeroPointType)},
        SmallVector<AffineMap>(4, scalarMap), ArrayRef<utils::IteratorType>{},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value zero = scalarConst(b, l, f32, 0);
          Value lowest = toF32(b, l, args[0]);
          Value highest = toF32(b, l, args[1]);
          Value lo = b.create<arith::MinNumFOp>(l, lowest, zero);
          Value hi = b.create<arith::MaxNumFOp>(l, highest, zero);
          Value range = b.create<arith::SubFOp>(l, hi, lo);
          Value levels = scalarConst(b, l, f32, 255);
          Value scale = b.create<arith::DivFOp>(l, range, levels);
          Value negLo = b.create<arith::NegFOp>(l, lo);
          Value zeroPoint = quantizeScalar(b, l, negLo, scale, zero, u8, i8);
          b.create<linalg::YieldOp>(l, ValueRange{scale, zeroPoint});
        });
    Value scaleTensor = parameters.getResult(0);
    Value zeroPointTensor = parameters.getResult(1);
    auto resultType = convertedType(op.getResult().getType());
    Value result = buildElementwise(
        rewriter, loc, resultType,
        ValueRange{input, scaleTensor, zeroPointTensor},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = toF32(b, l, args[0]);
          Value zeroPoint = b.create<arith::UIToFPOp>(l, f32, args[2]);
          return quantizeScalar(b, l, x, args[1], zeroPoint, u8, i8);
        });
    rewriter.replaceOp(op, {result, scaleTensor, zeroPointTensor});
    return success();
  }
};

/// Codes per dot-product group: the width of an int8 dot-product
/// instruction (x86 vpdpbusd, AArch64 sdot) per 32-bit lane.
constexpr int64_t kDotGroup = 4;

/// The i32 product of uint8 rows `lhs` [..., m, K/4, 4] and int8 columns
/// `rhs` [K/4, N, 4] added to `init` [..., m, N], as a contraction over
/// (result dims..., k/4, k%4): for each k/4, the four codes of a column
/// that one 32-bit lane of a dot-product instruction takes are
/// contiguous, and so are 16 columns' worth. The backends keep the k%4
/// loop whole in the register tile.
Value dotGroupProduct(OpBuilder &b, Location loc, Value lhs, Value rhs,
                      Value init) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = tensorType(init).getRank(), loops = rank + 2;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> lhsExprs, outExprs;
  for (int64_t i = 0; i < rank - 1; ++i)
    lhsExprs.push_back(d(i));
  lhsExprs.append({d(rank), d(rank + 1)});
  for (int64_t i = 0; i < rank; ++i)
    outExprs.push_back(d(i));
  SmallVector<AffineMap> maps = {
      AffineMap::get(loops, 0, lhsExprs, ctx),
      AffineMap::get(loops, 0, {d(rank), d(rank - 1), d(rank + 1)}, ctx),
      AffineMap::get(loops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.append(2, utils::IteratorType::reduction);
  Type i32 = b.getI32Type();
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{init.getType()}, ValueRange{lhs, rhs},
          ValueRange{init}, maps, iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value a = nb.create<arith::ExtUIOp>(l, i32, args[0]);
            Value w = nb.create<arith::ExtSIOp>(l, i32, args[1]);
            Value product = nb.create<arith::MulIOp>(l, a, w);
            Value sum = nb.create<arith::AddIOp>(l, args[2], product);
            nb.create<linalg::YieldOp>(l, sum);
          })
      .getResult(0);
}

struct MatMulIntegerLowering : GraphPattern<q::MatMulIntegerOp> {
  MatMulIntegerLowering(const TypeConverter &converter, MLIRContext *ctx,
                        int64_t dotLimit)
      : GraphPattern(converter, ctx), dotLimit(dotLimit) {}
  /// The largest weight code magnitude the target's dot products take.
  int64_t dotLimit;

  /// uint8 activations times a constant int8 [K, N] weight without zero
  /// points (what dynamic quantization makes), as dot-product groups with
  /// the weight repacked at compile time as [K/4, N, 4].
  Value lowerDotGroups(q::MatMulIntegerOp op, OpAdaptor adaptor,
                       DenseElementsAttr weight,
                       ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    auto resultType = convertedType(op.getType());
    auto lhsType = tensorType(adaptor.getLhs());
    int64_t k = weight.getType().getDimSize(0);
    int64_t n = weight.getType().getDimSize(1);
    auto codes = llvm::to_vector(weight.getValues<int8_t>());
    SmallVector<int8_t> packed(k * n);
    for (int64_t row = 0; row < k; ++row)
      for (int64_t col = 0; col < n; ++col)
        packed[((row / kDotGroup) * n + col) * kDotGroup + row % kDotGroup] =
            codes[row * n + col];
    Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type();
    Value rhs = rewriter.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(
                 RankedTensorType::get({k / kDotGroup, n, kDotGroup}, i8),
                 ArrayRef<int8_t>(packed)));
    SmallVector<int64_t> lhsShape(lhsType.getShape());
    lhsShape.back() = k / kDotGroup;
    lhsShape.push_back(kDotGroup);
    Value lhs = reshapeTensor(rewriter, loc, adaptor.getLhs(),
                              RankedTensorType::get(lhsShape, i8));
    Value init = filledTensor(
        rewriter, loc, resultType, scalarConst(rewriter, loc, i32, 0),
        dynamicSizesLike(rewriter, loc, resultType, adaptor.getLhs()));
    return dotGroupProduct(rewriter, loc, lhs, rhs, init);
  }

  LogicalResult
  matchAndRewrite(q::MatMulIntegerOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    DenseElementsAttr weight;
    auto rhsType = op.getRhs().getType();
    if (!op.getLhsZeroPoint() && isUnsignedElement(op.getLhs()) &&
        !isUnsignedElement(op.getRhs()) && rhsType.getRank() == 2 &&
        op.getLhs().getType().getRank() >= 2 &&
        rhsType.getDimSize(0) % kDotGroup == 0 &&
        matchPattern(adaptor.getRhs(), m_Constant(&weight)) &&
        llvm::all_of(weight.getValues<int8_t>(), [&](int8_t code) {
          return std::abs((int)code) <= dotLimit;
        })) {
      rewriter.replaceOp(op, lowerDotGroups(op, adaptor, weight, rewriter));
      return success();
    }
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto resultType = convertedType(op.getType());
    int64_t rank = resultType.getRank();
    SmallVector<AffineMap> maps = matmulIndexingMaps(
        ctx, tensorType(adaptor.getLhs()).getShape(),
        tensorType(adaptor.getRhs()).getShape(), resultType.getShape());
    SmallVector<Value> inputs = {adaptor.getLhs(), adaptor.getRhs()};
    SmallVector<Value> sizes =
        dynamicSizesFromLoops(rewriter, loc, resultType, maps[2], inputs,
                              ArrayRef(maps).take_front(2));
    Type i32 = rewriter.getI32Type();
    bool lhsUnsigned = isUnsignedElement(op.getLhs());
    bool rhsUnsigned = isUnsignedElement(op.getRhs());
    // A per-tensor zero point is read once, outside the loops; one per row
    // (column) is an input indexed by the m (n) loop.
    struct ZeroPoint {
      Value scalar;
      int64_t input = -1;
    };
    auto prepare = [&](Value zp, int64_t loop) -> ZeroPoint {
      if (!zp)
        return {};
      auto type = tensorType(zp);
      if (type.getNumElements() == 1) {
        SmallVector<Value> zeros(
            type.getRank(), rewriter.create<arith::ConstantIndexOp>(loc, 0));
        return {rewriter.create<tensor::ExtractOp>(loc, zp, zeros), -1};
      }
      inputs.push_back(zp);
      maps.insert(maps.end() - 1,
                  AffineMap::get(rank + 1, 0, getAffineDimExpr(loop, ctx)));
      return {Value(), (int64_t)inputs.size() - 1};
    };
    ZeroPoint lhsZp = prepare(adaptor.getLhsZeroPoint(), rank - 2);
    ZeroPoint rhsZp = prepare(adaptor.getRhsZeroPoint(), rank - 1);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    Value init = filledTensor(rewriter, loc, resultType,
                              scalarConst(rewriter, loc, i32, 0), sizes);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{resultType}, inputs, ValueRange{init}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          auto centered = [&](Value v, bool isUnsigned,
                              const ZeroPoint &zp) -> Value {
            Value wide = widenInt(b, l, v, isUnsigned, i32);
            Value z = zp.input >= 0 ? args[zp.input] : zp.scalar;
            if (!z)
              return wide;
            return b.create<arith::SubIOp>(l, wide,
                                           widenInt(b, l, z, isUnsigned, i32));
          };
          Value lhs = centered(args[0], lhsUnsigned, lhsZp);
          Value rhs = centered(args[1], rhsUnsigned, rhsZp);
          Value product = b.create<arith::MulIOp>(l, lhs, rhs);
          Value sum = b.create<arith::AddIOp>(l, args.back(), product);
          b.create<linalg::YieldOp>(l, sum);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// Code i of a byte of packed `bits`-wide codes, low bits first, as i8;
/// i is loop `codeLoop` of the enclosing linalg op.
Value unpackCode(OpBuilder &b, Location l, Value byte, unsigned codeLoop,
                 int64_t bits) {
  Type i8 = b.getI8Type();
  Value index = b.create<arith::IndexCastOp>(
      l, i8, b.create<linalg::IndexOp>(l, codeLoop));
  Value shift =
      b.create<arith::MulIOp>(l, index, scalarConst(b, l, i8, (double)bits));
  return b.create<arith::AndIOp>(
      l, b.create<arith::ShRUIOp>(l, byte, shift),
      scalarConst(b, l, i8, (double)((1 << bits) - 1)));
}

/// A packed-weight product in its plainest form, for weights that are not
/// constants (and GPU kernels): one generic over loops (m, n, g, j, i)
///   out[m, n] += x(split[m, g, j, i]) * (code - zero_point) * scale,
/// code i of byte j of group g of row n of `packedWeight` [N, bytes]
/// unpacked in the body; `split` is the input as [M, groups, bytes per
/// group, codes per byte] and `inputValue` gives an element's float value.
Value packedProductGeneric(
    OpBuilder &b, Location loc, Value split, Value packedWeight, Value scale,
    Value zeroPoint, Value init, int64_t bits,
    function_ref<Value(OpBuilder &, Location, Value)> inputValue) {
  MLIRContext *ctx = b.getContext();
  auto splitType = tensorType(split);
  int64_t groups = splitType.getDimSize(1);
  int64_t bytesPerGroup = splitType.getDimSize(2);
  int64_t n = tensorType(packedWeight).getDimSize(0);
  Type elt = tensorType(init).getElementType();
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  Value weight = b.create<tensor::ExpandShapeOp>(
      loc, RankedTensorType::get({n, groups, bytesPerGroup}, b.getI8Type()),
      packedWeight, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  SmallVector<Value> inputs = {split, weight, scale};
  SmallVector<AffineMap> maps = {
      AffineMap::get(5, 0, {d(0), d(2), d(3), d(4)}, ctx),
      AffineMap::get(5, 0, {d(1), d(2), d(3)}, ctx),
      AffineMap::get(5, 0, {d(1), d(2)}, ctx)};
  if (zeroPoint) {
    inputs.push_back(zeroPoint);
    maps.push_back(AffineMap::get(5, 0, {d(1), d(2)}, ctx));
  }
  maps.push_back(AffineMap::get(5, 0, {d(0), d(1)}, ctx));
  SmallVector<utils::IteratorType> iterators = {
      utils::IteratorType::parallel, utils::IteratorType::parallel,
      utils::IteratorType::reduction, utils::IteratorType::reduction,
      utils::IteratorType::reduction};
  bool hasZeroPoint = (bool)zeroPoint;
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
          iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Type i32 = nb.getI32Type();
            Value code = unpackCode(nb, l, args[1], 4, bits);
            Value zp = hasZeroPoint
                           ? nb.create<arith::ExtUIOp>(l, i32, args[3])
                                 .getResult()
                           : scalarConst(nb, l, i32, (double)(1 << (bits - 1)));
            Value wideCode = nb.create<arith::ExtUIOp>(l, i32, code);
            Value centered = nb.create<arith::SubIOp>(l, wideCode, zp);
            Value real = nb.create<arith::SIToFPOp>(l, elt, centered);
            Value factor =
                convertFloat(nb, l, args[2], llvm::cast<FloatType>(elt));
            Value w = nb.create<arith::MulFOp>(l, real, factor);
            Value term =
                nb.create<arith::MulFOp>(l, inputValue(nb, l, args[0]), w);
            Value sum = nb.create<arith::AddFOp>(l, args.back(), term);
            nb.create<linalg::YieldOp>(l, sum);
          })
      .getResult(0);
}

/// `input` [..., K] as [M, groups * group size] rows, padded at the end
/// with `padValue` to whole groups.
Value rowsOfGroups(OpBuilder &b, Location loc, Value input, int64_t k,
                   int64_t paddedK, Value padValue) {
  auto inType = tensorType(input);
  Type elt = inType.getElementType();
  int64_t rows = 1;
  for (int64_t size : inType.getShape().drop_back())
    rows = ShapedType::isDynamic(size) || ShapedType::isDynamic(rows)
               ? ShapedType::kDynamic
               : rows * size;
  Value rowsK =
      reshapeTensor(b, loc, input, RankedTensorType::get({rows, k}, elt));
  if (paddedK != k)
    rowsK = tensor::createPadHighOp(
        RankedTensorType::get({rows, paddedK}, elt), rowsK, padValue,
        /*nofold=*/false, loc, b);
  return rowsK;
}

/// The columns per block of a group-wise product by column blocks, and N
/// padded to whole blocks: the widest of 64, 48, 32 and 16 columns (whole
/// vectors, one thread-pool task each) that divides N rounded up to 16,
/// so that the laid-out weights carry little or no padding (96 columns:
/// two blocks of 48, not two of 64 with a third of them zeros).
std::pair<int64_t, int64_t> columnBlocks(int64_t n) {
  int64_t padded = llvm::alignTo(n, 16);
  for (int64_t width : {64, 48, 32})
    if (padded % width == 0)
      return {width, padded};
  return {16, padded};
}

/// The values of a float constant (float16 or float32) as floats.
SmallVector<float> floatValues(DenseElementsAttr attr) {
  SmallVector<float> values;
  for (APFloat v : attr.getValues<APFloat>()) {
    bool lost = false;
    v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    values.push_back(v.convertToFloat());
  }
  return values;
}

/// Scales laid out at compile time keep the constant's element type
/// (ds-quantize stores float16 scales where they fit); a float32 or
/// float16 `values` constant of `shape`.
Value scaleConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                    ArrayRef<float> values, Type elt) {
  auto type = RankedTensorType::get(shape, elt);
  if (elt.isF32())
    return b.create<arith::ConstantOp>(loc,
                                       DenseElementsAttr::get(type, values));
  SmallVector<APFloat> converted;
  for (float v : values) {
    APFloat value(v);
    bool lost = false;
    value.convert(llvm::cast<FloatType>(elt).getFloatSemantics(),
                  APFloat::rmNearestTiesToEven, &lost);
    converted.push_back(value);
  }
  return b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(type, ArrayRef<APFloat>(converted)));
}

/// Per-group scales (float16 or float32) and zero points [groups, N]
/// expanded for a run into float32 scales and offsets (zero point *
/// scale): kernels that read a group's parameters at every step (few rows)
/// would otherwise convert them at every step. 8 bytes per group and
/// column, a few percent of the codes' bytes.
std::pair<Value, Value> expandGroupParameters(OpBuilder &b, Location loc,
                                              Value scale, Value zeroPoint) {
  auto type =
      RankedTensorType::get(tensorType(scale).getShape(), b.getF32Type());
  auto expanded = b.create<linalg::GenericOp>(
      loc, TypeRange{type, type}, ValueRange{scale, zeroPoint},
      ValueRange{emptyTensor(b, loc, type), emptyTensor(b, loc, type)},
      SmallVector<AffineMap>(4, b.getMultiDimIdentityMap(2)),
      SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value wide = convertFloat(nb, l, args[0], nb.getF32Type());
        Value zero = nb.create<arith::UIToFPOp>(l, nb.getF32Type(), args[1]);
        Value offset = nb.create<arith::MulFOp>(l, zero, wide);
        nb.create<linalg::YieldOp>(l, ValueRange{wide, offset});
      });
  return {expanded.getResult(0), expanded.getResult(1)};
}

/// The leading `sizes` part of a static `value` (padding dropped).
Value leadingPart(OpBuilder &b, Location loc, Value value,
                  ArrayRef<int64_t> sizes) {
  auto type = RankedTensorType::get(sizes, tensorType(value).getElementType());
  SmallVector<OpFoldResult> zeros(sizes.size(), b.getIndexAttr(0)),
      ones(sizes.size(), b.getIndexAttr(1)), extents;
  for (int64_t size : sizes)
    extents.push_back(b.getIndexAttr(size));
  return b.create<tensor::ExtractSliceOp>(loc, type, value, zeros, extents,
                                          ones);
}

/// The rows of a task of a group-wise product by blocks (see
/// groupLoopPerBlock): all of them, or from 1024 the largest divisor from
/// 128 to 512, so that a convolution's thousands of pixels (rows) feed
/// both threads when its output channels (columns) make one or two blocks.
int64_t blockRowsFor(int64_t rows) {
  if (rows < 1024)
    return rows;
  for (int64_t size = 512; size >= 128; --size)
    if (rows % size == 0)
      return size;
  return rows;
}

/// The skeleton of a group-wise product by blocks: `init` [rows, N] split
/// into blocks of blockRowsFor(rows) rows and `blockColumns` columns, one
/// thread-pool task each (an scf.forall over the blocks, row blocks
/// outermost), and in each task a loop over the `groups` (an scf.for
/// carrying the block) in which `step(b, loc, g, row, column, block)`
/// returns the block after group g (`row`, `column`: the block's first
/// row and column).
Value groupLoopPerBlock(
    OpBuilder &b, Location loc, Value init, int64_t blockColumns,
    int64_t groups,
    function_ref<Value(OpBuilder &, Location, Value, Value, Value, Value)>
        step) {
  auto initType = tensorType(init);
  int64_t rows = initType.getDimSize(0), n = initType.getDimSize(1);
  int64_t blockRows = blockRowsFor(rows);
  int64_t columnBlocks = n / blockColumns;
  auto index = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
  auto blockType = RankedTensorType::get({blockRows, blockColumns},
                                         initType.getElementType());
  auto tasks = b.create<scf::ForallOp>(
      loc, ArrayRef<OpFoldResult>{index(0)},
      ArrayRef<OpFoldResult>{index(rows / blockRows * columnBlocks)},
      ArrayRef<OpFoldResult>{index(1)}, ValueRange{init}, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(tasks.getTerminator());
  Value task = tasks.getInductionVar(0);
  Value perRow = b.create<arith::ConstantIndexOp>(loc, columnBlocks);
  Value row = b.create<arith::MulIOp>(
      loc, b.create<arith::DivUIOp>(loc, task, perRow),
      b.create<arith::ConstantIndexOp>(loc, blockRows));
  Value column = b.create<arith::MulIOp>(
      loc, b.create<arith::RemUIOp>(loc, task, perRow),
      b.create<arith::ConstantIndexOp>(loc, blockColumns));
  Value shared = tasks.getRegionIterArgs()[0];
  SmallVector<OpFoldResult> offsets = {row, column},
                            sizes = {index(blockRows), index(blockColumns)},
                            strides = {index(1), index(1)};
  Value blockInit = b.create<tensor::ExtractSliceOp>(loc, blockType, shared,
                                                     offsets, sizes, strides);
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  Value groupCount = b.create<arith::ConstantIndexOp>(loc, groups);
  auto loop = b.create<scf::ForOp>(
      loc, zero, groupCount, one, ValueRange{blockInit},
      [&](OpBuilder &nb, Location l, Value g, ValueRange acc) {
        nb.create<scf::YieldOp>(l, step(nb, l, g, row, column, acc[0]));
      });
  b.setInsertionPointToStart(tasks.getTerminator().getBody());
  b.create<tensor::ParallelInsertSliceOp>(loc, loop.getResult(0), shared,
                                          offsets, sizes, strides);
  return tasks.getResult(0);
}

struct WeightMatMulLowering : GraphPattern<q::WeightMatMulOp> {
  WeightMatMulLowering(const TypeConverter &converter, MLIRContext *ctx,
                       bool groupTiles)
      : GraphPattern(converter, ctx), groupTiles(groupTiles) {}
  bool groupTiles;

  /// Constant codes, scales and zero points (what ds-quantize and
  /// MatMulNBits make) laid out at compile time for vectors along the
  /// output columns: the packed bytes as [groups, bytes per group, N], the
  /// scales as [groups, N] and the zero points as [groups, N] bytes, so
  /// that w(k, n) = (code(k, n) - zero_point[g, n]) * scale[g, n] reads
  /// consecutive columns' codes, zero points and scales as vectors. The
  /// codes stay packed: a row streams 1/8 (int4) of a float weight's
  /// bytes, and a group's parameters take 5 bytes per column, as the
  /// report counts them.
  struct ColumnLayout {
    Value bytes, scale, zeroPoint;
  };
  /// `paddedN` columns are laid out, those past N as zeros (weight 0).
  ColumnLayout layOutColumns(q::WeightMatMulOp op, int64_t bytesPerGroup,
                             int64_t paddedN, DenseElementsAttr codes,
                             DenseElementsAttr scales,
                             DenseElementsAttr zeroPoints,
                             ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    int64_t bits = op.getBits();
    int64_t n = codes.getType().getDimSize(0);
    int64_t rowBytes = codes.getType().getDimSize(1);
    int64_t groups = rowBytes / bytesPerGroup;
    auto packed = llvm::to_vector(codes.getValues<int8_t>());
    SmallVector<int8_t> columns(rowBytes * paddedN, 0);
    for (int64_t row = 0; row < n; ++row)
      for (int64_t byte = 0; byte < rowBytes; ++byte)
        columns[byte * paddedN + row] = packed[row * rowBytes + byte];
    SmallVector<float> scaleValues = floatValues(scales);
    SmallVector<uint8_t> zeroValues(scaleValues.size(), 1 << (bits - 1));
    if (zeroPoints)
      for (auto [i, v] : llvm::enumerate(zeroPoints.getValues<int8_t>()))
        zeroValues[i] = (uint8_t)v;
    SmallVector<float> columnScales(groups * paddedN, 0.0f);
    SmallVector<int8_t> columnZeros(groups * paddedN, 0);
    for (int64_t row = 0; row < n; ++row)
      for (int64_t g = 0; g < groups; ++g) {
        columnScales[g * paddedN + row] = scaleValues[row * groups + g];
        columnZeros[g * paddedN + row] = (int8_t)zeroValues[row * groups + g];
      }
    Type i8 = rewriter.getI8Type();
    return {rewriter.create<arith::ConstantOp>(
                loc, DenseElementsAttr::get(
                         RankedTensorType::get({groups, bytesPerGroup, paddedN},
                                               i8),
                         ArrayRef<int8_t>(columns))),
            scaleConstant(rewriter, loc, {groups, paddedN}, columnScales,
                          scales.getElementType()),
            rewriter.create<arith::ConstantOp>(
                loc, DenseElementsAttr::get(
                         RankedTensorType::get({groups, paddedN}, i8),
                         ArrayRef<int8_t>(columnZeros)))};
  }

  /// The weight w(k, n) = code * scale - offset of a code, from its byte
  /// and its group's expanded scale and offset (expandGroupParameters).
  static Value columnWeight(OpBuilder &b, Location l, Value byte, Value scale,
                            Value offset, unsigned codeLoop, int64_t bits) {
    Value code = unpackCode(b, l, byte, codeLoop, bits);
    Value real = b.create<arith::UIToFPOp>(l, b.getF32Type(), code);
    Value scaled = b.create<arith::MulFOp>(l, real, scale);
    return b.create<arith::SubFOp>(l, scaled, offset);
  }

  /// Few rows: over loops (m, g, j, i, n)
  ///   out[m, n] += x[m, k] * (code(k, n) * scale[g, n] - offset[g, n]),
  /// x[m, k] one broadcast value. Its body unpacks codes, so it is no
  /// contraction the GEMM kernel takes; `ds.vectorize_innermost` asks
  /// ds-vectorize-elementwise to vectorize it along the columns anyway.
  /// Each step reads a group's parameters again, so they are expanded
  /// first (expandGroupParameters): converting a float16 scale and a zero
  /// point at every step made the batch-1 decoder block 40% slower.
  Value lowerColumnVectors(q::WeightMatMulOp op, Value split,
                           const ColumnLayout &layout, Value init,
                           ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t bits = op.getBits();
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    auto [scale, offset] = expandGroupParameters(rewriter, loc, layout.scale,
                                                 layout.zeroPoint);
    SmallVector<AffineMap> maps = {
        AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx),
        AffineMap::get(5, 0, {d(1), d(2), d(4)}, ctx),
        AffineMap::get(5, 0, {d(1), d(4)}, ctx),
        AffineMap::get(5, 0, {d(1), d(4)}, ctx),
        AffineMap::get(5, 0, {d(0), d(4)}, ctx)};
    SmallVector<utils::IteratorType> iterators = {
        utils::IteratorType::parallel, utils::IteratorType::reduction,
        utils::IteratorType::reduction, utils::IteratorType::reduction,
        utils::IteratorType::parallel};
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{init.getType()},
        ValueRange{split, layout.bytes, scale, offset},
        ValueRange{init}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value w = columnWeight(b, l, args[1], args[2], args[3], 3, bits);
          Value term = b.create<arith::MulFOp>(l, args[0], w);
          b.create<linalg::YieldOp>(
              l, ValueRange{b.create<arith::AddFOp>(l, args[4], term)});
        });
    generic->setAttr(kVectorizeInnermostAttr, UnitAttr::get(ctx));
    return generic.getResult(0);
  }

  /// Many rows: the columns split into blocks of `blockColumns`, one
  /// thread-pool task each (an scf.forall); in a block, each group's
  /// codes are unpacked into a [group size, blockColumns] float tile, which
  /// the rows then multiply as a plain matmul on the GEMM kernel:
  ///   acc[:, block] += x[:, group] @ unpack(group, block).
  /// The unpacking costs one pass over the block's codes for all the rows,
  /// and the product keeps its accumulators in registers, where the column
  /// vectors above read and write them at every step. A tile is one
  /// group's rows of the block (128 x 64 floats, 32 KB, at the default
  /// group size), rewritten for each group; the weights are never expanded
  /// as a whole.
  Value lowerGroupBlocks(q::WeightMatMulOp op, Value rowsK,
                         const ColumnLayout &layout, Value init,
                         int64_t blockColumns,
                         ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t bits = op.getBits(), groupSize = op.getGroupSize();
    auto bytesType = tensorType(layout.bytes);
    int64_t groups = bytesType.getDimSize(0);
    int64_t bytesPerGroup = bytesType.getDimSize(1), perByte = 8 / bits;
    int64_t rows = blockRowsFor(tensorType(init).getDimSize(0));
    Type f32 = rewriter.getF32Type();
    auto blockType = RankedTensorType::get({rows, blockColumns}, f32);
    auto index = [&](int64_t v) -> OpFoldResult {
      return rewriter.getIndexAttr(v);
    };
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    auto [scale, offset] = expandGroupParameters(rewriter, loc, layout.scale,
                                                 layout.zeroPoint);
    return groupLoopPerBlock(
        rewriter, loc, init, blockColumns, groups,
        [&](OpBuilder &b, Location l, Value g, Value row, Value column,
            Value acc) -> Value {
          auto bytes = b.create<tensor::ExtractSliceOp>(
              l,
              RankedTensorType::get({bytesPerGroup, blockColumns},
                                    b.getI8Type()),
              layout.bytes, ArrayRef<OpFoldResult>{g, index(0), column},
              ArrayRef<OpFoldResult>{index(1), index(bytesPerGroup),
                                     index(blockColumns)},
              ArrayRef<OpFoldResult>{index(1), index(1), index(1)});
          auto perColumn = [&](Value v) -> Value {
            return b.create<tensor::ExtractSliceOp>(
                l, RankedTensorType::get({blockColumns}, f32), v,
                ArrayRef<OpFoldResult>{g, column},
                ArrayRef<OpFoldResult>{index(1), index(blockColumns)},
                ArrayRef<OpFoldResult>{index(1), index(1)});
          };
          // Loops (j, i, n): code i of byte j, column n.
          auto tileType = RankedTensorType::get(
              {bytesPerGroup, perByte, blockColumns}, f32);
          SmallVector<AffineMap> maps = {
              AffineMap::get(3, 0, {d(0), d(2)}, ctx),
              AffineMap::get(3, 0, {d(2)}, ctx),
              AffineMap::get(3, 0, {d(2)}, ctx), b.getMultiDimIdentityMap(3)};
          Value tile = b.create<linalg::GenericOp>(
                            l, TypeRange{tileType},
                            ValueRange{bytes, perColumn(scale),
                                       perColumn(offset)},
                            ValueRange{emptyTensor(b, l, tileType)}, maps,
                            SmallVector<utils::IteratorType>(
                                3, utils::IteratorType::parallel),
                            [&](OpBuilder &bb, Location ll, ValueRange args) {
                              bb.create<linalg::YieldOp>(
                                  ll, columnWeight(bb, ll, args[0], args[1],
                                                   args[2], 1, bits));
                            })
                           .getResult(0);
          Value weights = b.create<tensor::CollapseShapeOp>(
              l, RankedTensorType::get({groupSize, blockColumns}, f32), tile,
              ArrayRef<ReassociationIndices>{{0, 1}, {2}});
          Value first = b.create<arith::MulIOp>(
              l, g, b.create<arith::ConstantIndexOp>(l, groupSize));
          Value x = b.create<tensor::ExtractSliceOp>(
              l, RankedTensorType::get({rows, groupSize}, f32), rowsK,
              ArrayRef<OpFoldResult>{row, first},
              ArrayRef<OpFoldResult>{index(rows), index(groupSize)},
              ArrayRef<OpFoldResult>{index(1), index(1)});
          return b
              .create<linalg::MatmulOp>(l, TypeRange{blockType},
                                        ValueRange{x, weights}, ValueRange{acc})
              .getResult(0);
        });
  }

  LogicalResult
  matchAndRewrite(q::WeightMatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto resultType = convertedType(op.getType());
    Type elt = resultType.getElementType();
    int64_t bits = op.getBits(), groupSize = op.getGroupSize();
    int64_t k = op.getInFeatures(), perByte = 8 / bits;
    int64_t groups = llvm::divideCeil(k, groupSize);
    int64_t paddedK = groups * groupSize, bytesPerGroup = groupSize / perByte;
    auto weightType = tensorType(adaptor.getWeight());
    int64_t n = weightType.getDimSize(0);

    // The input as [M, K], padded with zeros to whole groups, then split as
    // [M, groups, bytes per group, codes per byte] to match the packing.
    Value rowsK = rowsOfGroups(rewriter, loc, adaptor.getInput(), k, paddedK,
                               scalarConst(rewriter, loc, elt, 0));
    int64_t rows = tensorType(rowsK).getDimSize(0);
    Value split = reshapeTensor(
        rewriter, loc, rowsK,
        RankedTensorType::get({rows, groups, bytesPerGroup, perByte}, elt));

    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    auto outType = RankedTensorType::get({rows, n}, elt);
    SmallVector<Value> sizes = dynamicSizesLike(rewriter, loc, outType, rowsK);
    Value init = accumulatorInit(
        rewriter, loc, outType, sizes, adaptor.getBias(),
        adaptor.getBias() ? AffineMap::get(2, 0, d(1)) : AffineMap());
    DenseElementsAttr codes, scales, zeroPoints;
    if (elt.isF32() && matchPattern(adaptor.getWeight(), m_Constant(&codes)) &&
        matchPattern(adaptor.getScale(), m_Constant(&scales)) &&
        (scales.getElementType().isF32() || scales.getElementType().isF16()) &&
        (!adaptor.getZeroPoint() ||
         matchPattern(adaptor.getZeroPoint(), m_Constant(&zeroPoints)))) {
      // From kBlockedRows rows the group tiles' unpacking is spread over
      // enough rows to pay for writing them. Three 1024x1024 int4 layers,
      // one thread: 1 row 0.155 ms in column vectors against 0.231 in
      // tiles, 4 rows 0.32 against 0.27, 8 rows 0.69 against 0.46, 16 rows
      // 2.2 against 0.68.
      constexpr int64_t kBlockedRows = 4;
      // Blocks of up to 64 columns: against 128, a BERT-base layer took
      // 10.8 against 12.1 ms (one thread), 6.5 against 7.0 ms (two).
      if (!groupTiles || ShapedType::isDynamic(rows) || rows < kBlockedRows) {
        ColumnLayout layout = layOutColumns(op, bytesPerGroup, n, codes,
                                            scales, zeroPoints, rewriter);
        Value product = lowerColumnVectors(op, split, layout, init, rewriter);
        rewriter.replaceOp(op,
                           reshapeTensor(rewriter, loc, product, resultType));
        return success();
      }
      // Any column count takes blocks (a 1x1 convolution to 96 channels
      // has 12544 rows: in column vectors each row would reread its
      // accumulators at every step), padding dropped after.
      auto [blockColumns, paddedN] = columnBlocks(n);
      ColumnLayout layout = layOutColumns(op, bytesPerGroup, paddedN, codes,
                                          scales, zeroPoints, rewriter);
      if (paddedN != n)
        init = filledTensor(rewriter, loc,
                            RankedTensorType::get({rows, paddedN}, elt),
                            scalarConst(rewriter, loc, elt, 0));
      Value product = lowerGroupBlocks(op, rowsK, layout, init, blockColumns,
                                       rewriter);
      if (paddedN != n) {
        product = leadingPart(rewriter, loc, product, {rows, n});
        if (adaptor.getBias())
          product = buildElementwise(
              rewriter, loc, outType, ValueRange{product, adaptor.getBias()},
              [](OpBuilder &b, Location l, ValueRange args) {
                return b.create<arith::AddFOp>(l, args[0], args[1]).getResult();
              });
      }
      rewriter.replaceOp(op, reshapeTensor(rewriter, loc, product, resultType));
      return success();
    }

    Value product = packedProductGeneric(
        rewriter, loc, split, adaptor.getWeight(), adaptor.getScale(),
        adaptor.getZeroPoint(), init, bits,
        [](OpBuilder &, Location, Value x) { return x; });
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, product, resultType));
    return success();
  }
};

struct WeightMatMulIntegerLowering
    : GraphPattern<q::WeightMatMulIntegerOp> {
  WeightMatMulIntegerLowering(const TypeConverter &converter,
                              MLIRContext *ctx, bool groupTiles)
      : GraphPattern(converter, ctx), groupTiles(groupTiles) {}
  bool groupTiles;

  /// Constant weights laid out at compile time for dot-product groups: the
  /// codes of group g as [words, N', 4] bytes, words = group size / (4 *
  /// codes per byte), where byte (j, n, r) holds in its bits h * bits the
  /// code of k = 4 * (codes per byte * j + h) + r of column n, so a whole
  /// 32-bit lane of a dot-product instruction comes out of one byte lane
  /// of each of them; per group and column, the scale and the zero
  /// point; per column, the sum of its dequantized weights (for the
  /// activation's zero point). N' is N padded to whole blocks of
  /// `blockColumns` (see columnBlocks; zero scales).
  struct DotLayout {
    Value codes, scale, zeroPoint, columnSum;
    int64_t paddedN, blockColumns;
  };
  DotLayout layOut(q::WeightMatMulIntegerOp op, DenseElementsAttr codes,
                   DenseElementsAttr scales, DenseElementsAttr zeroPoints,
                   ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    int64_t bits = op.getBits(), groupSize = op.getGroupSize();
    int64_t perByte = 8 / bits, mask = (1 << bits) - 1;
    int64_t k = op.getInFeatures();
    int64_t n = codes.getType().getDimSize(0);
    int64_t rowBytes = codes.getType().getDimSize(1);
    int64_t groups = llvm::divideCeil(k, groupSize);
    int64_t words = groupSize / (kDotGroup * perByte);
    auto [blockColumns, paddedN] = columnBlocks(n);
    auto packed = llvm::to_vector(codes.getValues<uint8_t>());
    SmallVector<float> scaleValues = floatValues(scales);
    SmallVector<uint8_t> zeroValues(scaleValues.size(), 1 << (bits - 1));
    if (zeroPoints)
      zeroValues = llvm::to_vector(zeroPoints.getValues<uint8_t>());
    auto codeAt = [&](int64_t row, int64_t i) -> int64_t {
      int64_t bit = i * bits;
      return (packed[row * rowBytes + bit / 8] >> (bit % 8)) & mask;
    };
    SmallVector<uint8_t> dotCodes(groups * words * paddedN * kDotGroup, 0);
    SmallVector<float> scale(groups * paddedN, 0.0f), columnSum(paddedN, 0.0f);
    SmallVector<int8_t> zero(groups * paddedN, 0);
    for (int64_t row = 0; row < n; ++row) {
      double sum = 0;
      for (int64_t g = 0; g < groups; ++g) {
        float s = scaleValues[row * groups + g];
        int64_t zp = zeroValues[row * groups + g];
        scale[g * paddedN + row] = s;
        zero[g * paddedN + row] = (int8_t)zp;
        for (int64_t i = 0; i < groupSize; ++i) {
          int64_t code = codeAt(row, g * groupSize + i);
          int64_t word = i / kDotGroup, lane = i % kDotGroup;
          int64_t j = word / perByte, h = word % perByte;
          dotCodes[((g * words + j) * paddedN + row) * kDotGroup + lane] |=
              (uint8_t)(code << (h * bits));
          if (g * groupSize + i < k)
            sum += (double)s * (double)(code - zp);
        }
      }
      columnSum[row] = (float)sum;
    }
    Type i8 = rewriter.getI8Type(), f32 = rewriter.getF32Type();
    auto constant = [&](RankedTensorType type, auto values) -> Value {
      return rewriter.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(type, llvm::ArrayRef(values)));
    };
    return {constant(RankedTensorType::get(
                         {groups, words, paddedN, kDotGroup}, i8),
                     ArrayRef<int8_t>((const int8_t *)dotCodes.data(),
                                      dotCodes.size())),
            scaleConstant(rewriter, loc, {groups, paddedN}, scale,
                          scales.getElementType()),
            constant(RankedTensorType::get({groups, paddedN}, i8),
                     ArrayRef<int8_t>(zero)),
            constant(RankedTensorType::get({paddedN}, f32),
                     ArrayRef<float>(columnSum)),
            paddedN, blockColumns};
  }

  /// Over blocks of rows and columns (thread-pool tasks, groupLoopPerBlock)
  /// and groups: the block's codes of the group unpacked and centered on
  /// their zero point into a [group size / 4, block, 4] int8 tile (codes
  /// of at most 4 bits less a zero point fit int8), multiplied with the
  /// rows' codes of the group as dot-product groups (i32), and added to a
  /// float accumulator scaled, acc[m, n] += scale[g, n] * dot[m, n].
  /// Returns acc [M, N'] = sum_g scale * sum_k x_code * (code - zp). (With
  /// the codes uncentered, the zero point needed each row's code sum per
  /// group: a scalar reduction over every activation code, a fifth of a
  /// w4a8 ResNet-18 at two threads.)
  Value lowerGroupBlocks(q::WeightMatMulIntegerOp op, Value rowCodes,
                         const DotLayout &layout,
                         ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t bits = op.getBits(), groupSize = op.getGroupSize();
    int64_t perByte = 8 / bits;
    auto codesType = tensorType(layout.codes);
    int64_t groups = codesType.getDimSize(0), words = codesType.getDimSize(1);
    int64_t rows = tensorType(rowCodes).getDimSize(0);
    int64_t n = layout.paddedN, blockColumns = layout.blockColumns;
    int64_t blockBytes = blockColumns * kDotGroup;
    Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type(),
         f32 = rewriter.getF32Type();
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    auto index = [&](int64_t v) -> OpFoldResult {
      return rewriter.getIndexAttr(v);
    };
    Value rowWords = reshapeTensor(
        rewriter, loc, rowCodes,
        RankedTensorType::get(
            {rows, groups, groupSize / kDotGroup, kDotGroup}, i8));
    // For the run: float32 scales, and each zero point repeated over its
    // column's four bytes, [groups, N' * 4], to center the codes by.
    auto scaleType = RankedTensorType::get({groups, n}, f32);
    Value scale = buildElementwise(
        rewriter, loc, scaleType, ValueRange{layout.scale},
        [&](OpBuilder &b, Location l, ValueRange args) {
          return convertFloat(b, l, args[0], b.getF32Type());
        });
    auto repeatedType = RankedTensorType::get({groups, n, kDotGroup}, i8);
    Value repeatedZeros = rewriter.create<tensor::CollapseShapeOp>(
        loc, RankedTensorType::get({groups, n * kDotGroup}, i8),
        buildAffineGather(rewriter, loc, layout.zeroPoint, repeatedType,
                          AffineMap::get(3, 0, {d(0), d(1)}, ctx)),
        ArrayRef<ReassociationIndices>{{0}, {1, 2}});

    auto outType = RankedTensorType::get({rows, n}, f32);
    Value zeros =
        filledTensor(rewriter, loc, outType, scalarConst(rewriter, loc, f32, 0));
    int64_t blockRows = blockRowsFor(rows);
    auto blockType = RankedTensorType::get({blockRows, blockColumns}, f32);
    return groupLoopPerBlock(
        rewriter, loc, zeros, blockColumns, groups,
        [&](OpBuilder &b, Location l, Value g, Value row, Value column,
            Value acc) -> Value {
          Value byteColumn = b.create<arith::MulIOp>(
              l, column, b.create<arith::ConstantIndexOp>(l, kDotGroup));
          // The block's codes of group g, [words, block * 4] bytes, and
          // its zero points, one per byte.
          Value bytes = b.create<tensor::ExtractSliceOp>(
              l, RankedTensorType::get({words, blockBytes}, i8),
              b.create<tensor::CollapseShapeOp>(
                  l, layout.codes,
                  ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}}),
              ArrayRef<OpFoldResult>{g, index(0), byteColumn},
              ArrayRef<OpFoldResult>{index(1), index(words), index(blockBytes)},
              ArrayRef<OpFoldResult>{index(1), index(1), index(1)});
          Value zeroBytes = b.create<tensor::ExtractSliceOp>(
              l, RankedTensorType::get({blockBytes}, i8), repeatedZeros,
              ArrayRef<OpFoldResult>{g, byteColumn},
              ArrayRef<OpFoldResult>{index(1), index(blockBytes)},
              ArrayRef<OpFoldResult>{index(1), index(1)});
          // Loops (j, h, c): code h of byte c of word row j, less the zero
          // point of its column.
          auto tileType =
              RankedTensorType::get({words, perByte, blockBytes}, i8);
          Value tile =
              b.create<linalg::GenericOp>(
                   l, TypeRange{tileType}, ValueRange{bytes, zeroBytes},
                   ValueRange{emptyTensor(b, l, tileType)},
                   ArrayRef<AffineMap>{AffineMap::get(3, 0, {d(0), d(2)}, ctx),
                                       AffineMap::get(3, 0, {d(2)}, ctx),
                                       b.getMultiDimIdentityMap(3)},
                   SmallVector<utils::IteratorType>(
                       3, utils::IteratorType::parallel),
                   [&](OpBuilder &bb, Location ll, ValueRange args) {
                     Value code = unpackCode(bb, ll, args[0], 1, bits);
                     bb.create<linalg::YieldOp>(
                         ll, bb.create<arith::SubIOp>(ll, code, args[1])
                                 .getResult());
                   })
                  .getResult(0);
          // [words, codes per byte, block * 4] -> [group / 4, block, 4]
          Value rhs = b.create<tensor::ExpandShapeOp>(
              l,
              RankedTensorType::get(
                  {words * perByte, blockColumns, kDotGroup}, i8),
              b.create<tensor::CollapseShapeOp>(
                  l, tile, ArrayRef<ReassociationIndices>{{0, 1}, {2}}),
              ArrayRef<ReassociationIndices>{{0}, {1, 2}});
          Value lhs = b.create<tensor::ExtractSliceOp>(
              l,
              RankedTensorType::get(
                  {blockRows, groupSize / kDotGroup, kDotGroup}, i8),
              rowWords, ArrayRef<OpFoldResult>{row, g, index(0), index(0)},
              ArrayRef<OpFoldResult>{index(blockRows), index(1),
                                     index(groupSize / kDotGroup),
                                     index(kDotGroup)},
              ArrayRef<OpFoldResult>{index(1), index(1), index(1), index(1)});
          auto dotType =
              RankedTensorType::get({blockRows, blockColumns}, i32);
          Value dot = dotGroupProduct(
              b, l, lhs, rhs,
              filledTensor(b, l, dotType, scalarConst(b, l, i32, 0)));
          Value columnScale = b.create<tensor::ExtractSliceOp>(
              l, RankedTensorType::get({blockColumns}, f32), scale,
              ArrayRef<OpFoldResult>{g, column},
              ArrayRef<OpFoldResult>{index(1), index(blockColumns)},
              ArrayRef<OpFoldResult>{index(1), index(1)});
          AffineMap identity = b.getMultiDimIdentityMap(2);
          AffineMap byColumn = AffineMap::get(2, 0, {d(1)}, ctx);
          return b
              .create<linalg::GenericOp>(
                  l, TypeRange{blockType}, ValueRange{dot, columnScale},
                  ValueRange{acc},
                  ArrayRef<AffineMap>{identity, byColumn, identity},
                  SmallVector<utils::IteratorType>(
                      2, utils::IteratorType::parallel),
                  [&](OpBuilder &bb, Location ll, ValueRange args) {
                    Value real = bb.create<arith::SIToFPOp>(ll, f32, args[0]);
                    Value scaled = bb.create<arith::MulFOp>(ll, args[1], real);
                    bb.create<linalg::YieldOp>(
                        ll, bb.create<arith::AddFOp>(ll, args[2], scaled)
                                .getResult());
                  })
              .getResult(0);
        });
  }

  LogicalResult
  matchAndRewrite(q::WeightMatMulIntegerOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto resultType = convertedType(op.getType());
    Type elt = resultType.getElementType();
    Type f32 = rewriter.getF32Type(), i32 = rewriter.getI32Type();
    int64_t bits = op.getBits(), groupSize = op.getGroupSize();
    int64_t k = op.getInFeatures(), perByte = 8 / bits;
    int64_t groups = llvm::divideCeil(k, groupSize);
    int64_t paddedK = groups * groupSize;
    int64_t n = tensorType(adaptor.getWeight()).getDimSize(0);
    Value inputScale = rewriter.create<tensor::ExtractOp>(
        loc, adaptor.getInputScale(), ValueRange{});
    Value inputZero = rewriter.create<tensor::ExtractOp>(
        loc, adaptor.getInputZeroPoint(), ValueRange{});
    // Padding codes are the zero point: real zero.
    Value rowCodes = rowsOfGroups(rewriter, loc, adaptor.getInput(), k,
                                  paddedK, inputZero);
    int64_t rows = tensorType(rowCodes).getDimSize(0);
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    auto outType = RankedTensorType::get({rows, n}, elt);
    SmallVector<Value> sizes =
        dynamicSizesLike(rewriter, loc, outType, rowCodes);
    DenseElementsAttr codes, scales, zeroPoints;
    if (groupTiles && elt.isF32() && !ShapedType::isDynamic(rows) &&
        matchPattern(adaptor.getWeight(), m_Constant(&codes)) &&
        matchPattern(adaptor.getScale(), m_Constant(&scales)) &&
        (scales.getElementType().isF32() || scales.getElementType().isF16()) &&
        (!adaptor.getZeroPoint() ||
         matchPattern(adaptor.getZeroPoint(), m_Constant(&zeroPoints)))) {
      DotLayout layout = layOut(op, codes, scales, zeroPoints, rewriter);
      Value acc = lowerGroupBlocks(op, rowCodes, layout, rewriter);
      // result = s_x * acc - s_x * zp_x * columnSum (+ bias), the padded
      // columns dropped.
      Value used = leadingPart(rewriter, loc, acc, {rows, n});
      Value columnSum = leadingPart(rewriter, loc, layout.columnSum, {n});
      Value zeroShift = rewriter.create<arith::MulFOp>(
          loc, inputScale,
          rewriter.create<arith::UIToFPOp>(loc, f32, inputZero));
      SmallVector<Value> inputs = {used, columnSum};
      SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(2),
                                     AffineMap::get(2, 0, {d(1)}, ctx)};
      if (adaptor.getBias()) {
        inputs.push_back(adaptor.getBias());
        maps.push_back(AffineMap::get(2, 0, {d(1)}, ctx));
      }
      maps.push_back(rewriter.getMultiDimIdentityMap(2));
      bool hasBias = (bool)adaptor.getBias();
      Value result =
          rewriter
              .create<linalg::GenericOp>(
                  loc, TypeRange{outType}, inputs,
                  ValueRange{emptyTensor(rewriter, loc, outType)}, maps,
                  SmallVector<utils::IteratorType>(
                      2, utils::IteratorType::parallel),
                  [&](OpBuilder &b, Location l, ValueRange args) {
                    Value scaled = b.create<arith::MulFOp>(l, inputScale,
                                                           args[0]);
                    Value v = b.create<arith::SubFOp>(
                        l, scaled,
                        b.create<arith::MulFOp>(l, zeroShift, args[1]));
                    if (hasBias)
                      v = b.create<arith::AddFOp>(l, v, args[2]);
                    b.create<linalg::YieldOp>(l, v);
                  })
              .getResult(0);
      rewriter.replaceOp(op, reshapeTensor(rewriter, loc, result, resultType));
      return success();
    }

    // Weights that are not constants, or a GPU: the float product of the
    // dequantized codes, in one generic.
    Value split = reshapeTensor(
        rewriter, loc, rowCodes,
        RankedTensorType::get(
            {rows, groups, groupSize / perByte, perByte},
            tensorType(rowCodes).getElementType()));
    Value init = accumulatorInit(
        rewriter, loc, outType, sizes, adaptor.getBias(),
        adaptor.getBias() ? AffineMap::get(2, 0, d(1)) : AffineMap());
    Value zeroWide = rewriter.create<arith::ExtUIOp>(loc, i32, inputZero);
    Value product = packedProductGeneric(
        rewriter, loc, split, adaptor.getWeight(), adaptor.getScale(),
        adaptor.getZeroPoint(), init, bits,
        [&](OpBuilder &b, Location l, Value code) -> Value {
          Value wide = b.create<arith::ExtUIOp>(l, i32, code);
          Value centered = b.create<arith::SubIOp>(l, wide, zeroWide);
          Value real = b.create<arith::SIToFPOp>(l, elt, centered);
          return b.create<arith::MulFOp>(
              l, real, convertFloat(b, l, inputScale, llvm::cast<FloatType>(elt)));
        });
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, product, resultType));
    return success();
  }
};

/// dsq.im2col as a gather from the padded input: loops (n, o..., c, k...)
/// read input[n, c, o * strides + k * dilations], collapsed to [N, P, Q];
/// a longer row is filled out with zero columns.
struct Im2ColLowering : GraphPattern<q::Im2ColOp> {
  using GraphPattern::GraphPattern;

  LogicalResult
  matchAndRewrite(q::Im2ColOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto resultType = convertedType(op.getType());
    Type elt = resultType.getElementType();
    Value padValue = rewriter.create<tensor::ExtractOp>(
        loc, adaptor.getPadValue(), ValueRange{});
    Value padded =
        padSpatial(rewriter, loc, adaptor.getInput(), op.getPads(), padValue);
    auto paddedShape = tensorType(padded).getShape();
    int64_t spatial = paddedShape.size() - 2;
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr> exprs = {d(0), d(1 + spatial)};
    SmallVector<int64_t> pixelShape, tapShape = {paddedShape[1]};
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t kernel = op.getKernelShape()[i], stride = op.getStrides()[i];
      int64_t dilation = op.getDilations()[i];
      pixelShape.push_back(
          (paddedShape[2 + i] - dilation * (kernel - 1) - 1) / stride + 1);
      tapShape.push_back(kernel);
      exprs.push_back(d(1 + i) * stride + d(2 + spatial + i) * dilation);
    }
    SmallVector<int64_t> gatherShape = {paddedShape[0]};
    llvm::append_range(gatherShape, pixelShape);
    llvm::append_range(gatherShape, tapShape);
    Value windows = buildAffineGather(
        rewriter, loc, padded, RankedTensorType::get(gatherShape, elt),
        AffineMap::get(2 + 2 * spatial, 0, exprs, ctx));
    SmallVector<ReassociationIndices> merge = {{0}, {}, {}};
    for (int64_t i = 0; i < spatial; ++i)
      merge[1].push_back(1 + i);
    for (int64_t i = 0; i <= spatial; ++i)
      merge[2].push_back(1 + spatial + i);
    Value rows = rewriter.create<tensor::CollapseShapeOp>(loc, windows, merge);
    int64_t taps = ShapedType::getNumElements(tapShape);
    int64_t extra = resultType.getDimSize(2) - taps;
    if (extra > 0)
      rows = tensor::createPadHighOp(resultType, rows,
                                     scalarConst(rewriter, loc, elt, 0),
                                     /*nofold=*/false, loc, rewriter);
    rewriter.replaceOp(op, rows);
    return success();
  }
};

} // namespace

void mlir::ds::populateQuantToLinalgPatterns(TypeConverter &converter,
                                             RewritePatternSet &patterns,
                                             bool groupTiles,
                                             int64_t int8DotLimit) {
  patterns.add<QuantizeLowering, DequantizeLowering, DynamicQuantizeLowering,
               Im2ColLowering>(converter, patterns.getContext());
  patterns.add<MatMulIntegerLowering>(converter, patterns.getContext(),
                                      int8DotLimit);
  patterns.add<WeightMatMulLowering, WeightMatMulIntegerLowering>(
      converter, patterns.getContext(), groupTiles);
}
