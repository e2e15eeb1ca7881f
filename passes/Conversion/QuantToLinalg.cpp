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

struct MatMulIntegerLowering : GraphPattern<q::MatMulIntegerOp> {
  using GraphPattern::GraphPattern;

  /// uint8 activations times a constant int8 [K, N] weight without zero
  /// points (what dynamic quantization makes), as a contraction over
  /// (batch..., m, n, k/4, k%4) with the weight repacked at compile time as
  /// [K/4, N, 4]: for each k/4, the four codes of a column that one 32-bit
  /// lane of a dot-product instruction takes are contiguous, and so are 16
  /// columns' worth. The backends keep the k%4 loop whole in the register
  /// tile.
  Value lowerDotGroups(q::MatMulIntegerOp op, OpAdaptor adaptor,
                       DenseElementsAttr weight,
                       ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
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
    // Loops: result dims, then k/4, then k%4.
    int64_t rank = resultType.getRank(), loops = rank + 2;
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
    Value init = filledTensor(
        rewriter, loc, resultType, scalarConst(rewriter, loc, i32, 0),
        dynamicSizesLike(rewriter, loc, resultType, adaptor.getLhs()));
    return rewriter
        .create<linalg::GenericOp>(
            loc, TypeRange{resultType}, ValueRange{lhs, rhs}, ValueRange{init},
            maps, iterators,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value a = b.create<arith::ExtUIOp>(l, i32, args[0]);
              Value w = b.create<arith::ExtSIOp>(l, i32, args[1]);
              Value product = b.create<arith::MulIOp>(l, a, w);
              Value sum = b.create<arith::AddIOp>(l, args[2], product);
              b.create<linalg::YieldOp>(l, sum);
            })
        .getResult(0);
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
        matchPattern(adaptor.getRhs(), m_Constant(&weight))) {
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

struct WeightMatMulLowering : GraphPattern<q::WeightMatMulOp> {
  WeightMatMulLowering(const TypeConverter &converter, MLIRContext *ctx,
                       bool groupTiles)
      : GraphPattern(converter, ctx), groupTiles(groupTiles) {}
  bool groupTiles;

  /// Constant codes, scales and zero points (what ds-quantize and
  /// MatMulNBits make) laid out at compile time for vectors along the
  /// output columns: the packed bytes as [groups, bytes per group, N], the
  /// scales as [groups, N], and each group's offset zero_point * scale
  /// precomputed, so that
  ///   w(k, n) = code(k, n) * scale[g, n] - offset[g, n]
  /// reads consecutive columns' codes, scales and offsets as vectors. The
  /// codes stay packed: a row streams 1/8 (int4) of a float weight's bytes.
  struct ColumnLayout {
    Value bytes, scale, offset;
  };
  ColumnLayout layOutColumns(q::WeightMatMulOp op, int64_t bytesPerGroup,
                             DenseElementsAttr codes, DenseElementsAttr scales,
                             DenseElementsAttr zeroPoints,
                             ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    int64_t bits = op.getBits();
    int64_t n = codes.getType().getDimSize(0);
    int64_t rowBytes = codes.getType().getDimSize(1);
    int64_t groups = rowBytes / bytesPerGroup;
    auto packed = llvm::to_vector(codes.getValues<int8_t>());
    SmallVector<int8_t> columns(packed.size());
    for (int64_t row = 0; row < n; ++row)
      for (int64_t byte = 0; byte < rowBytes; ++byte)
        columns[byte * n + row] = packed[row * rowBytes + byte];
    auto scaleValues = llvm::to_vector(scales.getValues<float>());
    SmallVector<uint8_t> zeroValues(scaleValues.size(), 1 << (bits - 1));
    if (zeroPoints)
      for (auto [i, v] : llvm::enumerate(zeroPoints.getValues<int8_t>()))
        zeroValues[i] = (uint8_t)v;
    SmallVector<float> columnScales(groups * n), columnOffsets(groups * n);
    for (int64_t row = 0; row < n; ++row)
      for (int64_t g = 0; g < groups; ++g) {
        float scale = scaleValues[row * groups + g];
        columnScales[g * n + row] = scale;
        columnOffsets[g * n + row] = zeroValues[row * groups + g] * scale;
      }
    Type i8 = rewriter.getI8Type(), f32 = rewriter.getF32Type();
    auto perGroupType = RankedTensorType::get({groups, n}, f32);
    return {rewriter.create<arith::ConstantOp>(
                loc, DenseElementsAttr::get(
                         RankedTensorType::get({groups, bytesPerGroup, n}, i8),
                         ArrayRef<int8_t>(columns))),
            rewriter.create<arith::ConstantOp>(
                loc, DenseElementsAttr::get(perGroupType,
                                            ArrayRef<float>(columnScales))),
            rewriter.create<arith::ConstantOp>(
                loc, DenseElementsAttr::get(perGroupType,
                                            ArrayRef<float>(columnOffsets)))};
  }

  /// The weight w(k, n) of a code, from its byte, scale and offset.
  static Value columnWeight(OpBuilder &b, Location l, Value byte, Value scale,
                            Value offset, unsigned codeLoop, int64_t bits) {
    Value code = unpackCode(b, l, byte, codeLoop, bits);
    Value real = b.create<arith::UIToFPOp>(l, b.getF32Type(), code);
    return b.create<arith::SubFOp>(l, b.create<arith::MulFOp>(l, real, scale),
                                   offset);
  }

  /// Few rows: over loops (m, g, j, i, n)
  ///   out[m, n] += x[m, k] * w(k, n),
  /// x[m, k] one broadcast value. Its body unpacks codes, so it is no
  /// contraction the GEMM kernel takes; `ds.vectorize_innermost` asks
  /// ds-vectorize-elementwise to vectorize it along the columns anyway.
  Value lowerColumnVectors(q::WeightMatMulOp op, Value split,
                           const ColumnLayout &layout, Value init,
                           ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t bits = op.getBits();
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
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
        ValueRange{split, layout.bytes, layout.scale, layout.offset},
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
    int64_t bytesPerGroup = bytesType.getDimSize(1);
    int64_t n = bytesType.getDimSize(2), perByte = 8 / bits;
    auto initType = tensorType(init);
    int64_t rows = initType.getDimSize(0);
    Type f32 = rewriter.getF32Type();
    auto index = [&](int64_t v) -> OpFoldResult {
      return rewriter.getIndexAttr(v);
    };
    auto blockType = RankedTensorType::get({rows, blockColumns}, f32);
    auto tasks = rewriter.create<scf::ForallOp>(
        loc, ArrayRef<OpFoldResult>{index(0)}, ArrayRef<OpFoldResult>{index(n)},
        ArrayRef<OpFoldResult>{index(blockColumns)}, ValueRange{init},
        std::nullopt);
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(tasks.getTerminator());
    Value column = tasks.getInductionVar(0);
    Value shared = tasks.getRegionIterArgs()[0];
    Value blockInit = rewriter.create<tensor::ExtractSliceOp>(
        loc, blockType, shared, ArrayRef<OpFoldResult>{index(0), column},
        ArrayRef<OpFoldResult>{index(rows), index(blockColumns)},
        ArrayRef<OpFoldResult>{index(1), index(1)});
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
    Value groupCount = rewriter.create<arith::ConstantIndexOp>(loc, groups);
    auto loop = rewriter.create<scf::ForOp>(
        loc, zero, groupCount, one, ValueRange{blockInit},
        [&](OpBuilder &b, Location l, Value g, ValueRange acc) {
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
                            ValueRange{bytes, perColumn(layout.scale),
                                       perColumn(layout.offset)},
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
              ArrayRef<OpFoldResult>{index(0), first},
              ArrayRef<OpFoldResult>{index(rows), index(groupSize)},
              ArrayRef<OpFoldResult>{index(1), index(1)});
          Value product = b.create<linalg::MatmulOp>(l, TypeRange{blockType},
                                                     ValueRange{x, weights},
                                                     ValueRange{acc[0]})
                              .getResult(0);
          b.create<scf::YieldOp>(l, product);
        });
    rewriter.setInsertionPointToStart(tasks.getTerminator().getBody());
    rewriter.create<tensor::ParallelInsertSliceOp>(
        loc, loop.getResult(0), shared,
        ArrayRef<OpFoldResult>{index(0), column},
        ArrayRef<OpFoldResult>{index(rows), index(blockColumns)},
        ArrayRef<OpFoldResult>{index(1), index(1)});
    return tasks.getResult(0);
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
    Value input = adaptor.getInput();
    auto inType = tensorType(input);
    int64_t rows = 1;
    for (int64_t size : inType.getShape().drop_back())
      rows = ShapedType::isDynamic(size) || ShapedType::isDynamic(rows)
                 ? ShapedType::kDynamic
                 : rows * size;
    Value rowsK = reshapeTensor(rewriter, loc, input,
                                RankedTensorType::get({rows, k}, elt));
    if (paddedK != k)
      rowsK = tensor::createPadHighOp(
          RankedTensorType::get({rows, paddedK}, elt), rowsK,
          scalarConst(rewriter, loc, elt, 0), /*nofold=*/false, loc, rewriter);
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
        scales.getElementType().isF32() &&
        (!adaptor.getZeroPoint() ||
         matchPattern(adaptor.getZeroPoint(), m_Constant(&zeroPoints)))) {
      ColumnLayout layout =
          layOutColumns(op, bytesPerGroup, codes, scales, zeroPoints, rewriter);
      // From kBlockedRows rows the group tiles' unpacking is spread over
      // enough rows to pay for writing them. Three 1024x1024 int4 layers,
      // one thread: 1 row 0.155 ms in column vectors against 0.231 in
      // tiles, 4 rows 0.32 against 0.27, 8 rows 0.69 against 0.46, 16 rows
      // 2.2 against 0.68.
      constexpr int64_t kBlockedRows = 4;
      // Blocks of 64 columns: against 128, a BERT-base layer took 10.8
      // against 12.1 ms (one thread), 6.5 against 7.0 ms (two).
      constexpr int64_t kBlockColumns = 64;
      Value product =
          groupTiles && !ShapedType::isDynamic(rows) && rows >= kBlockedRows &&
                  n % kBlockColumns == 0
              ? lowerGroupBlocks(op, rowsK, layout, init, kBlockColumns,
                                 rewriter)
              : lowerColumnVectors(op, split, layout, init, rewriter);
      rewriter.replaceOp(op, reshapeTensor(rewriter, loc, product, resultType));
      return success();
    }

    // Loops (m, n, g, j, i): code i of byte j of group g.
    Value weight = rewriter.create<tensor::ExpandShapeOp>(
        loc,
        RankedTensorType::get({n, groups, bytesPerGroup}, rewriter.getI8Type()),
        adaptor.getWeight(), ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    SmallVector<Value> inputs = {split, weight, adaptor.getScale()};
    SmallVector<AffineMap> maps = {
        AffineMap::get(5, 0, {d(0), d(2), d(3), d(4)}, ctx),
        AffineMap::get(5, 0, {d(1), d(2), d(3)}, ctx),
        AffineMap::get(5, 0, {d(1), d(2)}, ctx)};
    if (adaptor.getZeroPoint()) {
      inputs.push_back(adaptor.getZeroPoint());
      maps.push_back(AffineMap::get(5, 0, {d(1), d(2)}, ctx));
    }
    maps.push_back(AffineMap::get(5, 0, {d(0), d(1)}, ctx));
    SmallVector<utils::IteratorType> iterators = {
        utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::reduction, utils::IteratorType::reduction,
        utils::IteratorType::reduction};
    bool hasZeroPoint = (bool)adaptor.getZeroPoint();
    Value product =
        rewriter
            .create<linalg::GenericOp>(
                loc, TypeRange{outType}, inputs, ValueRange{init}, maps,
                iterators,
                [&](OpBuilder &b, Location l, ValueRange args) {
                  Type i8 = b.getI8Type(), i32 = b.getI32Type();
                  Value code = unpackCode(b, l, args[1], 4, bits);
                  Value zp =
                      hasZeroPoint
                          ? b.create<arith::ExtUIOp>(l, i32, args[3])
                                .getResult()
                          : scalarConst(b, l, i32, (double)(1 << (bits - 1)));
                  Value wideCode = b.create<arith::ExtUIOp>(l, i32, code);
                  Value centered = b.create<arith::SubIOp>(l, wideCode, zp);
                  Value real = b.create<arith::SIToFPOp>(l, elt, centered);
                  Value scale =
                      convertFloat(b, l, args[2], llvm::cast<FloatType>(elt));
                  Value w = b.create<arith::MulFOp>(l, real, scale);
                  Value term = b.create<arith::MulFOp>(l, args[0], w);
                  Value sum = b.create<arith::AddFOp>(l, args.back(), term);
                  b.create<linalg::YieldOp>(l, sum);
                })
            .getResult(0);
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
                                             bool groupTiles) {
  patterns.add<QuantizeLowering, DequantizeLowering, DynamicQuantizeLowering,
               MatMulIntegerLowering, Im2ColLowering>(converter,
                                                      patterns.getContext());
  patterns.add<WeightMatMulLowering>(converter, patterns.getContext(),
                                     groupTiles);
}
