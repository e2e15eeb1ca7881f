//===- GraphToLinalg.cpp - lower dsg to linalg/tensor/arith/math ----------===//
//
// Each dsg op becomes destination-passing IR on tensors: linalg.generic for
// elementwise math, contractions, windows and reductions (so upstream tiling,
// fusion and vectorization apply), tensor ops for data movement. Broadcasting
// is expressed in indexing maps, never by materializing expanded tensors.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/LinalgBuilders.h"
#include "passes/Conversion/Passes.h"

#include "dialects/Graph/IR/GraphOps.h"
#include "dialects/Quant/IR/QuantOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

namespace mlir::ds {
#define GEN_PASS_DEF_CONVERTGRAPHTOLINALGPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;
using namespace mlir::ds;
namespace g = mlir::ds::graph;

Value mlir::ds::convertFloat(OpBuilder &b, Location loc, Value value,
                             FloatType to) {
  auto from = cast<FloatType>(value.getType());
  if (from == to)
    return value;
  if (from.getWidth() < to.getWidth())
    return b.create<arith::ExtFOp>(loc, to, value);
  if (from.getWidth() > to.getWidth())
    return b.create<arith::TruncFOp>(loc, to, value);
  Value wide = b.create<arith::ExtFOp>(loc, b.getF32Type(), value);
  return b.create<arith::TruncFOp>(loc, to, wide);
}

namespace mlir::ds::lowering {

//===----------------------------------------------------------------------===//
// Small IR-building helpers
//===----------------------------------------------------------------------===//

RankedTensorType tensorType(Value v) {
  return llvm::cast<RankedTensorType>(v.getType());
}

bool isUnsignedTensor(Value v) {
  return tensorType(v).getElementType().isUnsignedInteger();
}

/// Signless form of a possibly unsigned element type.
Type signless(Type t) {
  if (auto i = llvm::dyn_cast<IntegerType>(t))
    return IntegerType::get(t.getContext(), i.getWidth());
  return t;
}

Value scalarConst(OpBuilder &b, Location loc, Type type, double v) {
  if (llvm::isa<FloatType>(type))
    return b.create<arith::ConstantOp>(loc, b.getFloatAttr(type, v));
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(type, (int64_t)v));
}

/// The largest (or lowest) finite-or-infinite value of `type`, the identity
/// of max/min reductions.
Value extremeConst(OpBuilder &b, Location loc, Type type, bool lowest) {
  if (auto f = llvm::dyn_cast<FloatType>(type))
    return b.create<arith::ConstantOp>(
        loc, b.getFloatAttr(type, APFloat::getInf(f.getFloatSemantics(), lowest)));
  unsigned w = type.getIntOrFloatBitWidth();
  APInt v = lowest ? APInt::getSignedMinValue(w) : APInt::getSignedMaxValue(w);
  if (w == 1)
    v = APInt(1, lowest ? 0 : 1);
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(type, v));
}

/// Whether a tensor of `type` holds no elements (a static zero dim).
bool hasZeroSize(RankedTensorType type) {
  return llvm::is_contained(type.getShape(), 0);
}

/// An uninitialized tensor; `dynamicSizes` gives each dynamic dim, in order.
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                  ValueRange dynamicSizes) {
  return b.create<tensor::EmptyOp>(loc, type, dynamicSizes);
}

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   Value scalar, ValueRange dynamicSizes) {
  return b
      .create<linalg::FillOp>(loc, scalar,
                              emptyTensor(b, loc, type, dynamicSizes))
      .getResult(0);
}

/// The run-time sizes of the dynamic dims of a linalg.generic result whose
/// indexing map is `outMap`: each is the size of an input dim that the
/// same loop indexes directly. Ops whose loops all come from their inputs
/// (elementwise, reductions, contractions, windows over a dynamic batch)
/// need nothing else.
SmallVector<Value> dynamicSizesFromLoops(OpBuilder &b, Location loc,
                                         RankedTensorType resultType,
                                         AffineMap outMap, ValueRange inputs,
                                         ArrayRef<AffineMap> inputMaps) {
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < resultType.getRank(); ++d) {
    if (!resultType.isDynamicDim(d))
      continue;
    AffineExpr loop = outMap.getResult(d);
    Value size;
    for (auto [input, map] : llvm::zip(inputs, inputMaps)) {
      for (auto [pos, expr] : llvm::enumerate(map.getResults()))
        if (expr == loop) {
          size = b.create<tensor::DimOp>(loc, input, pos);
          break;
        }
      if (size)
        break;
    }
    assert(size && "dynamic result dim indexed by no input dim");
    sizes.push_back(size);
  }
  return sizes;
}

/// Sizes of the dynamic dims of `type`, each taken from `source` at the
/// same position (results shaped like an operand).
SmallVector<Value> dynamicSizesLike(OpBuilder &b, Location loc,
                                    RankedTensorType type, Value source) {
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(b.create<tensor::DimOp>(loc, source, d));
  return sizes;
}

/// A tensor of `resultType` whose element at each index is `input` read
/// through `inputMap` (slices, expands, tiles, broadcasts, im2col gathers).
/// Dynamic dims are sized by `dynamicSizes`, or by default as the input's:
/// only a slice's kept-whole dims can be dynamic.
Value buildAffineGather(OpBuilder &b, Location loc, Value input,
                        RankedTensorType resultType, AffineMap inputMap,
                        std::optional<ValueRange> dynamicSizes) {
  int64_t rank = resultType.getRank();
  SmallVector<Value> sizes = dynamicSizes
                                 ? SmallVector<Value>(*dynamicSizes)
                                 : dynamicSizesLike(b, loc, resultType, input);
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{resultType}, ValueRange{input},
          ValueRange{emptyTensor(b, loc, resultType, sizes)},
          ArrayRef<AffineMap>{inputMap, b.getMultiDimIdentityMap(rank)},
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [](OpBuilder &nb, Location l, ValueRange args) {
            nb.create<linalg::YieldOp>(l, args[0]);
          })
      .getResult(0);
}

/// The initial value of a contraction's accumulator: the bias broadcast
/// through `biasMap` (so the bias costs no extra pass), or zero.
Value accumulatorInit(OpBuilder &b, Location loc, RankedTensorType type,
                      ValueRange dynamicSizes, Value bias, AffineMap biasMap) {
  if (bias)
    return buildAffineGather(b, loc, bias, type, biasMap, dynamicSizes);
  return filledTensor(b, loc, type,
                      scalarConst(b, loc, type.getElementType(), 0),
                      dynamicSizes);
}

/// `input` transposed: result dim i is input dim perm[i].
Value transposeTensor(OpBuilder &b, Location loc, Value input,
                      ArrayRef<int64_t> perm) {
  auto inType = tensorType(input);
  SmallVector<int64_t> shape;
  SmallVector<Value> sizes;
  for (int64_t p : perm) {
    shape.push_back(inType.getDimSize(p));
    if (inType.isDynamicDim(p))
      sizes.push_back(b.create<tensor::DimOp>(loc, input, p));
  }
  auto type = RankedTensorType::get(shape, inType.getElementType());
  return b
      .create<linalg::TransposeOp>(loc, input, emptyTensor(b, loc, type, sizes),
                                   perm)
      ->getResult(0);
}

/// Indexing map reading `operandShape` broadcast numpy-style into a loop
/// nest over `resultShape` (trailing dimensions aligned).
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape) {
  SmallVector<AffineExpr> exprs;
  size_t offset = resultShape.size() - operandShape.size();
  for (auto [i, size] : llvm::enumerate(operandShape)) {
    if (size == 1 && resultShape[offset + i] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(offset + i, ctx));
  }
  return AffineMap::get(resultShape.size(), 0, exprs, ctx);
}

/// A linalg.generic computing `body` elementwise over `resultType`, with the
/// inputs broadcast into it.
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(
        broadcastMap(ctx, tensorType(in).getShape(), resultType.getShape()));
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  SmallVector<Value> sizes = dynamicSizesFromLoops(
      b, loc, resultType, maps.back(), inputs, ArrayRef(maps).drop_back());
  auto generic = b.create<linalg::GenericOp>(
      loc, TypeRange{resultType}, inputs,
      ValueRange{emptyTensor(b, loc, resultType, sizes)}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value v = body(nb, nloc, args.drop_back());
        nb.create<linalg::YieldOp>(nloc, v);
      });
  return generic.getResult(0);
}

/// Reshapes a tensor with dynamic dims through a 1-D collapse and expand.
/// The importer guarantees the result's dynamic sizes follow from one of
/// two rules: a single dynamic dim takes whatever the static ones leave of
/// the element count; several are the input's dynamic dims, in order.
Value reshapeDynamic(OpBuilder &b, Location loc, Value input,
                     RankedTensorType resultType) {
  auto inType = tensorType(input);
  SmallVector<Value> inDynamic;
  Value total = b.create<arith::ConstantIndexOp>(loc, 1);
  for (int64_t d = 0; d < inType.getRank(); ++d) {
    Value size = b.create<tensor::DimOp>(loc, input, d);
    if (inType.isDynamicDim(d))
      inDynamic.push_back(size);
    total = b.create<arith::MulIOp>(loc, total, size);
  }
  int64_t staticProduct = 1, dynamicCount = 0;
  for (int64_t size : resultType.getShape()) {
    if (ShapedType::isDynamic(size))
      ++dynamicCount;
    else
      staticProduct *= size;
  }
  SmallVector<OpFoldResult> outputShape;
  size_t nextDynamic = 0;
  for (int64_t size : resultType.getShape()) {
    if (!ShapedType::isDynamic(size)) {
      outputShape.push_back(b.getIndexAttr(size));
    } else if (dynamicCount == 1) {
      outputShape.push_back(
          b.create<arith::DivUIOp>(
               loc, total,
               b.create<arith::ConstantIndexOp>(loc, std::max<int64_t>(staticProduct, 1)))
              .getResult());
    } else {
      assert(nextDynamic < inDynamic.size() && "unsupported dynamic reshape");
      outputShape.push_back(inDynamic[nextDynamic++]);
    }
  }
  ReassociationIndices all;
  for (int64_t i = 0; i < inType.getRank(); ++i)
    all.push_back(i);
  auto flatType =
      RankedTensorType::get({ShapedType::kDynamic}, inType.getElementType());
  Value flat = b.create<tensor::CollapseShapeOp>(
      loc, flatType, input, ArrayRef<ReassociationIndices>{all});
  if (resultType.getRank() == 1)
    return flat;
  ReassociationIndices out;
  for (int64_t i = 0; i < resultType.getRank(); ++i)
    out.push_back(i);
  return b.create<tensor::ExpandShapeOp>(loc, resultType, flat,
                                         ArrayRef<ReassociationIndices>{out},
                                         outputShape);
}

/// Reshapes a static tensor through a 1-D collapse and expand, which covers
/// every reshape (including to and from rank 0) with upstream ops only.
Value reshapeTensor(OpBuilder &b, Location loc, Value input,
                    RankedTensorType resultType) {
  auto inType = tensorType(input);
  if (inType == resultType)
    return input;
  if (!inType.hasStaticShape())
    return reshapeDynamic(b, loc, input, resultType);
  if (hasZeroSize(resultType))
    return emptyTensor(b, loc, resultType);
  auto flatType = RankedTensorType::get({inType.getNumElements()},
                                        inType.getElementType());
  Value flat = input;
  if (inType.getRank() == 0) {
    flat = b.create<tensor::ExpandShapeOp>(loc, flatType, input,
                                           ArrayRef<ReassociationIndices>{});
  } else if (inType.getRank() != 1) {
    ReassociationIndices all;
    for (int64_t i = 0; i < inType.getRank(); ++i)
      all.push_back(i);
    flat = b.create<tensor::CollapseShapeOp>(loc, flatType, input,
                                             ArrayRef<ReassociationIndices>{all});
  }
  if (resultType.getRank() == 0)
    return b.create<tensor::CollapseShapeOp>(loc, resultType, flat,
                                             ArrayRef<ReassociationIndices>{});
  if (resultType.getRank() == 1)
    return flat;
  ReassociationIndices all;
  for (int64_t i = 0; i < resultType.getRank(); ++i)
    all.push_back(i);
  return b.create<tensor::ExpandShapeOp>(loc, resultType, flat,
                                         ArrayRef<ReassociationIndices>{all});
}

/// Reduces `input` over `axes` with `combine`, starting from `init`; the
/// result drops the reduced dimensions (keepdims is a reshape afterwards).
Value buildReduction(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> axes, Value init,
                     function_ref<Value(OpBuilder &, Location, Value, Value)>
                         combine) {
  auto inType = tensorType(input);
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> outShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < inType.getRank(); ++d) {
    bool reduced = llvm::is_contained(axes, d);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (!reduced) {
      outShape.push_back(inType.getShape()[d]);
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
  }
  auto outType = RankedTensorType::get(outShape, inType.getElementType());
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(inType.getRank()),
      AffineMap::get(inType.getRank(), 0, outExprs, ctx)};
  SmallVector<Value> sizes =
      dynamicSizesFromLoops(b, loc, outType, maps[1], input, maps[0]);
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{outType}, ValueRange{input},
          ValueRange{filledTensor(b, loc, outType, init, sizes)}, maps,
          iterators,
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            nb.create<linalg::YieldOp>(nloc,
                                       combine(nb, nloc, args[0], args[1]));
          })
      .getResult(0);
}

SmallVector<AffineMap> matmulIndexingMaps(MLIRContext *ctx,
                                          ArrayRef<int64_t> lhsShape,
                                          ArrayRef<int64_t> rhsShape,
                                          ArrayRef<int64_t> resultShape) {
  bool hasM = lhsShape.size() > 1, hasN = rhsShape.size() > 1;
  int64_t rank = (int64_t)resultShape.size();
  // Loops: result dims (batch..., m?, n?), then k.
  int64_t batchRank = rank - hasM - hasN;
  int64_t mDim = batchRank, nDim = batchRank + hasM, kDim = rank;
  auto batchExprs = [&](ArrayRef<int64_t> shape) {
    SmallVector<AffineExpr> exprs;
    int64_t own = shape.size() - 2;
    for (int64_t i = 0; i < own; ++i) {
      int64_t loop = batchRank - own + i;
      if (shape[i] == 1 && resultShape[loop] != 1)
        exprs.push_back(getAffineConstantExpr(0, ctx));
      else
        exprs.push_back(getAffineDimExpr(loop, ctx));
    }
    return exprs;
  };
  SmallVector<AffineExpr> lhsExprs, rhsExprs, outExprs;
  if (hasM) {
    lhsExprs = batchExprs(lhsShape);
    lhsExprs.push_back(getAffineDimExpr(mDim, ctx));
  }
  lhsExprs.push_back(getAffineDimExpr(kDim, ctx));
  if (hasN)
    rhsExprs = batchExprs(rhsShape);
  rhsExprs.push_back(getAffineDimExpr(kDim, ctx));
  if (hasN)
    rhsExprs.push_back(getAffineDimExpr(nDim, ctx));
  for (int64_t i = 0; i < rank; ++i)
    outExprs.push_back(getAffineDimExpr(i, ctx));
  return {AffineMap::get(rank + 1, 0, lhsExprs, ctx),
          AffineMap::get(rank + 1, 0, rhsExprs, ctx),
          AffineMap::get(rank + 1, 0, outExprs, ctx)};
}

Value padSpatial(OpBuilder &b, Location loc, Value input,
                 ArrayRef<int64_t> pads, Value padValue) {
  auto type = tensorType(input);
  size_t spatial = type.getRank() - 2;
  if (llvm::all_of(pads, [](int64_t p) { return p == 0; }))
    return input;
  SmallVector<OpFoldResult> low(2, b.getIndexAttr(0)),
      high(2, b.getIndexAttr(0));
  SmallVector<int64_t> shape(type.getShape());
  for (size_t i = 0; i < spatial; ++i) {
    low.push_back(b.getIndexAttr(pads[i]));
    high.push_back(b.getIndexAttr(pads[spatial + i]));
    shape[2 + i] += pads[i] + pads[spatial + i];
  }
  auto padded = RankedTensorType::get(shape, type.getElementType());
  return b.create<tensor::PadOp>(loc, padded, input, low, high, padValue);
}

} // namespace mlir::ds::lowering

using namespace mlir::ds::lowering;

namespace {

/// The dims of a reduction over `axes` re-inserted as size-1 dims of
/// `keptType`; the inverse view of buildReduction's result.
AffineMap reducedOperandMap(MLIRContext *ctx, int64_t rank,
                            ArrayRef<int64_t> axes) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    if (!llvm::is_contained(axes, d))
      exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// Elementwise over `resultType` where `reduced` (the output of
/// buildReduction over `axes`) is broadcast back along the reduced axes.
Value buildWithReduced(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange full, ValueRange reduced,
                       ArrayRef<int64_t> axes, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps;
  SmallVector<Value> inputs;
  for (Value v : full) {
    maps.push_back(broadcastMap(ctx, tensorType(v).getShape(),
                                resultType.getShape()));
    inputs.push_back(v);
  }
  for (Value v : reduced) {
    maps.push_back(reducedOperandMap(ctx, rank, axes));
    inputs.push_back(v);
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  SmallVector<Value> sizes = dynamicSizesFromLoops(
      b, loc, resultType, maps.back(), inputs, ArrayRef(maps).drop_back());
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{resultType}, inputs,
          ValueRange{emptyTensor(b, loc, resultType, sizes)}, maps, iterators,
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            nb.create<linalg::YieldOp>(nloc, body(nb, nloc, args.drop_back()));
          })
      .getResult(0);
}

//===----------------------------------------------------------------------===//
// Scalar semantics shared by the elementwise patterns
//===----------------------------------------------------------------------===//

Value toIndex(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isIndex())
    return v;
  return b.create<arith::IndexCastOp>(loc, b.getIndexType(), v);
}

/// ONNX Cast between any two numeric types; bool is i1.
Value castScalar(OpBuilder &b, Location loc, Value v, Type srcOnnx,
                 Type dstOnnx) {
  Type src = signless(srcOnnx), dst = signless(dstOnnx);
  if (src == dst)
    return v;
  bool srcUnsigned = srcOnnx.isUnsignedInteger() || srcOnnx.isInteger(1);
  bool dstUnsigned = dstOnnx.isUnsignedInteger();
  auto srcF = llvm::dyn_cast<FloatType>(src);
  auto dstF = llvm::dyn_cast<FloatType>(dst);
  if (dst.isInteger(1)) {
    Value zero = scalarConst(b, loc, src, 0);
    if (srcF)
      return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, v, zero);
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, v, zero);
  }
  if (srcF && dstF)
    return ds::convertFloat(b, loc, v, dstF);
  if (srcF) {
    if (dstUnsigned)
      return b.create<arith::FPToUIOp>(loc, dst, v);
    return b.create<arith::FPToSIOp>(loc, dst, v);
  }
  if (dstF) {
    if (srcUnsigned)
      return b.create<arith::UIToFPOp>(loc, dst, v);
    return b.create<arith::SIToFPOp>(loc, dst, v);
  }
  unsigned sw = src.getIntOrFloatBitWidth(), dw = dst.getIntOrFloatBitWidth();
  if (sw > dw)
    return b.create<arith::TruncIOp>(loc, dst, v);
  if (srcUnsigned)
    return b.create<arith::ExtUIOp>(loc, dst, v);
  return b.create<arith::ExtSIOp>(loc, dst, v);
}

/// Float scalar arithmetic for the elementwise bodies.
struct FloatMath {
  OpBuilder &b;
  Location loc;
  Type type;
  Value c(double v) { return scalarConst(b, loc, type, v); }
  Value mul(Value x, Value y) { return b.create<arith::MulFOp>(loc, x, y); }
  Value add(Value x, Value y) { return b.create<arith::AddFOp>(loc, x, y); }
  Value sub(Value x, Value y) { return b.create<arith::SubFOp>(loc, x, y); }
  Value div(Value x, Value y) { return b.create<arith::DivFOp>(loc, x, y); }
  Value max(Value x, Value y) { return b.create<arith::MaximumFOp>(loc, x, y); }
  Value min(Value x, Value y) { return b.create<arith::MinimumFOp>(loc, x, y); }
  /// x clamped to a bound that is not NaN, a NaN x staying NaN as with
  /// max/min, as one compare and select, which x86 does in one vmaxps or
  /// vminps where maximumf takes a compare and two blends more (the ReLU6
  /// after a 1x1 convolution of 16 channels, AVX2: the blends held about
  /// 12% of the layer's samples). -0 stays -0.
  Value atLeast(Value x, Value bound) {
    return select(arith::CmpFPredicate::OGT, bound, x);
  }
  Value atMost(Value x, Value bound) {
    return select(arith::CmpFPredicate::OLT, bound, x);
  }

private:
  Value select(arith::CmpFPredicate beyond, Value bound, Value x) {
    Value outside = b.create<arith::CmpFOp>(loc, beyond, bound, x);
    return b.create<arith::SelectOp>(loc, outside, bound, x);
  }
};

/// The scalar semantics of the activations that Conv, Gemm and MatMul can
/// carry as a fused epilogue (graph::isFusableActivation), shared with the
/// standalone ops so both compute the same thing. Float element types.
Value activationBody(OpBuilder &b, Location loc, StringRef name,
                     ArrayRef<double> params, Value x) {
  FloatMath f{b, loc, x.getType()};
  if (name == "relu")
    return f.atLeast(x, f.c(0));
  if (name == "clip")
    return f.atMost(f.atLeast(x, f.c(params[0])), f.c(params[1]));
  if (name == "leaky_relu") {
    Value neg = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, x, f.c(0));
    return b.create<arith::SelectOp>(loc, neg, f.mul(f.c(params[0]), x), x);
  }
  if (name == "sigmoid") {
    Value e = b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, x));
    return b.create<arith::DivFOp>(loc, f.c(1), f.add(f.c(1), e));
  }
  if (name == "hard_sigmoid")
    return f.atLeast(f.atMost(f.add(f.mul(f.c(params[0]), x), f.c(params[1])), f.c(1)), f.c(0));
  if (name == "hard_swish")
    return f.mul(x, f.atLeast(f.atMost(f.add(f.mul(x, f.c(1.0 / 6.0)), f.c(0.5)), f.c(1)), f.c(0)));
  if (name == "tanh")
    return b.create<math::TanhOp>(loc, x);
  if (name == "gelu_tanh") {
    Value inner = f.mul(f.c(std::sqrt(2.0 / M_PI)),
                       f.add(x, f.mul(f.c(0.044715), f.mul(x, f.mul(x, x)))));
    return f.mul(f.mul(f.c(0.5), x), f.add(f.c(1), b.create<math::TanhOp>(loc, inner)));
  }
  assert(name == "gelu" && "not a fusable activation");
  Value erf = b.create<math::ErfOp>(loc, f.mul(x, f.c(M_SQRT1_2)));
  return f.mul(f.mul(f.c(0.5), x), f.add(f.c(1), erf));
}

/// Applies `op`'s fused activation, if any, to `result`: an elementwise
/// generic that linalg's elementwise fusion merges with the bias pass
/// before it, so the activation costs no pass and no buffer of its own.
Value applyEpilogue(OpBuilder &b, Location loc, Operation *op, Value result) {
  auto name = op->getAttrOfType<StringAttr>("activation");
  if (!name)
    return result;
  SmallVector<double> params;
  if (auto list = op->getAttrOfType<ArrayAttr>("activation_params"))
    for (Attribute a : list)
      params.push_back(llvm::cast<FloatAttr>(a).getValueAsDouble());
  return buildElementwise(b, loc, tensorType(result), result,
                          [&](OpBuilder &nb, Location l, ValueRange args) {
                            return activationBody(nb, l, name.getValue(),
                                                  params, args[0]);
                          });
}

/// The body of every dsg elementwise op. `types` are the original (dsg)
/// operand element types, which carry signedness.
Value elementwiseBody(Operation *op, OpBuilder &b, Location loc,
                      ValueRange args, ArrayRef<Type> types) {
  Value x = args[0];
  Type t = x.getType();
  bool isFloat = llvm::isa<FloatType>(t);
  bool isUnsigned = types[0].isUnsignedInteger();
  auto c = [&](double v) { return scalarConst(b, loc, t, v); };
  auto cmpLt0 = [&](Value v) -> Value {
    if (isFloat)
      return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, v, c(0));
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, v, c(0));
  };
  FloatMath f{b, loc, t};
  auto fattr = [&](StringRef name) {
    return c(llvm::cast<FloatAttr>(op->getAttr(name)).getValueAsDouble());
  };
  auto select = [&](Value cond, Value a, Value v) -> Value {
    return b.create<arith::SelectOp>(loc, cond, a, v);
  };

  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](g::NegOp) -> Value {
        if (isFloat)
          return b.create<arith::NegFOp>(loc, x);
        return b.create<arith::SubIOp>(loc, c(0), x);
      })
      .Case([&](g::AbsOp) -> Value {
        if (isFloat)
          return b.create<math::AbsFOp>(loc, x);
        if (isUnsigned)
          return x;
        return b.create<math::AbsIOp>(loc, x);
      })
      .Case([&](g::SqrtOp) { return b.create<math::SqrtOp>(loc, x); })
      .Case([&](g::ExpOp) { return b.create<math::ExpOp>(loc, x); })
      .Case([&](g::LogOp) { return b.create<math::LogOp>(loc, x); })
      .Case([&](g::ErfOp) { return b.create<math::ErfOp>(loc, x); })
      .Case([&](g::TanhOp) { return activationBody(b, loc, "tanh", {}, x); })
      .Case([&](g::SinOp) { return b.create<math::SinOp>(loc, x); })
      .Case([&](g::CosOp) { return b.create<math::CosOp>(loc, x); })
      .Case([&](g::TanOp) { return b.create<math::TanOp>(loc, x); })
      .Case([&](g::AsinOp) { return b.create<math::AsinOp>(loc, x); })
      .Case([&](g::AcosOp) { return b.create<math::AcosOp>(loc, x); })
      .Case([&](g::AtanOp) { return b.create<math::AtanOp>(loc, x); })
      .Case([&](g::SinhOp) { return b.create<math::SinhOp>(loc, x); })
      .Case([&](g::CoshOp) { return b.create<math::CoshOp>(loc, x); })
      .Case([&](g::AsinhOp) { return b.create<math::AsinhOp>(loc, x); })
      .Case([&](g::AcoshOp) { return b.create<math::AcoshOp>(loc, x); })
      .Case([&](g::AtanhOp) { return b.create<math::AtanhOp>(loc, x); })
      .Case([&](g::FloorOp) { return b.create<math::FloorOp>(loc, x); })
      .Case([&](g::CeilOp) { return b.create<math::CeilOp>(loc, x); })
      .Case([&](g::RoundOp) { return b.create<math::RoundEvenOp>(loc, x); })
      .Case([&](g::ReciprocalOp) { return f.div(c(1), x); })
      .Case([&](g::ReluOp) -> Value {
        if (isFloat)
          return activationBody(b, loc, "relu", {}, x);
        return b.create<arith::MaxSIOp>(loc, x, c(0));
      })
      .Case([&](g::SigmoidOp) { return activationBody(b, loc, "sigmoid", {}, x); })
      .Case([&](g::SignOp) -> Value {
        if (isFloat) {
          Value pos = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, c(0));
          return select(pos, c(1), select(cmpLt0(x), c(-1), c(0)));
        }
        Value pos = b.create<arith::CmpIOp>(
            loc, isUnsigned ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt,
            x, c(0));
        Value neg = isUnsigned ? Value(b.create<arith::ConstantOp>(
                                     loc, b.getBoolAttr(false)))
                               : cmpLt0(x);
        return select(pos, c(1), select(neg, c(-1), c(0)));
      })
      .Case([&](g::SoftplusOp) {
        return b.create<math::Log1pOp>(loc, b.create<math::ExpOp>(loc, x));
      })
      .Case([&](g::SoftsignOp) {
        return f.div(x, f.add(c(1), b.create<math::AbsFOp>(loc, x)));
      })
      .Case([&](g::NotOp) {
        return b.create<arith::XOrIOp>(loc, x,
                                       b.create<arith::ConstantOp>(loc, b.getBoolAttr(true)));
      })
      .Case([&](g::HardSwishOp) {
        return activationBody(b, loc, "hard_swish", {}, x);
      })
      .Case([&](g::LeakyReluOp op) {
        return activationBody(b, loc, "leaky_relu",
                              {op.getAlpha().convertToDouble()}, x);
      })
      .Case([&](g::EluOp) {
        Value em1 = b.create<math::ExpM1Op>(loc, x);
        return select(cmpLt0(x), f.mul(fattr("alpha"), em1), x);
      })
      .Case([&](g::CeluOp) {
        Value alpha = fattr("alpha");
        Value em1 = b.create<math::ExpM1Op>(loc, f.div(x, alpha));
        return f.add(f.max(c(0), x), f.min(c(0), f.mul(alpha, em1)));
      })
      .Case([&](g::SeluOp) {
        Value em1 = b.create<math::ExpM1Op>(loc, x);
        Value le0 = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLE, x, c(0));
        return f.mul(fattr("gamma"), select(le0, f.mul(fattr("alpha"), em1), x));
      })
      .Case([&](g::HardSigmoidOp op) {
        return activationBody(b, loc, "hard_sigmoid",
                              {op.getAlpha().convertToDouble(),
                               op.getBeta().convertToDouble()},
                              x);
      })
      .Case([&](g::ThresholdedReluOp) {
        Value gt = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x,
                                           fattr("alpha"));
        return select(gt, x, c(0));
      })
      .Case([&](g::ShrinkOp) {
        Value lambd = fattr("lambd"), bias = fattr("bias");
        Value lo = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, x,
                                           b.create<arith::NegFOp>(loc, lambd));
        Value hi = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, lambd);
        return select(lo, f.add(x, bias), select(hi, f.sub(x, bias), c(0)));
      })
      .Case([&](g::GeluOp gelu) {
        return activationBody(b, loc, gelu.getApproximate() ? "gelu_tanh" : "gelu",
                              {}, x);
      })
      .Case([&](g::IsNaNOp) {
        return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
      })
      .Case([&](g::IsInfOp isInf) -> Value {
        auto ft = llvm::cast<FloatType>(t);
        Value inf = b.create<arith::ConstantOp>(
            loc, b.getFloatAttr(t, APFloat::getInf(ft.getFloatSemantics())));
        Value ninf = b.create<arith::NegFOp>(loc, inf);
        Value isPos = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, x, inf);
        Value isNeg = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, x, ninf);
        Value f = b.create<arith::ConstantOp>(loc, b.getBoolAttr(false));
        Value r = isInf.getDetectPositive() ? isPos : f;
        if (isInf.getDetectNegative())
          r = b.create<arith::OrIOp>(loc, r, isNeg);
        return r;
      })
      .Case([&](g::CastOp cast) {
        return castScalar(b, loc, x, types[0],
                          cast.getType().getElementType());
      })
      // Binary ops.
      .Case([&](g::AddOp) -> Value {
        if (isFloat)
          return f.add(x, args[1]);
        return b.create<arith::AddIOp>(loc, x, args[1]);
      })
      .Case([&](g::SubOp) -> Value {
        if (isFloat)
          return f.sub(x, args[1]);
        return b.create<arith::SubIOp>(loc, x, args[1]);
      })
      .Case([&](g::MulOp) -> Value {
        if (isFloat)
          return f.mul(x, args[1]);
        if (t.isInteger(1))
          return b.create<arith::AndIOp>(loc, x, args[1]);
        return b.create<arith::MulIOp>(loc, x, args[1]);
      })
      .Case([&](g::DivOp) -> Value {
        if (isFloat)
          return f.div(x, args[1]);
        if (isUnsigned)
          return b.create<arith::DivUIOp>(loc, x, args[1]);
        return b.create<arith::DivSIOp>(loc, x, args[1]);
      })
      .Case([&](g::PowOp) -> Value {
        // Integer bases and exponents go through f64, as ONNX Runtime does.
        Type work = isFloat ? t : b.getF64Type();
        Value base = castScalar(b, loc, x, types[0], isFloat ? types[0] : work);
        Value exp = castScalar(b, loc, args[1], types[1], work);
        Value r = b.create<math::PowFOp>(loc, base, exp);
        return isFloat ? r : castScalar(b, loc, r, work, types[0]);
      })
      .Case([&](g::MaxOp) -> Value {
        if (isFloat)
          return f.max(x, args[1]);
        if (isUnsigned)
          return b.create<arith::MaxUIOp>(loc, x, args[1]);
        return b.create<arith::MaxSIOp>(loc, x, args[1]);
      })
      .Case([&](g::MinOp) -> Value {
        if (isFloat)
          return f.min(x, args[1]);
        if (isUnsigned)
          return b.create<arith::MinUIOp>(loc, x, args[1]);
        return b.create<arith::MinSIOp>(loc, x, args[1]);
      })
      .Case([&](g::AndOp) { return b.create<arith::AndIOp>(loc, x, args[1]); })
      .Case([&](g::OrOp) { return b.create<arith::OrIOp>(loc, x, args[1]); })
      .Case([&](g::XorOp) { return b.create<arith::XOrIOp>(loc, x, args[1]); })
      .Case<g::EqualOp, g::LessOp, g::LessOrEqualOp, g::GreaterOp,
            g::GreaterOrEqualOp>([&](Operation *cmp) -> Value {
        using FP = arith::CmpFPredicate;
        using IP = arith::CmpIPredicate;
        FP fp;
        IP ip;
        if (isa<g::EqualOp>(cmp)) {
          fp = FP::OEQ;
          ip = IP::eq;
        } else if (isa<g::LessOp>(cmp)) {
          fp = FP::OLT;
          ip = isUnsigned ? IP::ult : IP::slt;
        } else if (isa<g::LessOrEqualOp>(cmp)) {
          fp = FP::OLE;
          ip = isUnsigned ? IP::ule : IP::sle;
        } else if (isa<g::GreaterOp>(cmp)) {
          fp = FP::OGT;
          ip = isUnsigned ? IP::ugt : IP::sgt;
        } else {
          fp = FP::OGE;
          ip = isUnsigned ? IP::uge : IP::sge;
        }
        if (isFloat)
          return b.create<arith::CmpFOp>(loc, fp, x, args[1]);
        return b.create<arith::CmpIOp>(loc, ip, x, args[1]);
      })
      .Case([&](g::PReluOp) -> Value {
        if (isFloat)
          return select(cmpLt0(x), f.mul(args[1], x), x);
        return select(cmpLt0(x), b.create<arith::MulIOp>(loc, args[1], x), x);
      })
      .Case([&](g::ModOp mod) -> Value {
        Value y = args[1];
        if (isFloat) {
          Value r = b.create<arith::RemFOp>(loc, x, y);
          if (mod.getFmod())
            return r;
          // Python-style: the remainder takes the divisor's sign.
          Value nonzero = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::ONE, r, c(0));
          Value signsDiffer = b.create<arith::XOrIOp>(loc, cmpLt0(r), cmpLt0(y));
          Value fix = b.create<arith::AndIOp>(loc, nonzero, signsDiffer);
          return select(fix, f.add(r, y), r);
        }
        if (isUnsigned)
          return b.create<arith::RemUIOp>(loc, x, y);
        Value r = b.create<arith::RemSIOp>(loc, x, y);
        if (mod.getFmod())
          return r;
        Value nonzero = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, r, c(0));
        Value signsDiffer = b.create<arith::XOrIOp>(loc, cmpLt0(r), cmpLt0(y));
        Value fix = b.create<arith::AndIOp>(loc, nonzero, signsDiffer);
        return select(fix, b.create<arith::AddIOp>(loc, r, y), r);
      })
      .Case([&](g::BitShiftOp shift) -> Value {
        if (shift.getLeft())
          return b.create<arith::ShLIOp>(loc, x, args[1]);
        return b.create<arith::ShRUIOp>(loc, x, args[1]);
      })
      .Case([&](g::WhereOp) { return select(x, args[1], args[2]); })
      .Default([&](Operation *) -> Value {
        llvm_unreachable("not an elementwise dsg op");
      });
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// Base of the dsg patterns: the converted (signless) result type.

/// Any dsg op whose semantics are elementwiseBody over broadcast operands.
template <typename OpTy>
struct ElementwiseLowering : GraphPattern<OpTy> {
  using GraphPattern<OpTy>::GraphPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = this->convertedType(op->getResult(0).getType());
    SmallVector<Type> types;
    for (Value v : op->getOperands())
      types.push_back(tensorType(v).getElementType());
    Value result = buildElementwise(
        rewriter, op.getLoc(), resultType, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return elementwiseBody(op, b, loc, args, types);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ConstantLowering : GraphPattern<g::ConstantOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertedType(op.getType());
    auto dense = llvm::dyn_cast<DenseElementsAttr>(op.getValue());
    if (!dense)
      return rewriter.notifyMatchFailure(op, "only dense constants lower");
    if (dense.getType() != type)
      dense = dense.bitcast(type.getElementType());
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type, dense);
    return success();
  }
};

struct ClipLowering : GraphPattern<g::ClipOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ClipOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = convertedType(op.getType());
    bool isFloat = llvm::isa<FloatType>(type.getElementType());
    bool isUnsigned = isUnsignedTensor(op.getInput());
    // Bounds are single-element tensors: read them once, outside the loop.
    auto scalarOf = [&](Value bound) -> Value {
      if (!bound)
        return nullptr;
      auto bt = tensorType(bound);
      SmallVector<Value> zeros(bt.getRank(),
                               rewriter.create<arith::ConstantIndexOp>(loc, 0));
      return rewriter.create<tensor::ExtractOp>(loc, bound, zeros);
    };
    Value lo = scalarOf(adaptor.getMin()), hi = scalarOf(adaptor.getMax());
    Value result = buildElementwise(
        rewriter, loc, type, adaptor.getInput(),
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value v = args[0];
          if (lo)
            v = isFloat ? b.create<arith::MaximumFOp>(l, v, lo).getResult()
                : isUnsigned ? b.create<arith::MaxUIOp>(l, v, lo).getResult()
                             : b.create<arith::MaxSIOp>(l, v, lo).getResult();
          if (hi)
            v = isFloat ? b.create<arith::MinimumFOp>(l, v, hi).getResult()
                : isUnsigned ? b.create<arith::MinUIOp>(l, v, hi).getResult()
                             : b.create<arith::MinSIOp>(l, v, hi).getResult();
          return v;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

Value addScalars(OpBuilder &b, Location loc, Value x, Value y) {
  if (llvm::isa<FloatType>(x.getType()))
    return b.create<arith::AddFOp>(loc, x, y);
  return b.create<arith::AddIOp>(loc, x, y);
}

Value mulScalars(OpBuilder &b, Location loc, Value x, Value y) {
  if (llvm::isa<FloatType>(x.getType()))
    return b.create<arith::MulFOp>(loc, x, y);
  return b.create<arith::MulIOp>(loc, x, y);
}

/// acc + x * y; for floats with the `contract` flag, so that LLVM may fuse
/// the two into one FMA where the target has it, keeping a multiply and an
/// add where not (MobileNetV2's stride-2 depthwise layer, 96 x 112 x 112,
/// AVX2: 0.49 -> 0.45 ms).
Value multiplyAdd(OpBuilder &b, Location loc, Value acc, Value x, Value y) {
  if (!llvm::isa<FloatType>(x.getType()))
    return addScalars(b, loc, acc, mulScalars(b, loc, x, y));
  auto contract = arith::FastMathFlagsAttr::get(b.getContext(),
                                                arith::FastMathFlags::contract);
  Value product = b.create<arith::MulFOp>(loc, x, y, contract);
  return b.create<arith::AddFOp>(loc, acc, product, contract);
}

/// A contraction: init + lhs * rhs summed over the reduction loops.
Value mulAddContraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                        Value init, ArrayRef<AffineMap> maps,
                        ArrayRef<utils::IteratorType> iterators) {
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{init.getType()}, ValueRange{lhs, rhs},
          ValueRange{init}, maps, iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value product = mulScalars(nb, l, args[0], args[1]);
            nb.create<linalg::YieldOp>(l, addScalars(nb, l, args[2], product));
          })
      .getResult(0);
}

/// The columns of the CPU backend's widest register tile (64 floats: two
/// AVX-512 `nr` of ds-vectorize-contractions): the default of
/// register-tile-columns, the panels of a GEMV, and the pixels under which
/// a convolution takes them as rows.
constexpr int64_t kWidestTileColumns = 64;

/// The column width of the packed weight panels of a product whose left
/// side is `lhs`: `targetColumns` (one register tile of the target's GEMM
/// kernel, so that a tile's panel is contiguous), but kWidestTileColumns
/// with fewer than 4 rows: such a product (a GEMV) widens its register
/// tile across the columns instead (see ds-vectorize-contractions), and
/// 16-wide panels left it one vector of accumulators (batch-1 MLP, AVX2:
/// 0.18 -> 0.25 ms).
int64_t panelColumns(Value lhs, int64_t targetColumns) {
  ArrayRef<int64_t> shape = tensorType(lhs).getShape().drop_back();
  constexpr int64_t kGemvRows = 4;
  if (llvm::none_of(shape, ShapedType::isDynamic) &&
      ShapedType::getNumElements(shape) < kGemvRows)
    return kWidestTileColumns;
  return targetColumns;
}

/// x [..., M, K] times a constant [K, N] weight (N a multiple of
/// `columns`), plus `bias` [N] if given, then `op`'s activation: the weight
/// packed at compile time in panels of `columns`, [N/P, K, P], as loops
/// (..., m, nb, ni | k) into [..., M, N/P, P] (the same bytes as
/// [..., M, N]). Each register tile, and each thread-pool task of a
/// batch-1 product, streams its panel contiguously instead of P floats
/// from every row of [K, N], rows 16 KB apart at N = 4096, which the
/// hardware prefetchers follow poorly: the memory-bound batch-1 decoder
/// block went from 9.3 to 4.2 ms (one thread), the BERT layer from 19.4 to
/// 17.8 ms.
Value lowerPanelProduct(OpBuilder &b, Location loc, Operation *op, Value lhs,
                        DenseElementsAttr weight, Value bias,
                        RankedTensorType resultType, int64_t columns) {
  MLIRContext *ctx = b.getContext();
  Type elt = resultType.getElementType();
  auto lhsType = tensorType(lhs);
  int64_t k = weight.getType().getDimSize(0);
  int64_t n = weight.getType().getDimSize(1);
  int64_t panels = n / columns, rank = resultType.getRank();
  DenseElementsAttr packed = g::transposeConstant(
      weight.reshape(RankedTensorType::get({k, panels, columns},
                                           weight.getElementType())),
      {1, 0, 2},
      RankedTensorType::get({panels, k, columns}, weight.getElementType()));
  Value rhs = b.create<arith::ConstantOp>(loc, packed);
  // Loops: the result's dims but n, then nb, ni, k.
  int64_t loops = rank + 2;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> lhsExprs, outExprs;
  for (int64_t i = 0; i < lhsType.getRank() - 1; ++i)
    lhsExprs.push_back(d(rank - lhsType.getRank() + i));
  lhsExprs.push_back(d(rank + 1));
  for (int64_t i = 0; i < rank + 1; ++i)
    outExprs.push_back(d(i));
  SmallVector<AffineMap> maps = {
      AffineMap::get(loops, 0, lhsExprs, ctx),
      AffineMap::get(loops, 0, {d(rank - 1), d(rank + 1), d(rank)}, ctx),
      AffineMap::get(loops, 0, outExprs, ctx)};
  SmallVector<int64_t> packedShape(resultType.getShape().drop_back());
  packedShape.append({panels, columns});
  auto packedType = RankedTensorType::get(packedShape, elt);
  SmallVector<utils::IteratorType> iterators(rank + 1,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  SmallVector<Value> sizes = dynamicSizesFromLoops(
      b, loc, packedType, maps[2], {lhs}, ArrayRef(maps).take_front(1));
  AffineMap biasMap;
  if (bias) {
    bias = b.create<tensor::ExpandShapeOp>(
        loc, RankedTensorType::get({panels, columns}, elt),
        bias, ArrayRef<ReassociationIndices>{{0, 1}});
    biasMap = AffineMap::get(rank + 1, 0, {d(rank - 1), d(rank)}, ctx);
  }
  Value init = accumulatorInit(b, loc, packedType, sizes, bias, biasMap);
  Value product = mulAddContraction(b, loc, lhs, rhs, init, maps, iterators);
  // The activation reads the product directly, so the backend applies it
  // per output tile; then [..., M, N/64, 64] -> [..., M, N].
  Value activated = applyEpilogue(b, loc, op, product);
  SmallVector<ReassociationIndices> merge;
  for (int64_t i = 0; i < rank - 1; ++i)
    merge.push_back({i});
  merge.push_back({rank - 1, rank});
  return b.create<tensor::CollapseShapeOp>(loc, resultType, activated, merge);
}

/// Whether `weight` is a float32 [K, N] constant that lowerPanelProduct
/// takes in panels of `columns`, and `bias` (if any) a vector of N.
bool takesPanels(Value weight, Value bias, int64_t columns,
                 DenseElementsAttr &dense) {
  if (!matchPattern(weight, m_Constant(&dense)) ||
      !dense.getElementType().isF32() || dense.getType().getRank() != 2 ||
      dense.getType().getDimSize(1) % columns != 0)
    return false;
  if (!bias)
    return true;
  auto biasType = tensorType(bias);
  return biasType.getRank() == 1 &&
         biasType.getDimSize(0) == dense.getType().getDimSize(1);
}

struct MatMulLowering : GraphPattern<g::MatMulOp> {
  MatMulLowering(const TypeConverter &converter, MLIRContext *ctx,
                 int64_t registerTileColumns)
      : GraphPattern(converter, ctx), registerTileColumns(registerTileColumns) {
  }
  int64_t registerTileColumns;

  LogicalResult
  matchAndRewrite(g::MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto resultType = convertedType(op.getType());
    DenseElementsAttr weight;
    int64_t columns = panelColumns(adaptor.getLhs(), registerTileColumns);
    if (tensorType(adaptor.getLhs()).getRank() >= 2 &&
        takesPanels(adaptor.getRhs(), adaptor.getBias(), columns, weight)) {
      rewriter.replaceOp(
          op, lowerPanelProduct(rewriter, loc, op, adaptor.getLhs(), weight,
                                adaptor.getBias(), resultType, columns));
      return success();
    }
    SmallVector<AffineMap> maps = matmulIndexingMaps(
        ctx, tensorType(adaptor.getLhs()).getShape(),
        tensorType(adaptor.getRhs()).getShape(), resultType.getShape());
    int64_t rank = resultType.getRank();
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    SmallVector<Value> sizes = dynamicSizesFromLoops(
        rewriter, loc, resultType, maps[2], {adaptor.getLhs(), adaptor.getRhs()},
        ArrayRef(maps).take_front(2));
    // Accumulate onto the bias (broadcast), or onto zero.
    Value init = accumulatorInit(
        rewriter, loc, resultType, sizes, adaptor.getBias(),
        adaptor.getBias()
            ? broadcastMap(ctx, tensorType(adaptor.getBias()).getShape(),
                           resultType.getShape())
            : AffineMap());
    Value product = mulAddContraction(rewriter, loc, adaptor.getLhs(),
                                      adaptor.getRhs(), init, maps, iterators);
    rewriter.replaceOp(op, applyEpilogue(rewriter, loc, op, product));
    return success();
  }
};

struct GemmLowering : GraphPattern<g::GemmOp> {
  GemmLowering(const TypeConverter &converter, MLIRContext *ctx,
               int64_t registerTileColumns)
      : GraphPattern(converter, ctx), registerTileColumns(registerTileColumns) {
  }
  int64_t registerTileColumns;
  LogicalResult
  matchAndRewrite(g::GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto resultType = convertedType(op.getType());
    Type elt = resultType.getElementType();
    // A constant B (canonicalization transposes a transB one) in panels,
    // C as its bias, when alpha and beta are 1.
    DenseElementsAttr weight;
    Value bias = op.getBeta().convertToDouble() != 0.0 ? adaptor.getC()
                                                       : Value();
    int64_t columns = panelColumns(adaptor.getA(), registerTileColumns);
    if (!op.getTransA() && !op.getTransB() &&
        op.getAlpha().convertToDouble() == 1.0 &&
        (!bias || op.getBeta().convertToDouble() == 1.0) &&
        takesPanels(adaptor.getB(), bias, columns, weight)) {
      rewriter.replaceOp(op, lowerPanelProduct(rewriter, loc, op,
                                               adaptor.getA(), weight, bias,
                                               resultType, columns));
      return success();
    }
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    SmallVector<AffineMap> maps = {
        AffineMap::get(3, 0, op.getTransA() ? ArrayRef<AffineExpr>{k, m}
                                            : ArrayRef<AffineExpr>{m, k}, ctx),
        AffineMap::get(3, 0, op.getTransB() ? ArrayRef<AffineExpr>{n, k}
                                            : ArrayRef<AffineExpr>{k, n}, ctx),
        AffineMap::get(3, 0, {m, n}, ctx)};
    SmallVector<utils::IteratorType> iterators = {
        utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::reduction};
    Value init = filledTensor(
        rewriter, loc, resultType, scalarConst(rewriter, loc, elt, 0),
        dynamicSizesFromLoops(rewriter, loc, resultType, maps[2],
                              {adaptor.getA(), adaptor.getB()},
                              ArrayRef(maps).take_front(2)));
    Value acc = mulAddContraction(rewriter, loc, adaptor.getA(), adaptor.getB(),
                                  init, maps, iterators);
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    bool useC = adaptor.getC() && beta != 0.0;
    if (alpha != 1.0 || useC) {
      SmallVector<Value> inputs = {acc};
      if (useC)
        inputs.push_back(adaptor.getC());
      acc = buildElementwise(
          rewriter, loc, resultType, inputs,
          [&](OpBuilder &b, Location l, ValueRange args) {
            Value v = args[0];
            if (alpha != 1.0)
              v = mulScalars(b, l, v, scalarConst(b, l, elt, alpha));
            if (useC) {
              Value cv = args[1];
              if (beta != 1.0)
                cv = mulScalars(b, l, cv, scalarConst(b, l, elt, beta));
              v = addScalars(b, l, v, cv);
            }
            return v;
          });
    }
    rewriter.replaceOp(op, applyEpilogue(rewriter, loc, op, acc));
    return success();
  }
};

/// The kernel taps of a sliding window over the spatial dims of `padded`
/// (an NC... tensor), as strided views: tap t, in row-major kernel order,
/// is the `tapType`-shaped slice starting at that tap's kernel offset and
/// stepping by the window strides. An op over windows becomes an
/// elementwise op over its taps, which vectorizes along the output row.
SmallVector<Value> windowTaps(OpBuilder &b, Location loc, Value padded,
                              RankedTensorType tapType,
                              ArrayRef<int64_t> kernel,
                              ArrayRef<int64_t> strides,
                              ArrayRef<int64_t> dilations) {
  int64_t rank = tapType.getRank(), spatial = rank - 2;
  SmallVector<OpFoldResult> sizes;
  sizes.push_back(
      tapType.isDynamicDim(0)
          ? OpFoldResult(b.create<tensor::DimOp>(loc, padded, 0).getResult())
          : OpFoldResult(b.getIndexAttr(tapType.getShape()[0])));
  for (int64_t i = 1; i < rank; ++i)
    sizes.push_back(b.getIndexAttr(tapType.getShape()[i]));
  SmallVector<OpFoldResult> steps(2, b.getIndexAttr(1));
  for (int64_t s : strides)
    steps.push_back(b.getIndexAttr(s));
  int64_t taps = 1;
  for (int64_t k : kernel)
    taps *= k;
  SmallVector<Value> result;
  for (int64_t t = 0; t < taps; ++t) {
    SmallVector<int64_t> position(spatial);
    for (int64_t i = spatial - 1, rest = t; i >= 0; --i) {
      position[i] = rest % kernel[i];
      rest /= kernel[i];
    }
    SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0));
    for (int64_t i = 0; i < spatial; ++i)
      offsets.push_back(b.getIndexAttr(position[i] * dilations[i]));
    result.push_back(b.create<tensor::ExtractSliceOp>(loc, tapType, padded,
                                                      offsets, sizes, steps));
  }
  return result;
}

/// The taps of a 2-D, stride-1 sliding window read along flattened rows.
/// With the padded input's rows laid end to end (width Wp), output (h, w)
/// of tap (i, j) reads flat element (h + i * dh) * Wp + w + j * dw, so over
/// q = h * Wp + w every tap is one contiguous 1-D slice. The op then runs
/// over [N, C, Ho * Wp]: one long loop per channel that vectorizes whatever
/// the output width (a 14-wide row does not fill a 16-lane vector, a
/// 224-long flattened one does). The columns w >= Wo are computed from
/// in-bounds padding and dropped by `unflattenWindows`. (With a stride s,
/// the rows read are s apart and most of each flattened row would be
/// waste; strided windows use windowTaps.)
struct FlatWindows {
  SmallVector<Value> taps;
  RankedTensorType flatType; // [N, C, Ho * rowWidth]
  int64_t rowWidth;          // Wp
};

/// Null when the shapes are not static 4-D, the window is strided or the
/// output rows are already long enough to vectorize (32 or more: two
/// vectors, where dropping the padding columns afterwards would cost a
/// copy of the whole output); callers then use windowTaps.
std::optional<FlatWindows>
flatWindowTaps(OpBuilder &b, Location loc, Value input,
               RankedTensorType resultType, ArrayRef<int64_t> pads,
               Value padValue, ArrayRef<int64_t> kernel,
               ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations) {
  constexpr int64_t kLongRow = 32;
  auto inType = tensorType(input);
  if (inType.getRank() != 4 || !inType.hasStaticShape() ||
      !resultType.hasStaticShape() || strides[0] != 1 || strides[1] != 1 ||
      resultType.getShape()[3] >= kLongRow)
    return std::nullopt;
  ArrayRef<int64_t> in = inType.getShape(), out = resultType.getShape();
  int64_t rowWidth = in[3] + pads[1] + pads[3];
  int64_t length = out[2] * rowWidth;
  // The last row's garbage columns read up to (kw - 1) * dw elements past
  // the padded rows: pad enough extra rows below.
  int64_t needed = length + (kernel[0] - 1) * dilations[0] * rowWidth +
                   (kernel[1] - 1) * dilations[1];
  int64_t paddedHeight = std::max<int64_t>(in[2] + pads[0] + pads[2],
                                           llvm::divideCeil(needed, rowWidth));
  SmallVector<int64_t> grown = {pads[0], pads[1],
                                paddedHeight - in[2] - pads[0], pads[3]};
  Value padded = padSpatial(b, loc, input, grown, padValue);
  Value rows = b.create<tensor::CollapseShapeOp>(
      loc, padded, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
  FlatWindows result;
  result.rowWidth = rowWidth;
  result.flatType = RankedTensorType::get({out[0], out[1], length},
                                          resultType.getElementType());
  auto index = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
  for (int64_t i = 0; i < kernel[0]; ++i)
    for (int64_t j = 0; j < kernel[1]; ++j)
      result.taps.push_back(b.create<tensor::ExtractSliceOp>(
          loc, result.flatType, rows,
          ArrayRef<OpFoldResult>{
              index(0), index(0),
              index(i * dilations[0] * rowWidth + j * dilations[1])},
          ArrayRef<OpFoldResult>{index(out[0]), index(out[1]), index(length)},
          ArrayRef<OpFoldResult>{index(1), index(1), index(1)}));
  return result;
}

/// The input channels per block of a windowed convolution with `taps`
/// kernel taps (see lowerWindowed): a divisor of `channels` of at least 8,
/// at most kCacheTileDepth / taps rounded up to a power of two (32 for
/// 3x3), so that a block over all its taps is about one cache tile deep;
/// all of them when there is no such divisor. The register tiles of a
/// block then read a panel of input rows that stays in L1 (3x3, 64
/// channels at 56 x 56, AVX2: 2.88 -> 2.52 ms).
int64_t windowChannelBlock(int64_t channels, int64_t taps) {
  int64_t wanted = llvm::PowerOf2Ceil(llvm::divideCeil(kCacheTileDepth, taps));
  for (int64_t block = std::min(wanted, channels); block >= 8; --block)
    if (channels % block == 0)
      return block;
  return channels;
}

/// [N, C, Ho * rowWidth] -> [N, C, Ho, Wo]: drops the padding columns.
Value unflattenWindows(OpBuilder &b, Location loc, Value flat,
                       RankedTensorType resultType, int64_t rowWidth) {
  ArrayRef<int64_t> out = resultType.getShape();
  auto wide = RankedTensorType::get({out[0], out[1], out[2], rowWidth},
                                    resultType.getElementType());
  Value rows = b.create<tensor::ExpandShapeOp>(
      loc, wide, flat, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
  if (rowWidth == out[3])
    return rows;
  auto index = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
  return b.create<tensor::ExtractSliceOp>(
      loc, resultType, rows,
      ArrayRef<OpFoldResult>{index(0), index(0), index(0), index(0)},
      ArrayRef<OpFoldResult>{index(out[0]), index(out[1]), index(out[2]),
                             index(out[3])},
      ArrayRef<OpFoldResult>{index(1), index(1), index(1), index(1)});
}

/// `resultType` computed in the tasks of a thread-level scf.forall, task
/// by task along dimension `dim` in slices `chunk` long (a divisor of its
/// extent), all of the other dims each: `tile` builds a task's slice from
/// the slice's first index along `dim`, at the builder's insertion point.
/// The backend leaves the ops inside such a loop to it.
Value computeInTasks(OpBuilder &b, Location loc, RankedTensorType resultType,
                     int64_t dim, int64_t chunk,
                     llvm::function_ref<Value(Value first)> tile) {
  auto index = [&](ArrayRef<int64_t> v) {
    return getAsIndexOpFoldResult(b.getContext(), v);
  };
  auto tasks = b.create<scf::ForallOp>(
      loc, index({0}), index({resultType.getDimSize(dim)}), index({chunk}),
      ValueRange{b.create<tensor::EmptyOp>(loc, resultType.getShape(),
                                           resultType.getElementType())},
      std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(tasks.getTerminator());
  Value first = tasks.getInductionVar(0);
  Value part = tile(first);
  SmallVector<OpFoldResult> offsets(resultType.getRank(), b.getIndexAttr(0));
  offsets[dim] = first;
  SmallVector<int64_t> sizes(resultType.getShape());
  sizes[dim] = chunk;
  b.setInsertionPointToStart(tasks.getTerminator().getBody());
  b.create<tensor::ParallelInsertSliceOp>(
      loc, part, tasks.getRegionIterArgs()[0], offsets, index(sizes),
      index(SmallVector<int64_t>(resultType.getRank(), 1)));
  return tasks.getResult(0);
}

struct ConvLowering : GraphPattern<g::ConvOp> {
  ConvLowering(const TypeConverter &converter, MLIRContext *ctx,
               int64_t registerTileColumns, bool winograd)
      : GraphPattern(converter, ctx), registerTileColumns(registerTileColumns),
        winograd(winograd) {}
  /// The target's register tile width: a windowed convolution computes a
  /// whole number of such tiles, and pixels as rows take weight panels of
  /// it (16 instead of 64 on AVX2, 14x14 pixels: 224 columns instead of
  /// 256; 3x3 convolutions of ResNet-18's shape, 3.37 -> 3.02 ms at 14x14,
  /// 3.77 -> 3.06 ms at 7x7).
  int64_t registerTileColumns;
  /// Whether dense 3x3 convolutions may go through lowerWinograd.
  bool winograd;

  /// The output of a static, strided 2-D depthwise convolution (`input`
  /// and `resultType` are one thread task's channels of it) computed by
  /// regions, none of which reads a padded copy of the whole input: the
  /// interior, whose windows all lie within the input, reads the input
  /// itself through strided views; each border strip (the rows above and
  /// below it, the columns left and right of it) pads only the few input
  /// rows or columns it reads. `weightedSum` builds a region from its
  /// taps. Null where there is no interior.
  Value depthwiseByRegions(
      ConversionPatternRewriter &rewriter, g::ConvOp op, Value input,
      RankedTensorType resultType, ArrayRef<int64_t> kernel,
      llvm::function_ref<Value(SmallVector<Value>, RankedTensorType)>
          weightedSum) const {
    Location loc = op.getLoc();
    ArrayRef<int64_t> in = tensorType(input).getShape(),
                      out = resultType.getShape();
    ArrayRef<int64_t> pads = op.getPads(), strides = op.getStrides(),
                      dilations = op.getDilations();
    // Outputs [lo, hi) of each spatial dim read no padding.
    int64_t lo[2], hi[2];
    for (int d = 0; d < 2; ++d) {
      int64_t reach = (kernel[d] - 1) * dilations[d];
      lo[d] = llvm::divideCeil(pads[d], strides[d]);
      hi[d] = std::min<int64_t>(
          out[2 + d],
          llvm::divideFloorSigned(in[2 + d] - 1 + pads[d] - reach, strides[d]) +
              1);
      if (hi[d] <= lo[d])
        return nullptr;
    }
    Type elt = resultType.getElementType();
    Value zero = scalarConst(rewriter, loc, elt, 0);
    auto index = [&](int64_t v) -> OpFoldResult {
      return rewriter.getIndexAttr(v);
    };
    // The outputs [r0, r1) x [c0, c1), from the input rows and columns
    // they read, padded where those fall outside it.
    auto region = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
      int64_t first[2] = {r0, c0}, last[2] = {r1, c1};
      SmallVector<OpFoldResult> offsets = {index(0), index(0)},
                                sizes = {index(in[0]), index(in[1])};
      SmallVector<int64_t> regionPads(4);
      for (int d = 0; d < 2; ++d) {
        int64_t a = first[d] * strides[d] - pads[d];
        int64_t b = (last[d] - 1) * strides[d] - pads[d] +
                    (kernel[d] - 1) * dilations[d] + 1;
        int64_t a0 = std::max<int64_t>(a, 0), b0 = std::min(b, in[2 + d]);
        offsets.push_back(index(a0));
        sizes.push_back(index(b0 - a0));
        regionPads[d] = a0 - a;
        regionPads[2 + d] = b - b0;
      }
      Value piece = rewriter.create<tensor::ExtractSliceOp>(
          loc, input, offsets, sizes, SmallVector<OpFoldResult>(4, index(1)));
      auto regionType =
          RankedTensorType::get({out[0], out[1], r1 - r0, c1 - c0}, elt);
      return weightedSum(
          windowTaps(rewriter, loc,
                     padSpatial(rewriter, loc, piece, regionPads, zero),
                     regionType, kernel, strides, dilations),
          regionType);
    };
    Value result = rewriter.create<tensor::EmptyOp>(loc, out, elt);
    auto place = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
      if (r1 <= r0 || c1 <= c0)
        return;
      result = rewriter.create<tensor::InsertSliceOp>(
          loc, region(r0, r1, c0, c1), result,
          ArrayRef<OpFoldResult>{index(0), index(0), index(r0), index(c0)},
          ArrayRef<OpFoldResult>{index(out[0]), index(out[1]), index(r1 - r0),
                                 index(c1 - c0)},
          SmallVector<OpFoldResult>(4, index(1)));
    };
    place(lo[0], hi[0], lo[1], hi[1]);
    place(0, lo[0], 0, out[3]);
    place(hi[0], out[2], 0, out[3]);
    place(lo[0], hi[0], 0, lo[1]);
    place(lo[0], hi[0], hi[1], out[3]);
    return result;
  }

  /// A static, strided 2-D depthwise convolution in about
  /// kDepthwiseTasks thread tasks of whole channels, each computing its
  /// channels from its own slice of the input: by regions
  /// (depthwiseByRegions) where the input rows are wide, else from a
  /// padded copy of its channels, small enough to stay in cache. Built
  /// here rather than by the backend's split of big parallel ops, so that
  /// the border regions run in the tasks too and small layers are split
  /// as well (576 channels, 14x14 -> 7x7, AVX2, 2 threads: 0.054 ->
  /// 0.032 ms). Null where the convolution is not such.
  Value stridedDepthwiseInTasks(
      ConversionPatternRewriter &rewriter, g::ConvOp op, Value input,
      RankedTensorType resultType, ArrayRef<int64_t> kernel,
      llvm::function_ref<Value(SmallVector<Value>, RankedTensorType,
                               OpFoldResult)>
          weightedSum) const {
    // Regions pay where padding a task's channels whole would spill its
    // caches (56 -> 28, 144 channels, one thread: 0.113 against 0.137 ms);
    // on narrower rows their strips are mostly loop overhead (28 -> 14,
    // 192 channels: 0.067 against 0.056 ms).
    constexpr int64_t kMinRegionWidth = 56, kDepthwiseTasks = 16;
    // Below this many multiply-adds, one task (a few microseconds).
    constexpr int64_t kMinSplitMultiplyAdds = 1 << 16;
    Location loc = op.getLoc();
    auto inType = tensorType(input);
    if (inType.getRank() != 4 || !inType.hasStaticShape() ||
        !resultType.hasStaticShape() ||
        llvm::all_of(op.getStrides(), [](int64_t s) { return s == 1; }))
      return nullptr;
    ArrayRef<int64_t> in = inType.getShape(), out = resultType.getShape();
    // Whole channels per task, a divisor of them; all of them (no loop)
    // where there is too little work to share.
    int64_t channels = in[1],
            chunk = std::max<int64_t>(1, channels / kDepthwiseTasks);
    while (channels % chunk != 0)
      --chunk;
    if (resultType.getNumElements() * ShapedType::getNumElements(kernel) <
        kMinSplitMultiplyAdds)
      chunk = channels;
    Value zero = scalarConst(rewriter, loc, resultType.getElementType(), 0);
    auto channelsFrom = [&](Value first) -> Value {
      auto index = [&](ArrayRef<int64_t> v) {
        return getAsIndexOpFoldResult(rewriter.getContext(), v);
      };
      SmallVector<OpFoldResult> offsets = index({0, 0, 0, 0});
      offsets[1] = first;
      Value part =
          chunk == channels
              ? input
              : rewriter.create<tensor::ExtractSliceOp>(
                    loc, inType.clone({in[0], chunk, in[2], in[3]}), input,
                    offsets, index({in[0], chunk, in[2], in[3]}),
                    index({1, 1, 1, 1}));
      auto partType = resultType.clone({out[0], chunk, out[2], out[3]});
      auto sum = [&](SmallVector<Value> taps, RankedTensorType type) {
        return weightedSum(std::move(taps), type, first);
      };
      if (in[3] >= kMinRegionWidth)
        if (Value regions =
                depthwiseByRegions(rewriter, op, part, partType, kernel, sum))
          return regions;
      return sum(windowTaps(rewriter, loc,
                            padSpatial(rewriter, loc, part, op.getPads(), zero),
                            partType, kernel, op.getStrides(),
                            op.getDilations()),
                 partType);
    };
    if (chunk == channels)
      return channelsFrom(rewriter.create<arith::ConstantIndexOp>(loc, 0));
    return computeInTasks(rewriter, loc, resultType, 1, chunk, channelsFrom);
  }

  /// A depthwise convolution (one input and one output channel per group)
  /// as a sum over the kernel taps of strided windows of the padded input,
  /// each scaled by its per-channel weight:
  ///   out[n, c, o...] = bias[c] + sum_t w[c, t] * window_t[n, c, o...].
  /// The windows are views, so no im2col copy (9x the input for 3x3) is
  /// made, and the op is elementwise over the output (over flattened rows
  /// in 2-D, see flatWindowTaps): it vectorizes and its epilogue fuses
  /// into it. A strided one goes by regions (see depthwiseByRegions).
  Value lowerDepthwise(g::ConvOp op, OpAdaptor adaptor,
                       ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    auto resultType = convertedType(op.getType());
    Type elt = resultType.getElementType();
    int64_t rank = resultType.getRank();
    auto wShape = tensorType(adaptor.getWeight()).getShape();
    int64_t channels = wShape[0];
    // [C, 1, k...] -> [C, taps]
    SmallVector<ReassociationIndices> toTaps = {{0}, {}};
    for (int64_t i = 1; i < rank; ++i)
      toTaps[1].push_back(i);
    Value weightTaps = rewriter.create<tensor::CollapseShapeOp>(
        loc, adaptor.getWeight(), toTaps);

    SmallVector<int64_t> kernel(wShape.drop_front(2));
    Value zero = scalarConst(rewriter, loc, elt, 0);
    SmallVector<Value> tapWeights;
    int64_t taps = ShapedType::getNumElements(kernel);
    for (int64_t t = 0; t < taps; ++t)
      tapWeights.push_back(rewriter.create<tensor::ExtractSliceOp>(
          loc, RankedTensorType::get({channels}, elt), weightTaps,
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0),
                                 rewriter.getIndexAttr(t)},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(channels),
                                 rewriter.getIndexAttr(1)},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1),
                                 rewriter.getIndexAttr(1)}));
    // sum_t w[c, t] * tap_t[n, c, o...] (+ bias[c]), then the activation,
    // for the loopType.getDimSize(1) channels from `firstChannel` on.
    auto weightedSum = [&](SmallVector<Value> inputs, RankedTensorType loopType,
                           OpFoldResult firstChannel) -> Value {
      int64_t chunk = loopType.getDimSize(1);
      auto channelsOf = [&](Value perChannel) -> Value {
        if (chunk == channels)
          return perChannel;
        return rewriter.create<tensor::ExtractSliceOp>(
            loc, RankedTensorType::get({chunk}, elt), perChannel,
            ArrayRef<OpFoldResult>{firstChannel},
            ArrayRef<OpFoldResult>{rewriter.getIndexAttr(chunk)},
            ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)});
      };
      for (Value w : tapWeights)
        inputs.push_back(channelsOf(w));
      MLIRContext *ctx = rewriter.getContext();
      int64_t loopRank = loopType.getRank();
      AffineMap identity = rewriter.getMultiDimIdentityMap(loopRank);
      AffineMap perChannel =
          AffineMap::get(loopRank, 0, getAffineDimExpr(1, ctx));
      SmallVector<AffineMap> maps(taps, identity);
      maps.append(taps, perChannel);
      // The bias is an input, not the accumulator's init: an op that reads
      // its init keeps that result alive when its consumer fuses it.
      if (Value bias = adaptor.getBias()) {
        inputs.push_back(channelsOf(bias));
        maps.push_back(perChannel);
      }
      maps.push_back(identity);
      Value init = emptyTensor(
          rewriter, loc, loopType,
          dynamicSizesLike(rewriter, loc, loopType, inputs.front()));
      Value sum =
          rewriter
              .create<linalg::GenericOp>(
                  loc, TypeRange{loopType}, inputs, ValueRange{init}, maps,
                  SmallVector<utils::IteratorType>(
                      loopRank, utils::IteratorType::parallel),
                  [&](OpBuilder &b, Location l, ValueRange args) {
                    Value acc = adaptor.getBias() ? args[2 * taps]
                                                  : scalarConst(b, l, elt, 0);
                    for (int64_t t = 0; t < taps; ++t)
                      acc = multiplyAdd(b, l, acc, args[t], args[taps + t]);
                    b.create<linalg::YieldOp>(l, acc);
                  })
              .getResult(0);
      return applyEpilogue(rewriter, loc, op, sum);
    };
    if (Value strided = stridedDepthwiseInTasks(
            rewriter, op, adaptor.getInput(), resultType, kernel, weightedSum))
      return strided;
    std::optional<FlatWindows> flat = flatWindowTaps(
        rewriter, loc, adaptor.getInput(), resultType, op.getPads(), zero,
        kernel, op.getStrides(), op.getDilations());
    RankedTensorType loopType = flat ? flat->flatType : resultType;
    SmallVector<Value> inputs =
        flat ? flat->taps
             : windowTaps(rewriter, loc,
                          padSpatial(rewriter, loc, adaptor.getInput(),
                                     op.getPads(), zero),
                          resultType, kernel, op.getStrides(),
                          op.getDilations());
    Value activated = weightedSum(inputs, loopType, rewriter.getIndexAttr(0));
    return flat ? unflattenWindows(rewriter, loc, activated, resultType,
                                   flat->rowWidth)
                : activated;
  }

  /// Winograd's F(2x2, 3x3) for a dense 3x3, stride-1 convolution with
  /// constant weights: each 2x2 block of outputs (a tile) comes from the
  /// 4x4 window of input under it through 16 products instead of 36,
  ///   Y = A^T [ (G g G^T) .* (B^T d B) ] A,
  /// so the multiply-adds are one contraction batched over the 16
  /// positions e of the transformed window, F x C x tiles each, 4/9 of the
  /// direct convolution's:
  ///   M[n, e, f, t] = sum_c U[e, f, c] * V[n, e, c, t],
  /// with U = G g G^T computed at compile time, V = B^T d B and Y = A^T M A
  /// (plus the bias and the activation) each in two parallel passes (down the
  /// window's columns, then along its rows) of sums of four views times
  /// constant coefficients, and Y interleaved back into rows by a transpose.
  /// The transforms only add and subtract (G's halves are exact in binary), so
  /// finite f32 results differ from the direct sum by rounding only (a
  /// non-finite input spreads through its whole tile; in f16 or bf16 the
  /// products' rounding would show, and the pipeline turns it off there). Null
  /// where it does not apply or does not pay: the GEMMs need channels deep and
  /// wide enough, and the transformed weights are 16/9 the size of the
  /// originals (ResNet-18's 7x7 layers, 512 x 512, would stream 16 MB per
  /// run). AVX2, one thread, 3x3 convolutions + ReLU of ResNet-18's
  /// shapes, against the windowed direct form: 64 channels at 56x56
  /// 2.54 -> 1.97 ms, 128 at 28x28 2.54 -> 1.59 ms, 256 at 14x14
  /// 2.71 -> 1.77 ms.
  Value lowerWinograd(g::ConvOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    auto resultType = convertedType(op.getType());
    auto inType = tensorType(adaptor.getInput());
    Value weight = adaptor.getWeight();
    auto wType = tensorType(weight);
    DenseElementsAttr dense;
    if (!winograd || inType.getRank() != 4 || !inType.hasStaticShape() ||
        !resultType.hasStaticShape() || !resultType.getElementType().isF32() ||
        op.getGroup() != 1 || !matchPattern(weight, m_Constant(&dense)) ||
        !dense.getElementType().isF32() ||
        !llvm::all_of(op.getStrides(), [](int64_t s) { return s == 1; }) ||
        !llvm::all_of(op.getDilations(), [](int64_t d) { return d == 1; }))
      return nullptr;
    ArrayRef<int64_t> in = inType.getShape(), out = resultType.getShape(),
                      w = wType.getShape();
    if (w[2] != 3 || w[3] != 3)
      return nullptr;
    int64_t batch = in[0], channels = w[1], filters = w[0];
    int64_t allTileRows = llvm::divideCeil(out[2], 2),
            tileCols = llvm::divideCeil(out[3], 2);
    if (channels < kMinWinogradChannels || filters < kMinWinogradChannels ||
        allTileRows * tileCols < kMinWinogradTiles ||
        16 * filters * channels * 4 > kMaxWinogradWeightBytes)
      return nullptr;
    // Tile rows in chunks whose transformed input stays within
    // kMaxWinogradChunkBytes, each chunk a thread-pool task computing its
    // own transforms and products: whole, the transformed data of
    // ResNet-18's 56x56 layers (11 MB) left the caches, and they ran
    // slower than the direct convolution inside the model.
    auto chunkBytes = [&](int64_t rows) {
      return 16 * batch * channels * rows * tileCols * 4;
    };
    int64_t chunkRows = allTileRows;
    while (chunkRows > 1 && (chunkBytes(chunkRows) > kMaxWinogradChunkBytes ||
                             allTileRows % chunkRows != 0))
      --chunkRows;
    if (chunkBytes(chunkRows) > kMaxWinogradChunkBytes)
      return nullptr;
    MLIRContext *ctx = rewriter.getContext();
    Type f32 = rewriter.getF32Type();

    // U[e][f][c] = (G g[f][c] G^T)[e / 4][e % 4].
    static const double G[4][3] = {
        {1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    SmallVector<float> g(dense.getValues<float>());
    SmallVector<float> u(16 * filters * channels);
    for (int64_t f = 0; f < filters; ++f)
      for (int64_t c = 0; c < channels; ++c) {
        const float *k = &g[(f * channels + c) * 9];
        for (int64_t x = 0; x < 4; ++x)
          for (int64_t y = 0; y < 4; ++y) {
            double sum = 0;
            for (int64_t i = 0; i < 3; ++i)
              for (int64_t j = 0; j < 3; ++j)
                sum += G[x][i] * k[i * 3 + j] * G[y][j];
            u[((x * 4 + y) * filters + f) * channels + c] =
                static_cast<float>(sum);
          }
      }
    auto uType = RankedTensorType::get({16, filters, channels}, f32);
    Value transformedWeights = rewriter.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(uType, ArrayRef<float>(u)));

    // The padded input covers every tile's 4x4 window.
    ArrayRef<int64_t> pads = op.getPads();
    Value paddedInput =
        padSpatial(rewriter, loc, adaptor.getInput(),
                   {pads[0], pads[1], 2 * allTileRows + 2 - in[2] - pads[0],
                    2 * tileCols + 2 - in[3] - pads[1]},
                   scalarConst(rewriter, loc, f32, 0));
    int64_t paddedWidth = 2 * tileCols + 2;
    auto index = [&](ArrayRef<int64_t> v) {
      return getAsIndexOpFoldResult(ctx, v);
    };
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    auto coefficients = [&](ArrayRef<int64_t> shape, ArrayRef<float> values) {
      auto type = RankedTensorType::get(shape, f32);
      return rewriter.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(type, values));
    };
    // A parallel op over `type`'s dims: the sum of each term's view times
    // its coefficient (the matrices' entries, indexed by output dims),
    // plus `bias` if any. One result, identity-mapped, so that the backend
    // splits it among threads and vectorizes it along its last dim.
    struct Term {
      Value view, coefficient;
      AffineMap viewMap, coefficientMap;
    };
    auto combination = [&](RankedTensorType type, ArrayRef<Term> terms,
                           Value bias, AffineMap biasMap) {
      int64_t rank = type.getRank();
      SmallVector<Value> inputs;
      SmallVector<AffineMap> maps;
      for (const Term &t : terms) {
        inputs.append({t.view, t.coefficient});
        maps.append({t.viewMap, t.coefficientMap});
      }
      if (bias) {
        inputs.push_back(bias);
        maps.push_back(biasMap);
      }
      maps.push_back(rewriter.getMultiDimIdentityMap(rank));
      return rewriter
          .create<linalg::GenericOp>(
              loc, TypeRange{type}, inputs,
              ValueRange{
                  rewriter.create<tensor::EmptyOp>(loc, type.getShape(), f32)},
              maps,
              SmallVector<utils::IteratorType>(rank,
                                               utils::IteratorType::parallel),
              [&](OpBuilder &b, Location l, ValueRange args) {
                Value sum = bias ? args[2 * terms.size()] : Value();
                for (size_t k = 0; k < terms.size(); ++k) {
                  Value product =
                      b.create<arith::MulFOp>(l, args[2 * k], args[2 * k + 1]);
                  sum =
                      sum ? b.create<arith::AddFOp>(l, sum, product) : product;
                }
                b.create<linalg::YieldOp>(l, sum);
              })
          .getResult(0);
    };
    // B^T, whose row x combines the window's rows (or columns) i.
    static const float BT[4][4] = {
        {1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
    auto columnOfBT = [&](int64_t i) {
      return coefficients({4}, {BT[0][i], BT[1][i], BT[2][i], BT[3][i]});
    };

    Value bias = adaptor.getBias();
    // The outputs [N, F, 2 tileRows, 2 tileCols] of `tileRows` rows of
    // tiles from `padded`, their 2 tileRows + 2 rows of padded input.
    auto tileRowsOf = [&](Value padded, int64_t tileRows) -> Value {
      int64_t tiles = tileRows * tileCols;
      // V = B^T d B, d[i][j] = padded[n, c, 2 th + i, 2 tw + j], in two
      // passes: down the window's columns, over whole padded rows (loops n,
      // x, c, th, w),
      //   R[n, x, c, th, w] = sum_i BT[x][i] padded[n, c, 2 th + i, w],
      // then along its rows, reading every other column (loops n, x, y, c,
      // th, tw),
      //   V[n, x, y, c, th, tw] = sum_j BT[y][j] R[n, x, c, th, 2 tw + j].
      SmallVector<Term> rowTerms;
      for (int64_t i = 0; i < 4; ++i)
        rowTerms.push_back(
            {rewriter.create<tensor::ExtractSliceOp>(
                 loc,
                 RankedTensorType::get({batch, channels, tileRows, paddedWidth},
                                       f32),
                 padded, index({0, 0, i, 0}),
                 index({batch, channels, tileRows, paddedWidth}),
                 index({1, 1, 2, 1})),
             columnOfBT(i), AffineMap::get(5, 0, {d(0), d(2), d(3), d(4)}, ctx),
             AffineMap::get(5, 0, d(1), ctx)});
      Value windowRows =
          combination(RankedTensorType::get(
                          {batch, 4, channels, tileRows, paddedWidth}, f32),
                      rowTerms, nullptr, {});
      SmallVector<Term> columnTerms;
      for (int64_t j = 0; j < 4; ++j)
        columnTerms.push_back(
            {rewriter.create<tensor::ExtractSliceOp>(
                 loc,
                 RankedTensorType::get({batch, 4, channels, tileRows, tileCols},
                                       f32),
                 windowRows, index({0, 0, 0, 0, j}),
                 index({batch, 4, channels, tileRows, tileCols}),
                 index({1, 1, 1, 1, 2})),
             columnOfBT(j),
             AffineMap::get(6, 0, {d(0), d(1), d(3), d(4), d(5)}, ctx),
             AffineMap::get(6, 0, d(2), ctx)});
      Value transformedInput =
          combination(RankedTensorType::get(
                          {batch, 4, 4, channels, tileRows, tileCols}, f32),
                      columnTerms, nullptr, {});

      // M[n, e, f, t] = sum_c U[e, f, c] * V[n, e, c, t]
      Value columns = rewriter.create<tensor::CollapseShapeOp>(
          loc, transformedInput,
          ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}, {4, 5}});
      auto productType =
          RankedTensorType::get({batch, 16, filters, tiles}, f32);
      SmallVector<AffineMap> maps = {
          AffineMap::get(5, 0, {d(1), d(2), d(4)}, ctx),
          AffineMap::get(5, 0, {d(0), d(1), d(4), d(3)}, ctx),
          AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx)};
      SmallVector<utils::IteratorType> iterators(4,
                                                 utils::IteratorType::parallel);
      iterators.push_back(utils::IteratorType::reduction);
      Value product = mulAddContraction(
          rewriter, loc, transformedWeights, columns,
          accumulatorInit(rewriter, loc, productType, {}, nullptr, {}), maps,
          iterators);
      Value products = rewriter.create<tensor::ExpandShapeOp>(
          loc,
          RankedTensorType::get({batch, 4, 4, filters, tileRows, tileCols},
                                f32),
          product, ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}, {4, 5}});

      // Y = A^T M A + bias, as [n, a, b, f, th, tw] for output (2 th + a,
      // 2 tw + b), in two passes like V (loops n, a, y, f, th, tw, then n, a,
      // b, f, th, tw):
      //   S[n, a, y, f, th, tw] = sum_x AT[a][x] M[n, x, y, f, th, tw],
      //   Y[n, a, b, f, th, tw] = sum_y AT[b][y] S[n, a, y, f, th, tw] + bias.
      static const float AT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
      auto halfType = [&](int64_t first, int64_t second) {
        return RankedTensorType::get(
            {batch, first, second, filters, tileRows, tileCols}, f32);
      };
      auto lessOne = [&](int64_t first) {
        return RankedTensorType::get(
            {batch, first, filters, tileRows, tileCols}, f32);
      };
      SmallVector<Term> sumTerms;
      for (int64_t x = 0; x < 4; ++x)
        sumTerms.push_back(
            {rewriter.create<tensor::ExtractSliceOp>(
                 loc, lessOne(4), products, index({0, x, 0, 0, 0, 0}),
                 index({batch, 1, 4, filters, tileRows, tileCols}),
                 index({1, 1, 1, 1, 1, 1})),
             coefficients({2}, {AT[0][x], AT[1][x]}),
             AffineMap::get(6, 0, {d(0), d(2), d(3), d(4), d(5)}, ctx),
             AffineMap::get(6, 0, d(1), ctx)});
      Value halfSums = combination(halfType(2, 4), sumTerms, nullptr, {});
      SmallVector<Term> outputTerms;
      for (int64_t y = 0; y < 4; ++y)
        outputTerms.push_back(
            {rewriter.create<tensor::ExtractSliceOp>(
                 loc, lessOne(2), halfSums, index({0, 0, y, 0, 0, 0}),
                 index({batch, 2, 1, filters, tileRows, tileCols}),
                 index({1, 1, 1, 1, 1, 1})),
             coefficients({2}, {AT[0][y], AT[1][y]}),
             AffineMap::get(6, 0, {d(0), d(1), d(3), d(4), d(5)}, ctx),
             AffineMap::get(6, 0, d(2), ctx)});
      // The activation too, so that it fuses into this last pass while the
      // chunk is in its thread's cache.
      Value quads = applyEpilogue(rewriter, loc, op,
                                  combination(halfType(2, 2), outputTerms, bias,
                                              AffineMap::get(6, 0, d(3), ctx)));
      // [N, a, b, F, th, tw] -> [N, F, th, a, tw, b] -> [N, F, 2 th, 2 tw]
      return rewriter.create<tensor::CollapseShapeOp>(
          loc, transposeTensor(rewriter, loc, quads, {0, 3, 4, 1, 5, 2}),
          ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}, {4, 5}});
    };

    Value rows;
    int64_t chunks = allTileRows / chunkRows;
    if (chunks == 1) {
      rows = tileRowsOf(paddedInput, allTileRows);
    } else {
      auto rowsType = RankedTensorType::get(
          {batch, filters, 2 * allTileRows, 2 * tileCols}, f32);
      rows = computeInTasks(
          rewriter, loc, rowsType, 2, 2 * chunkRows, [&](Value firstRow) {
            // The chunk's first output row is also its padded input's.
            SmallVector<OpFoldResult> chunkOffsets = index({0, 0, 0, 0});
            chunkOffsets[2] = firstRow;
            return tileRowsOf(
                rewriter.create<tensor::ExtractSliceOp>(
                    loc,
                    RankedTensorType::get(
                        {batch, channels, 2 * chunkRows + 2, paddedWidth}, f32),
                    paddedInput, chunkOffsets,
                    index({batch, channels, 2 * chunkRows + 2, paddedWidth}),
                    index({1, 1, 1, 1})),
                chunkRows);
          });
    }
    if (2 * allTileRows != out[2] || 2 * tileCols != out[3])
      rows = rewriter.create<tensor::ExtractSliceOp>(
          loc, resultType, rows, index({0, 0, 0, 0}),
          index({batch, filters, out[2], out[3]}), index({1, 1, 1, 1}));
    return rows;
  }

  /// Winograd's thresholds (see lowerWinograd): input and output channels,
  /// 2x2 output tiles, bytes of transformed weights, and bytes of one
  /// thread-pool task's transformed input.
  static constexpr int64_t kMinWinogradChannels = 32;
  static constexpr int64_t kMinWinogradTiles = 16;
  static constexpr int64_t kMaxWinogradWeightBytes = int64_t(4) << 20;
  static constexpr int64_t kMaxWinogradChunkBytes = int64_t(2) << 20;

  /// A stride-1 2-D convolution as a contraction that reads its input
  /// through the window itself, with no im2col copy (9x the input for a
  /// 3x3 kernel, written and read back at every run). With the padded
  /// input's rows laid end to end (width Wp, as in flatWindowTaps), output
  /// q = h * Wp + w of tap (i, j) reads flat element q + i dh Wp + j dw:
  ///   out[n, g, f, q] += weight[g, f, b, i, j, c] *
  ///                      rows[n, g, b, c, q + i dh Wp + j dw]
  /// is, per tap, a GEMM over (f, q | c) whose right-hand rows are
  /// contiguous slices of the input. The backend blocks it like any other
  /// contraction, the taps being reduction loops inside each register tile
  /// (see VectorizeContractions). The columns w >= Wo of each row, and
  /// those up to a whole number of register tiles, are computed from
  /// padding and dropped. Null when the convolution is not a static,
  /// stride-1 2-D one.
  Value lowerWindowed(g::ConvOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto resultType = convertedType(op.getType());
    auto inType = tensorType(adaptor.getInput());
    Value weight = adaptor.getWeight();
    auto wType = tensorType(weight);
    if (inType.getRank() != 4 || !inType.hasStaticShape() ||
        !resultType.hasStaticShape() || !wType.hasStaticShape() ||
        !llvm::all_of(op.getStrides(), [](int64_t s) { return s == 1; }))
      return nullptr;
    Type elt = resultType.getElementType();
    ArrayRef<int64_t> in = inType.getShape(), out = resultType.getShape(),
                      w = wType.getShape();
    ArrayRef<int64_t> pads = op.getPads(), dilations = op.getDilations();
    int64_t batch = in[0], group = op.getGroup();
    int64_t perGroupIn = w[1], perGroupOut = w[0] / group;
    int64_t kh = w[2], kw = w[3];
    // Rows laid end to end can share their zero columns where the left
    // padding is the wider: a row's left padding is the right padding of
    // the row before (the last row's, a padding row below), so each row is
    // W + left wide instead of W + left + right. Done only where it saves
    // computed columns (28x28, 3x3: 816 instead of 848); where it does not
    // (14x14: 224 either way) the unshared row of 16 keeps the taps'
    // loads aligned, measured 10% faster than the row of 15.
    auto columnsFor = [&](int64_t width) {
      return static_cast<int64_t>(
          llvm::alignTo(out[2] * width, registerTileColumns));
    };
    int64_t fullWidth = in[3] + pads[1] + pads[3];
    bool sharedPadding =
        pads[1] >= pads[3] && pads[3] <= (kw - 1) * dilations[1] &&
        columnsFor(fullWidth - pads[3]) < columnsFor(fullWidth);
    int64_t rightPad = sharedPadding ? 0 : pads[3];
    int64_t rowWidth = fullWidth - pads[3] + rightPad;
    int64_t columns = columnsFor(rowWidth);
    int64_t needed = columns + (kh - 1) * dilations[0] * rowWidth +
                     (kw - 1) * dilations[1];
    int64_t paddedHeight = std::max<int64_t>(
        in[2] + pads[0] + pads[2], llvm::divideCeil(needed, rowWidth));
    Value padded = padSpatial(
        rewriter, loc, adaptor.getInput(),
        {pads[0], pads[1], paddedHeight - in[2] - pads[0], rightPad},
        scalarConst(rewriter, loc, elt, 0));
    // The channels go in blocks (a reduction loop b outside the taps, see
    // windowChannelBlock), so that a cache tile of the backend's blocking
    // is one block deep and the block's weights are contiguous.
    int64_t block = windowChannelBlock(perGroupIn, kh * kw);
    int64_t blocks = perGroupIn / block;
    // [N, C, Hp, Wp] -> [N, G, C/G/block, block, Hp * Wp]
    int64_t length = paddedHeight * rowWidth;
    Value flat = rewriter.create<tensor::CollapseShapeOp>(
        loc, padded, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
    Value rows = rewriter.create<tensor::ExpandShapeOp>(
        loc, RankedTensorType::get({batch, group, blocks, block, length}, elt),
        flat, ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}, {4}});

    // Loops n, g, f, q | b, i, j, c. A constant weight is transposed at
    // compile time to [G, F/G, C/G/block, kh, kw, block], so that each
    // output channel's weights of a block are contiguous (with the taps
    // C apart, a register tile's rows of 256 channels fell into a few L1
    // sets) and a register tile's rows step through contiguous channels.
    // (The block loop b goes after f in the weight's dims: before the row
    // dim, the vector contraction's lowering scalarizes the tile.)
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    auto map = [&](ArrayRef<AffineExpr> exprs) {
      return AffineMap::get(8, 0, exprs, ctx);
    };
    auto grouped =
        RankedTensorType::get({group, perGroupOut, blocks, block, kh, kw}, elt);
    Value weightOperand;
    AffineMap weightMap;
    DenseElementsAttr dense;
    if (matchPattern(weight, m_Constant(&dense))) {
      weightOperand = rewriter.create<arith::ConstantOp>(
          loc, g::transposeConstant(
                   dense.reshape(grouped), {0, 1, 2, 4, 5, 3},
                   RankedTensorType::get(
                       {group, perGroupOut, blocks, kh, kw, block}, elt)));
      weightMap = map({d(1), d(2), d(4), d(5), d(6), d(7)});
    } else {
      weightOperand = rewriter.create<tensor::ExpandShapeOp>(
          loc, grouped, weight,
          ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}, {4}, {5}});
      weightMap = map({d(1), d(2), d(4), d(7), d(5), d(6)});
    }
    SmallVector<AffineMap> maps = {
        weightMap,
        map({d(0), d(1), d(4), d(7),
             d(3) + d(5) * (dilations[0] * rowWidth) + d(6) * dilations[1]}),
        map({d(0), d(1), d(2), d(3)})};
    SmallVector<utils::IteratorType> iterators(4,
                                               utils::IteratorType::parallel);
    iterators.append(4, utils::IteratorType::reduction);

    auto accType =
        RankedTensorType::get({batch, group, perGroupOut, columns}, elt);
    Value bias;
    if (adaptor.getBias())
      bias = rewriter.create<tensor::ExpandShapeOp>(
          loc, RankedTensorType::get({group, perGroupOut}, elt),
          adaptor.getBias(), ArrayRef<ReassociationIndices>{{0, 1}});
    Value init = accumulatorInit(rewriter, loc, accType, {}, bias,
                                 AffineMap::get(4, 0, {d(1), d(2)}, ctx));
    Value conv = mulAddContraction(rewriter, loc, weightOperand, rows, init,
                                   maps, iterators);
    Value activated = applyEpilogue(rewriter, loc, op, conv);
    // [N, G, F/G, columns] -> [N, F, Ho * Wp] -> [N, F, Ho, Wo]
    auto index = [&](int64_t v) -> OpFoldResult {
      return rewriter.getIndexAttr(v);
    };
    int64_t used = out[2] * rowWidth;
    Value rowsOut = rewriter.create<tensor::ExtractSliceOp>(
        loc, RankedTensorType::get({batch, group, perGroupOut, used}, elt),
        activated,
        ArrayRef<OpFoldResult>{index(0), index(0), index(0), index(0)},
        ArrayRef<OpFoldResult>{index(batch), index(group), index(perGroupOut),
                               index(used)},
        ArrayRef<OpFoldResult>{index(1), index(1), index(1), index(1)});
    Value channels = rewriter.create<tensor::CollapseShapeOp>(
        loc, rowsOut, ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}});
    return unflattenWindows(rewriter, loc, channels, resultType, rowWidth);
  }

  LogicalResult
  matchAndRewrite(g::ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto resultType = convertedType(op.getType());
    Type elt = resultType.getElementType();
    int64_t spatial = resultType.getRank() - 2;
    int64_t group = op.getGroup();
    Value weight = adaptor.getWeight();
    auto wShape = tensorType(weight).getShape();
    int64_t outChannels = wShape[0], inPerGroup = wShape[1];
    if (inPerGroup == 1 && outChannels == group && group > 1) {
      rewriter.replaceOp(op, lowerDepthwise(op, adaptor, rewriter));
      return success();
    }
    // The kernel vectorizes the output's innermost dim in register tiles
    // (up to kWidestTileColumns). That is normally the pixels; when there
    // are fewer of them than the widest tile but the channels divide into
    // the target's tiles (7x7 = 49 pixels, 512 channels), the product is
    // computed transposed, pixels as rows:
    //   outT[n, g, p, f] += colT[n, g, p, q] * weightT[g, q, f],
    // with the weights transposed at compile time and the (small) result
    // transposed back. (With more pixels the gather into colT, whose rows
    // are then only kw long, costs more than the edge tiles save: measured
    // slower on 14x14 and 28x28.)
    int64_t perGroupOut = outChannels / group;
    int64_t pixels =
        ShapedType::getNumElements(resultType.getShape().drop_front(2));
    DenseElementsAttr denseWeight;
    bool pixelsAsRows = pixels < kWidestTileColumns &&
                        perGroupOut % registerTileColumns == 0 &&
                        matchPattern(weight, m_Constant(&denseWeight));
    bool unitKernel =
        llvm::all_of(wShape.drop_front(2), [](int64_t k) { return k == 1; });
    if (Value transformed = lowerWinograd(op, adaptor, rewriter)) {
      rewriter.replaceOp(op, transformed);
      return success();
    }
    // Windowed, unless there is no window (a 1x1 kernel reads its input as
    // it is) or the pixels go as rows.
    if (!unitKernel && !pixelsAsRows)
      if (Value windowed = lowerWindowed(op, adaptor, rewriter)) {
        rewriter.replaceOp(op, windowed);
        return success();
      }
    Value input = padSpatial(rewriter, loc, adaptor.getInput(), op.getPads(),
                             scalarConst(rewriter, loc, elt, 0));
    auto inShape = tensorType(input).getShape();

    // Split channels into (group, per-group) so every loop bound is a
    // plain dimension of some operand.
    auto splitChannels = [&](Value v, ArrayRef<int64_t> shape, int64_t axis,
                             int64_t perGroup) -> Value {
      SmallVector<int64_t> expanded(shape.take_front(axis));
      expanded.push_back(group);
      expanded.push_back(perGroup);
      llvm::append_range(expanded, shape.drop_front(axis + 1));
      SmallVector<ReassociationIndices> reassoc;
      for (int64_t i = 0; i < (int64_t)shape.size(); ++i) {
        if (i < axis)
          reassoc.push_back({i});
        else if (i == axis)
          reassoc.push_back({i, i + 1});
        else
          reassoc.push_back({i + 1});
      }
      return rewriter.create<tensor::ExpandShapeOp>(
          loc, RankedTensorType::get(expanded, elt), v, reassoc);
    };
    Value groupedInput = splitChannels(input, inShape, 1, inPerGroup);

    // im2col: the convolution becomes a matmul per group,
    //   out[n, g, f, p] += weight[g, f, q] * col[n, g, q, p],
    // q = (c, k_1..k_s) and p = (o_1..o_s), so that it is blocked and
    // vectorized like every other contraction (p, the long contiguous
    // output row, is the vectorized dim). col is the input itself for an
    // unpadded, unstrided 1x1 convolution and a gathered copy otherwise.
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    ArrayRef<int64_t> outSpatial = resultType.getShape().drop_front(2);
    int64_t batch = resultType.getShape()[0];
    bool pointwise =
        unitKernel &&
        llvm::all_of(op.getStrides(), [](int64_t v) { return v == 1; }) &&
        llvm::equal(inShape.drop_front(2), outSpatial);
    int64_t taps = inPerGroup;
    for (int64_t k : wShape.drop_front(2))
      taps *= k;
    // Pixels as rows, the weights are the right-hand side; they are packed
    // at compile time in panels of one register tile's columns,
    // [G, F/G / 64, Q, 64] on AVX-512, so that a tile streams them
    // contiguously instead of 64 floats from every 2 KB row of [Q, F]: the
    // deepest layers' weights come from memory at every run (ResNet-18
    // shape, one thread: 41.2 against 43.2 ms).
    int64_t panels = perGroupOut / registerTileColumns;
    DenseElementsAttr weightPanels;
    if (pixelsAsRows)
      weightPanels = g::transposeConstant(
          denseWeight.reshape(RankedTensorType::get(
              {group, panels, registerTileColumns, taps}, elt)),
          {0, 1, 3, 2},
          RankedTensorType::get({group, panels, taps, registerTileColumns},
                                elt));
    pixelsAsRows = pixelsAsRows && weightPanels;
    // The gathered columns keep their output rows apart, [N, G, Q, O1, O2]
    // instead of [N, G, Q, O1 * O2], where a row is wider than the widest
    // register tile: the backend can then split the product among threads
    // by rows and gather each task's rows of columns itself, in cache,
    // instead of the whole copy (7.4 MB for ResNet's 7x7 stem) being
    // written out and read back.
    bool pixelRows = !pointwise && !pixelsAsRows && spatial == 2 &&
                     resultType.hasStaticShape() &&
                     outSpatial[1] >= kWidestTileColumns;
    int64_t pixelDims = pixelRows ? 2 : 1;

    Value col;
    if (pointwise) {
      // [N, G, C/G, spatial...] -> [N, G, C/G, P]
      SmallVector<ReassociationIndices> merge = {{0}, {1}, {2}, {}};
      for (int64_t i = 0; i < spatial; ++i)
        merge[3].push_back(3 + i);
      col = rewriter.create<tensor::CollapseShapeOp>(loc, groupedInput, merge);
      if (pixelsAsRows)
        col = transposeTensor(rewriter, loc, col, {0, 1, 3, 2});
    } else {
      // Loops n, g, c, k_1..k_s, o_1..o_s (pixels as rows: n, g,
      // o_1..o_s, c, k_1..k_s); the result is indexed by all.
      int64_t numLoops = 3 + 2 * spatial;
      unsigned cLoop = pixelsAsRows ? 2 + spatial : 2;
      auto kLoop = [&](int64_t i) { return cLoop + 1 + i; };
      auto oLoop = [&](int64_t i) {
        return pixelsAsRows ? 2 + i : 3 + spatial + i;
      };
      SmallVector<AffineExpr> inExprs = {d(0), d(1), d(cLoop)};
      SmallVector<int64_t> tapShape = {inPerGroup};
      for (int64_t i = 0; i < spatial; ++i) {
        inExprs.push_back(d(oLoop(i)) * op.getStrides()[i] +
                          d(kLoop(i)) * op.getDilations()[i]);
        tapShape.push_back(wShape[2 + i]);
      }
      SmallVector<int64_t> colShape = {batch, group};
      if (pixelsAsRows) {
        llvm::append_range(colShape, outSpatial);
        llvm::append_range(colShape, tapShape);
      } else {
        llvm::append_range(colShape, tapShape);
        llvm::append_range(colShape, outSpatial);
      }
      auto colType = RankedTensorType::get(colShape, elt);
      AffineMap gatherMap = AffineMap::get(numLoops, 0, inExprs, ctx);
      SmallVector<Value> colSizes = dynamicSizesFromLoops(
          rewriter, loc, colType, rewriter.getMultiDimIdentityMap(numLoops),
          groupedInput, gatherMap);
      Value gathered = buildAffineGather(rewriter, loc, groupedInput, colType,
                                         gatherMap, ValueRange(colSizes));
      // [N, G, rows..., columns...] -> [N, G, rows, columns] (or, with
      // pixelRows, [N, G, rows, O1, O2])
      unsigned rowDims = pixelsAsRows ? spatial : spatial + 1;
      SmallVector<ReassociationIndices> merge = {{0}, {1}, {}, {}};
      for (unsigned i = 0; i < (unsigned)numLoops - 2; ++i)
        merge[i < rowDims ? 2 : 3].push_back(2 + i);
      if (pixelRows)
        merge = {{0}, {1}, merge[2], {2 + rowDims}, {3 + rowDims}};
      col = rewriter.create<tensor::CollapseShapeOp>(loc, gathered, merge);
    }
    // [G, F/G, C/G, k...] -> [G, F/G, Q], or the panels pixels as rows.
    Value weightMatrix;
    if (pixelsAsRows) {
      weightMatrix = rewriter.create<arith::ConstantOp>(loc, weightPanels);
    } else {
      SmallVector<ReassociationIndices> weightMerge = {{0}, {1}, {}};
      for (int64_t i = 0; i <= spatial; ++i)
        weightMerge[2].push_back(2 + i);
      weightMatrix = rewriter.create<tensor::CollapseShapeOp>(
          loc, splitChannels(weight, wShape, 0, perGroupOut), weightMerge);
    }

    // Loops n, g, f, p | q (pixelRows: n, g, f, o1, o2 | q); pixels as
    // rows n, g, p, fb, fi | q (f = fb * 64 + fi) with colT as the
    // left-hand side (the operand whose rows the kernel broadcasts) and the
    // weight panels as the right.
    int64_t numLoops = pixelsAsRows ? 6 : 4 + pixelDims;
    auto map = [&](ArrayRef<AffineExpr> exprs) {
      return AffineMap::get(numLoops, 0, exprs, ctx);
    };
    AffineExpr q = d(numLoops - 1);
    SmallVector<AffineMap> maps;
    SmallVector<Value> operands;
    RankedTensorType matrixOutType;
    AffineMap colMap, biasMap;
    if (pixelsAsRows) {
      colMap = map({d(0), d(1), d(2), q});
      maps = {colMap, map({d(1), d(3), q, d(4)}),
              map({d(0), d(1), d(2), d(3), d(4)})};
      operands = {col, weightMatrix};
      matrixOutType = RankedTensorType::get(
          {batch, group, pixels, panels, registerTileColumns}, elt);
      biasMap = map({d(1), d(3), d(4)});
    } else {
      SmallVector<AffineExpr> pixelExprs = {d(3)};
      SmallVector<int64_t> pixelShape = {pixels};
      if (pixelRows) {
        pixelExprs = {d(3), d(4)};
        pixelShape.assign(outSpatial.begin(), outSpatial.end());
      }
      SmallVector<AffineExpr> colExprs = {d(0), d(1), q};
      SmallVector<AffineExpr> outExprs = {d(0), d(1), d(2)};
      llvm::append_range(colExprs, pixelExprs);
      llvm::append_range(outExprs, pixelExprs);
      colMap = map(colExprs);
      maps = {map({d(1), d(2), q}), colMap, map(outExprs)};
      operands = {weightMatrix, col};
      SmallVector<int64_t> outShape = {batch, group, perGroupOut};
      llvm::append_range(outShape, pixelShape);
      matrixOutType = RankedTensorType::get(outShape, elt);
      biasMap = map({d(1), d(2)});
    }
    SmallVector<utils::IteratorType> iterators(numLoops - 1,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);

    // Start from the bias (or zero) so the bias costs no extra pass.
    SmallVector<Value> batchSize = dynamicSizesFromLoops(
        rewriter, loc, matrixOutType, maps[2], col, colMap);
    Value bias;
    if (adaptor.getBias()) {
      SmallVector<int64_t> biasShape = {group, perGroupOut};
      SmallVector<ReassociationIndices> biasGroups = {{0, 1}};
      if (pixelsAsRows) {
        biasShape = {group, panels, registerTileColumns};
        biasGroups = {{0, 1, 2}};
      }
      bias = rewriter.create<tensor::ExpandShapeOp>(
          loc, RankedTensorType::get(biasShape, elt), adaptor.getBias(),
          biasGroups);
    }
    // The init's map is over the result's dims: the loops but q.
    Value init = accumulatorInit(
        rewriter, loc, matrixOutType, batchSize, bias,
        AffineMap::get(numLoops - 1, 0, biasMap.getResults(), ctx));
    Value conv = mulAddContraction(rewriter, loc, operands[0], operands[1],
                                   init, maps, iterators);
    // The activation reads the matmul result directly (not through the
    // reshapes below), so the backend can apply it per output tile.
    Value activated = applyEpilogue(rewriter, loc, op, conv);
    if (pixelsAsRows)
      activated = transposeTensor(
          rewriter, loc,
          rewriter.create<tensor::CollapseShapeOp>(
              loc, activated,
              ArrayRef<ReassociationIndices>{{0}, {1}, {2}, {3, 4}}),
          {0, 1, 3, 2});
    // [N, G, F/G, P] -> [N, F, P] -> [N, F, o...]
    if (pixelRows) {
      rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
          op, resultType, activated,
          ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
      return success();
    }
    Value channels = rewriter.create<tensor::CollapseShapeOp>(
        loc, activated, ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}});
    SmallVector<ReassociationIndices> unflatten = {{0}, {1}, {}};
    for (int64_t i = 0; i < spatial; ++i)
      unflatten[2].push_back(2 + i);
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, resultType, channels,
                                                       unflatten);
    return success();
  }
};

struct BatchNormLowering : GraphPattern<g::BatchNormOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::BatchNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = tensorType(adaptor.getInput());
    int64_t rank = type.getRank();
    AffineMap channel = AffineMap::get(rank, 0, getAffineDimExpr(1, ctx));
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank),
                                   channel, channel, channel, channel,
                                   rewriter.getMultiDimIdentityMap(rank)};
    double eps = op.getEpsilon().convertToDouble();
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{type},
        ValueRange{adaptor.getInput(), adaptor.getScale(), adaptor.getBias(),
                   adaptor.getMean(), adaptor.getVariance()},
        ValueRange{emptyTensor(
            rewriter, loc, type,
            dynamicSizesLike(rewriter, loc, type, adaptor.getInput()))},
        maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Type t = a[0].getType();
          Value var = b.create<arith::AddFOp>(l, a[4], scalarConst(b, l, t, eps));
          Value inv = b.create<math::RsqrtOp>(l, var);
          Value centered = b.create<arith::SubFOp>(l, a[0], a[3]);
          Value scaled = b.create<arith::MulFOp>(
              l, centered, b.create<arith::MulFOp>(l, inv, a[1]));
          b.create<linalg::YieldOp>(l, b.create<arith::AddFOp>(l, scaled, a[2]).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// Shared by max and average pooling: the padded input and a window loop nest.
template <typename PoolOp>
Value buildPool(PoolOp op, Value input, RankedTensorType resultType,
                Value padValue, Value init, ConversionPatternRewriter &rewriter,
                function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  Location loc = op.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  auto inShape = tensorType(input).getShape();
  int64_t spatial = inShape.size() - 2;
  // Ceil mode can make the last window run past the end padding: pad more
  // (those elements never count, see the average divisor).
  SmallVector<int64_t> pads(op.getPads());
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t needed = (resultType.getShape()[2 + i] - 1) * op.getStrides()[i] +
                     (op.getKernelShape()[i] - 1) * op.getDilations()[i] + 1;
    int64_t have = inShape[2 + i] + pads[i] + pads[spatial + i];
    if (needed > have)
      pads[spatial + i] += needed - have;
  }
  Type elt = resultType.getElementType();
  int64_t taps = 1;
  for (int64_t k : op.getKernelShape())
    taps *= k;
  // Small windows: an elementwise op over the kernel taps (vectorizes
  // along the output row); large ones keep the window reduction loop.
  constexpr int64_t kMaxUnrolledTaps = 64;
  auto combineTaps = [&](OpBuilder &b, Location l, ValueRange args) -> Value {
    Value acc = init;
    for (Value tap : args)
      acc = combine(b, l, acc, tap);
    return acc;
  };
  if (taps <= kMaxUnrolledTaps) {
    if (std::optional<FlatWindows> flat = flatWindowTaps(
            rewriter, loc, input, resultType, pads, padValue,
            op.getKernelShape(), op.getStrides(), op.getDilations()))
      return unflattenWindows(rewriter, loc,
                              buildElementwise(rewriter, loc, flat->flatType,
                                               flat->taps, combineTaps),
                              resultType, flat->rowWidth);
    return buildElementwise(
        rewriter, loc, resultType,
        windowTaps(rewriter, loc,
                   padSpatial(rewriter, loc, input, pads, padValue), resultType,
                   op.getKernelShape(), op.getStrides(), op.getDilations()),
        combineTaps);
  }
  Value padded = padSpatial(rewriter, loc, input, pads, padValue);
  auto window = rewriter.create<tensor::EmptyOp>(loc, op.getKernelShape(), elt);
  int64_t numLoops = 2 + 2 * spatial;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> inExprs = {d(0), d(1)}, winExprs, outExprs = {d(0), d(1)};
  for (int64_t i = 0; i < spatial; ++i) {
    AffineExpr o = d(2 + i), k = d(2 + spatial + i);
    inExprs.push_back(o * op.getStrides()[i] + k * op.getDilations()[i]);
    winExprs.push_back(k);
    outExprs.push_back(o);
  }
  SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, inExprs, ctx),
                                 AffineMap::get(numLoops, 0, winExprs, ctx),
                                 AffineMap::get(numLoops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(2 + spatial,
                                             utils::IteratorType::parallel);
  iterators.append(spatial, utils::IteratorType::reduction);
  return rewriter
      .create<linalg::GenericOp>(
          loc, TypeRange{resultType}, ValueRange{padded, window},
          ValueRange{filledTensor(rewriter, loc, resultType, init,
                                  dynamicSizesFromLoops(rewriter, loc,
                                                        resultType, maps[2],
                                                        padded, maps[0]))},
          maps,
          iterators,
          [&](OpBuilder &b, Location l, ValueRange args) {
            b.create<linalg::YieldOp>(l, combine(b, l, args[2], args[0]));
          })
      .getResult(0);
}

struct MaxPoolLowering : GraphPattern<g::MaxPoolOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::MaxPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = convertedType(op.getType());
    Type elt = resultType.getElementType();
    bool isUnsigned = isUnsignedTensor(op.getInput());
    Value lowest = isUnsigned ? scalarConst(rewriter, op.getLoc(), elt, 0)
                              : extremeConst(rewriter, op.getLoc(), elt, true);
    Value result = buildPool(
        op, adaptor.getInput(), resultType, lowest, lowest, rewriter,
        [&](OpBuilder &b, Location l, Value acc, Value v) -> Value {
          if (llvm::isa<FloatType>(elt))
            return b.create<arith::MaximumFOp>(l, acc, v);
          if (isUnsigned)
            return b.create<arith::MaxUIOp>(l, acc, v);
          return b.create<arith::MaxSIOp>(l, acc, v);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct AveragePoolLowering : GraphPattern<g::AveragePoolOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::AveragePoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = convertedType(op.getType());
    Type elt = resultType.getElementType();
    Value zero = scalarConst(rewriter, loc, elt, 0);
    Value sum = buildPool(op, adaptor.getInput(), resultType, zero, zero,
                          rewriter, addScalars);
    // The divisor per output position is known at compile time: the window
    // elements inside the input (or inside the declared padding when
    // count_include_pad), never the extra ceil-mode padding.
    auto inShape = tensorType(adaptor.getInput()).getShape();
    int64_t spatial = inShape.size() - 2;
    ArrayRef<int64_t> outSpatial = resultType.getShape().drop_front(2);
    SmallVector<SmallVector<int64_t>> perAxis(spatial);
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t lo = op.getCountIncludePad() ? -op.getPads()[i] : 0;
      int64_t hi = inShape[2 + i] +
                   (op.getCountIncludePad() ? op.getPads()[spatial + i] : 0);
      for (int64_t o = 0; o < outSpatial[i]; ++o) {
        int64_t count = 0;
        for (int64_t k = 0; k < op.getKernelShape()[i]; ++k) {
          int64_t pos = o * op.getStrides()[i] + k * op.getDilations()[i] -
                        op.getPads()[i];
          count += pos >= lo && pos < hi;
        }
        perAxis[i].push_back(count);
      }
    }
    int64_t total = 1;
    for (int64_t s : outSpatial)
      total *= s;
    SmallVector<double> divisors(total, 1.0);
    for (int64_t flat = 0; flat < total; ++flat) {
      int64_t rest = flat;
      for (int64_t i = spatial - 1; i >= 0; --i) {
        divisors[flat] *= std::max<int64_t>(perAxis[i][rest % outSpatial[i]], 1);
        rest /= outSpatial[i];
      }
    }
    auto divType = RankedTensorType::get(outSpatial, elt);
    SmallVector<Attribute> divAttrs;
    for (double v : divisors)
      divAttrs.push_back(rewriter.getFloatAttr(elt, v));
    Value divisor = rewriter.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(divType, divAttrs));
    Value result = buildElementwise(
        rewriter, loc, resultType, {sum, divisor},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return b.create<arith::DivFOp>(l, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SoftmaxLowering : GraphPattern<g::SoftmaxOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = tensorType(x);
    Type elt = type.getElementType();
    int64_t axis = op.getAxis();
    // Subtract the max for stability, as every framework does.
    Value max = buildReduction(
        rewriter, loc, x, axis, extremeConst(rewriter, loc, elt, true),
        [](OpBuilder &b, Location l, Value v, Value acc) -> Value {
          return b.create<arith::MaximumFOp>(l, v, acc);
        });
    Value shifted = buildWithReduced(
        rewriter, loc, type, x, max, axis,
        [](OpBuilder &b, Location l, ValueRange a) -> Value {
          return b.create<arith::SubFOp>(l, a[0], a[1]);
        });
    Value exp = buildElementwise(rewriter, loc, type, shifted,
                                 [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                   return b.create<math::ExpOp>(l, a[0]);
                                 });
    Value sum = buildReduction(rewriter, loc, exp, axis,
                               scalarConst(rewriter, loc, elt, 0), addScalars);
    Value result;
    if (op.getLog())
      result = buildWithReduced(
          rewriter, loc, type, shifted, sum, axis,
          [](OpBuilder &b, Location l, ValueRange a) -> Value {
            return b.create<arith::SubFOp>(l, a[0],
                                           b.create<math::LogOp>(l, a[1]));
          });
    else
      result = buildWithReduced(
          rewriter, loc, type, exp, sum, axis,
          [](OpBuilder &b, Location l, ValueRange a) -> Value {
            return b.create<arith::DivFOp>(l, a[0], a[1]);
          });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LayerNormLowering : GraphPattern<g::LayerNormOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = tensorType(x);
    Type elt = type.getElementType();
    SmallVector<int64_t> axes;
    int64_t count = 1;
    for (int64_t d = op.getAxis(); d < type.getRank(); ++d) {
      axes.push_back(d);
      count *= type.getShape()[d];
    }
    Value zero = scalarConst(rewriter, loc, elt, 0);
    Value invCount = scalarConst(rewriter, loc, elt, 1.0 / count);
    Value sum = buildReduction(rewriter, loc, x, axes, zero, addScalars);
    Value centered = buildWithReduced(
        rewriter, loc, type, x, sum, axes,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          return b.create<arith::SubFOp>(l, a[0],
                                         b.create<arith::MulFOp>(l, a[1], invCount));
        });
    Value sq = buildReduction(
        rewriter, loc, centered, axes, zero,
        [](OpBuilder &b, Location l, Value v, Value acc) -> Value {
          return b.create<arith::AddFOp>(l, acc, b.create<arith::MulFOp>(l, v, v));
        });
    double eps = op.getEpsilon().convertToDouble();
    SmallVector<Value> full = {centered, adaptor.getScale()};
    if (adaptor.getBias())
      full.push_back(adaptor.getBias());
    Value result = buildWithReduced(
        rewriter, loc, type, full, sq, axes,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value var = b.create<arith::MulFOp>(l, a.back(), invCount);
          Value inv = b.create<math::RsqrtOp>(
              l, b.create<arith::AddFOp>(l, var, scalarConst(b, l, elt, eps)));
          Value y = b.create<arith::MulFOp>(
              l, b.create<arith::MulFOp>(l, a[0], inv), a[1]);
          if (a.size() == 4)
            y = b.create<arith::AddFOp>(l, y, a[2]);
          return y;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

template <typename ReduceOp>
struct ReduceLowering : GraphPattern<ReduceOp> {
  using GraphPattern<ReduceOp>::GraphPattern;
  LogicalResult
  matchAndRewrite(ReduceOp op, typename ReduceOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = this->convertedType(op.getType());
    Type elt = resultType.getElementType();
    bool isFloat = llvm::isa<FloatType>(elt);
    bool isUnsigned = isUnsignedTensor(op.getInput());
    Value init;
    std::function<Value(OpBuilder &, Location, Value, Value)> combine;
    if constexpr (std::is_same_v<ReduceOp, g::ReduceSumOp> ||
                  std::is_same_v<ReduceOp, g::ReduceMeanOp>) {
      init = scalarConst(rewriter, loc, elt, 0);
      combine = addScalars;
    } else if constexpr (std::is_same_v<ReduceOp, g::ReduceProdOp>) {
      init = scalarConst(rewriter, loc, elt, 1);
      combine = mulScalars;
    } else {
      constexpr bool isMax = std::is_same_v<ReduceOp, g::ReduceMaxOp>;
      init = isUnsigned ? scalarConst(rewriter, loc, elt, isMax ? 0 : -1)
                        : extremeConst(rewriter, loc, elt, isMax);
      combine = [=](OpBuilder &b, Location l, Value v, Value acc) -> Value {
        if (isFloat)
          return isMax ? b.create<arith::MaximumFOp>(l, v, acc).getResult()
                       : b.create<arith::MinimumFOp>(l, v, acc).getResult();
        if (isUnsigned)
          return isMax ? b.create<arith::MaxUIOp>(l, v, acc).getResult()
                       : b.create<arith::MinUIOp>(l, v, acc).getResult();
        return isMax ? b.create<arith::MaxSIOp>(l, v, acc).getResult()
                     : b.create<arith::MinSIOp>(l, v, acc).getResult();
      };
    }
    Value reduced = buildReduction(rewriter, loc, adaptor.getInput(),
                                   op.getAxes(), init, combine);
    if constexpr (std::is_same_v<ReduceOp, g::ReduceMeanOp>) {
      int64_t count = 1;
      for (int64_t a : op.getAxes())
        count *= op.getInput().getType().getShape()[a];
      Value n = scalarConst(rewriter, loc, elt, count);
      reduced = buildElementwise(
          rewriter, loc, tensorType(reduced), reduced,
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            if (isFloat)
              return b.create<arith::DivFOp>(l, a[0], n);
            return b.create<arith::DivSIOp>(l, a[0], n);
          });
    }
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, reduced, resultType));
    return success();
  }
};

struct ArgMaxLowering : GraphPattern<g::ArgMaxOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ArgMaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput();
    auto inType = tensorType(x);
    Type elt = inType.getElementType();
    int64_t rank = inType.getRank(), axis = op.getAxis();
    bool isMin = op.getMin(), last = op.getSelectLastIndex();
    bool isFloat = llvm::isa<FloatType>(elt);
    bool isUnsigned = isUnsignedTensor(op.getInput());
    SmallVector<int64_t> outShape;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis)
        outShape.push_back(inType.getShape()[d]);
    auto valType = RankedTensorType::get(outShape, elt);
    auto idxType = RankedTensorType::get(outShape, rewriter.getI64Type());
    AffineMap outMap = reducedOperandMap(ctx, rank, axis);
    SmallVector<Value> sizes = dynamicSizesFromLoops(
        rewriter, loc, valType, outMap, x,
        rewriter.getMultiDimIdentityMap(rank));
    Value valInit = filledTensor(rewriter, loc, valType,
                                 isUnsigned ? scalarConst(rewriter, loc, elt, isMin ? -1 : 0)
                                            : extremeConst(rewriter, loc, elt, !isMin),
                                 sizes);
    Value idxInit = filledTensor(rewriter, loc, idxType,
                                 scalarConst(rewriter, loc, rewriter.getI64Type(), 0),
                                 sizes);
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    iterators[axis] = utils::IteratorType::reduction;
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{valType, idxType}, ValueRange{x},
        ValueRange{valInit, idxInit},
        SmallVector<AffineMap>{rewriter.getMultiDimIdentityMap(rank), outMap, outMap},
        iterators, [&](OpBuilder &b, Location l, ValueRange a) {
          Value v = a[0], best = a[1], bestIdx = a[2];
          Value idx = b.create<arith::IndexCastOp>(
              l, b.getI64Type(), b.create<linalg::IndexOp>(l, axis));
          // Strictly better, or equally good and we want the last index.
          Value better;
          if (isFloat) {
            auto strict = isMin ? arith::CmpFPredicate::OLT : arith::CmpFPredicate::OGT;
            auto loose = isMin ? arith::CmpFPredicate::OLE : arith::CmpFPredicate::OGE;
            better = b.create<arith::CmpFOp>(l, last ? loose : strict, v, best);
          } else {
            using P = arith::CmpIPredicate;
            P strict = isMin ? (isUnsigned ? P::ult : P::slt) : (isUnsigned ? P::ugt : P::sgt);
            P loose = isMin ? (isUnsigned ? P::ule : P::sle) : (isUnsigned ? P::uge : P::sge);
            better = b.create<arith::CmpIOp>(l, last ? loose : strict, v, best);
          }
          // The first element always wins, so an all -inf row picks index 0.
          Value first = b.create<arith::CmpIOp>(
              l, arith::CmpIPredicate::eq, idx, scalarConst(b, l, b.getI64Type(), 0));
          better = b.create<arith::OrIOp>(l, better, first);
          b.create<linalg::YieldOp>(
              l, ValueRange{b.create<arith::SelectOp>(l, better, v, best),
                            b.create<arith::SelectOp>(l, better, idx, bestIdx)});
        });
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, generic.getResult(1),
                                         llvm::cast<RankedTensorType>(op.getType())));
    return success();
  }
};

struct ReshapeLowering : GraphPattern<g::ReshapeOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertedType(op.getType());
    rewriter.replaceOp(op, reshapeTensor(rewriter, op.getLoc(),
                                         adaptor.getInput(), type));
    return success();
  }
};

struct TransposeLowering : GraphPattern<g::TransposeOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, transposeTensor(rewriter, op.getLoc(),
                                           adaptor.getInput(), op.getPerm()));
    return success();
  }
};

struct ConcatLowering : GraphPattern<g::ConcatOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = convertedType(op.getType());
    int64_t axis = op.getAxis();
    // Sizes and offsets fold to constants where static.
    auto dimOf = [&](Value v, int64_t d) -> OpFoldResult {
      auto t = tensorType(v);
      if (!t.isDynamicDim(d))
        return rewriter.getIndexAttr(t.getShape()[d]);
      return rewriter.create<tensor::DimOp>(loc, v, d).getResult();
    };
    auto addIndex = [&](OpFoldResult x, OpFoldResult y) -> OpFoldResult {
      auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
      if (cx && cy)
        return rewriter.getIndexAttr(*cx + *cy);
      return rewriter
          .create<arith::AddIOp>(loc, getValueOrCreateConstantIndexOp(rewriter, loc, x),
                                 getValueOrCreateConstantIndexOp(rewriter, loc, y))
          .getResult();
    };
    ValueRange inputs = adaptor.getInputs();
    SmallVector<Value> resultSizes;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!type.isDynamicDim(d))
        continue;
      OpFoldResult size = dimOf(inputs[0], d);
      if (d == axis)
        for (Value in : inputs.drop_front())
          size = addIndex(size, dimOf(in, d));
      resultSizes.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, size));
    }
    Value result = emptyTensor(rewriter, loc, type, resultSizes);
    OpFoldResult offset = rewriter.getIndexAttr(0);
    for (Value in : inputs) {
      auto inType = tensorType(in);
      SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
      offsets[axis] = offset;
      SmallVector<OpFoldResult> sizes, strides(type.getRank(), rewriter.getIndexAttr(1));
      for (int64_t d = 0; d < inType.getRank(); ++d)
        sizes.push_back(dimOf(in, d));
      offset = addIndex(offset, sizes[axis]);
      if (hasZeroSize(inType))
        continue;
      result = rewriter.create<tensor::InsertSliceOp>(loc, in, result, offsets,
                                                      sizes, strides);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SliceLowering : GraphPattern<g::SliceOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = convertedType(op.getType());
    if (hasZeroSize(type)) {
      rewriter.replaceOp(op, emptyTensor(rewriter, loc, type));
      return success();
    }
    // Positive steps are a strided tensor.extract_slice. A negative-step
    // axis is first cut to the span it reads, then reversed by an affine
    // map in a generic.
    int64_t rank = type.getRank();
    SmallVector<OpFoldResult> offsets, sizes, strides;
    SmallVector<int64_t> reversed;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t n = type.getShape()[d], start = op.getStarts()[d];
      int64_t step = op.getSteps()[d];
      if (step > 0) {
        offsets.push_back(rewriter.getIndexAttr(start));
        strides.push_back(rewriter.getIndexAttr(step));
      } else {
        offsets.push_back(rewriter.getIndexAttr(start + (n - 1) * step));
        strides.push_back(rewriter.getIndexAttr(-step));
        reversed.push_back(d);
      }
      // A dynamic dim is kept whole (the verifier checks it).
      sizes.push_back(type.isDynamicDim(d)
                          ? OpFoldResult(rewriter.create<tensor::DimOp>(
                                loc, adaptor.getInput(), d))
                          : rewriter.getIndexAttr(n));
    }
    Value result = rewriter.create<tensor::ExtractSliceOp>(
        loc, type, adaptor.getInput(), offsets, sizes, strides);
    if (!reversed.empty()) {
      MLIRContext *ctx = rewriter.getContext();
      SmallVector<AffineExpr> exprs;
      for (int64_t d = 0; d < rank; ++d) {
        AffineExpr e = getAffineDimExpr(d, ctx);
        if (llvm::is_contained(reversed, d))
          e = type.getShape()[d] - 1 - e;
        exprs.push_back(e);
      }
      result = buildAffineGather(rewriter, loc, result, type,
                                 AffineMap::get(rank, 0, exprs, ctx));
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ExpandLowering : GraphPattern<g::ExpandOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ExpandOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertedType(op.getType());
    AffineMap map = broadcastMap(rewriter.getContext(),
                                 tensorType(adaptor.getInput()).getShape(),
                                 type.getShape());
    rewriter.replaceOp(op, buildAffineGather(rewriter, op.getLoc(),
                                             adaptor.getInput(), type, map));
    return success();
  }
};

struct TileLowering : GraphPattern<g::TileOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::TileOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertedType(op.getType());
    if (hasZeroSize(type)) {
      rewriter.replaceOp(op, emptyTensor(rewriter, op.getLoc(), type));
      return success();
    }
    MLIRContext *ctx = rewriter.getContext();
    auto inShape = tensorType(adaptor.getInput()).getShape();
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < type.getRank(); ++d)
      exprs.push_back(getAffineDimExpr(d, ctx) % inShape[d]);
    AffineMap map = AffineMap::get(type.getRank(), 0, exprs, ctx);
    rewriter.replaceOp(op, buildAffineGather(rewriter, op.getLoc(),
                                             adaptor.getInput(), type, map));
    return success();
  }
};

/// Reads `source` at computed indices inside a generic over the result.
Value buildIndexedRead(
    OpBuilder &b, Location loc, RankedTensorType resultType, ValueRange inputs,
    function_ref<Value(OpBuilder &, Location, ValueRange, ArrayRef<Value>)> body) {
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(broadcastMap(b.getContext(), tensorType(in).getShape(),
                                resultType.getShape()));
  maps.push_back(b.getMultiDimIdentityMap(rank));
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{resultType}, inputs,
          ValueRange{emptyTensor(b, loc, resultType)}, maps,
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location l, ValueRange args) {
            SmallVector<Value> ivs;
            for (int64_t d = 0; d < rank; ++d)
              ivs.push_back(nb.create<linalg::IndexOp>(l, d));
            nb.create<linalg::YieldOp>(l, body(nb, l, args.drop_back(), ivs));
          })
      .getResult(0);
}

/// An index read from an indices tensor, wrapped when negative.
Value normalizeIndex(OpBuilder &b, Location loc, Value raw, int64_t dimSize) {
  Value idx = toIndex(b, loc, raw);
  Value size = b.create<arith::ConstantIndexOp>(loc, dimSize);
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value neg = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, idx, zero);
  Value wrapped = b.create<arith::AddIOp>(loc, idx, size);
  Value v = b.create<arith::SelectOp>(loc, neg, wrapped, idx);
  // Out-of-range indices are clamped rather than read out of bounds.
  Value maxIdx = b.create<arith::ConstantIndexOp>(loc, dimSize - 1);
  return b.create<arith::MaxSIOp>(loc, zero,
                                  b.create<arith::MinSIOp>(loc, v, maxIdx));
}

struct GatherLowering : GraphPattern<g::GatherOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = convertedType(op.getType());
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto dataShape = tensorType(data).getShape();
    int64_t axis = op.getAxis();
    int64_t q = tensorType(indices).getRank(), rank = type.getRank();
    if (hasZeroSize(type)) {
      rewriter.replaceOp(op, emptyTensor(rewriter, loc, type));
      return success();
    }
    SmallVector<AffineExpr> idxExprs;
    for (int64_t i = 0; i < q; ++i)
      idxExprs.push_back(getAffineDimExpr(axis + i, ctx));
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, idxExprs, ctx),
                                   rewriter.getMultiDimIdentityMap(rank)};
    // Result dims: data's before the axis, the indices', data's after.
    SmallVector<Value> sizes;
    for (int64_t d = 0; d < rank; ++d) {
      if (!type.isDynamicDim(d))
        continue;
      if (d >= axis && d < axis + q)
        sizes.push_back(rewriter.create<tensor::DimOp>(loc, indices, d - axis));
      else
        sizes.push_back(rewriter.create<tensor::DimOp>(
            loc, data, d < axis ? d : d - q + 1));
    }
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{type}, ValueRange{indices},
        ValueRange{emptyTensor(rewriter, loc, type, sizes)}, maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          SmallVector<Value> coords;
          for (int64_t d = 0; d < axis; ++d)
            coords.push_back(b.create<linalg::IndexOp>(l, d));
          coords.push_back(normalizeIndex(b, l, args[0], dataShape[axis]));
          for (int64_t d = axis + 1; d < (int64_t)dataShape.size(); ++d)
            coords.push_back(b.create<linalg::IndexOp>(l, d - 1 + q));
          b.create<linalg::YieldOp>(l, b.create<tensor::ExtractOp>(l, data, coords).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct GatherElementsLowering : GraphPattern<g::GatherElementsOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::GatherElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertedType(op.getType());
    Value data = adaptor.getData();
    int64_t axis = op.getAxis();
    int64_t axisSize = tensorType(data).getShape()[axis];
    if (hasZeroSize(type)) {
      rewriter.replaceOp(op, emptyTensor(rewriter, op.getLoc(), type));
      return success();
    }
    Value result = buildIndexedRead(
        rewriter, op.getLoc(), type, adaptor.getIndices(),
        [&](OpBuilder &b, Location l, ValueRange args, ArrayRef<Value> ivs) {
          SmallVector<Value> coords(ivs);
          coords[axis] = normalizeIndex(b, l, args[0], axisSize);
          return b.create<tensor::ExtractOp>(l, data, coords).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct GatherNDLowering : GraphPattern<g::GatherNDOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::GatherNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertedType(op.getType());
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto dataShape = tensorType(data).getShape();
    auto idxShape = tensorType(indices).getShape();
    int64_t b = op.getBatchDims(), last = idxShape.back();
    int64_t tupleDims = idxShape.size() - 1;
    if (hasZeroSize(type)) {
      rewriter.replaceOp(op, emptyTensor(rewriter, op.getLoc(), type));
      return success();
    }
    Value result = buildIndexedRead(
        rewriter, op.getLoc(), type, {},
        [&](OpBuilder &nb, Location l, ValueRange, ArrayRef<Value> ivs) {
          SmallVector<Value> idxCoords(ivs.take_front(tupleDims));
          idxCoords.push_back(nullptr);
          SmallVector<Value> coords(ivs.take_front(b));
          for (int64_t k = 0; k < last; ++k) {
            idxCoords.back() = nb.create<arith::ConstantIndexOp>(l, k);
            Value raw = nb.create<tensor::ExtractOp>(l, indices, idxCoords);
            coords.push_back(normalizeIndex(nb, l, raw, dataShape[b + k]));
          }
          llvm::append_range(coords, ivs.drop_front(tupleDims));
          return nb.create<tensor::ExtractOp>(l, data, coords).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Scatter as a gather: each output element scans the updates (a reduction
/// loop nest, in update order so the last write wins) and combines those
/// aimed at it. O(outputs x updates), but one generic with no atomics.
Value buildScatter(OpBuilder &b, Location loc, Value data, Value updates,
                   ArrayRef<AffineExpr> updateExprs, int64_t numUpdateLoops,
                   StringRef reduction, bool isUnsigned,
                   function_ref<Value(OpBuilder &, Location, ArrayRef<Value>,
                                      ArrayRef<Value>)> hits) {
  MLIRContext *ctx = b.getContext();
  auto type = tensorType(data);
  int64_t rank = type.getRank(), numLoops = rank + numUpdateLoops;
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < rank; ++d)
    outExprs.push_back(getAffineDimExpr(d, ctx));
  SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, updateExprs, ctx),
                                 AffineMap::get(numLoops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  iterators.append(numUpdateLoops, utils::IteratorType::reduction);
  Value init = b.create<linalg::CopyOp>(loc, data, emptyTensor(b, loc, type))
                   .getResult(0);
  bool isFloat = llvm::isa<FloatType>(type.getElementType());
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{type}, ValueRange{updates}, ValueRange{init}, maps,
          iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            SmallVector<Value> outIvs, updIvs;
            for (int64_t d = 0; d < rank; ++d)
              outIvs.push_back(nb.create<linalg::IndexOp>(l, d));
            for (int64_t d = 0; d < numUpdateLoops; ++d)
              updIvs.push_back(nb.create<linalg::IndexOp>(l, rank + d));
            Value update = args[0], acc = args[1], combined = update;
            if (reduction == "add")
              combined = addScalars(nb, l, acc, update);
            else if (reduction == "mul")
              combined = mulScalars(nb, l, acc, update);
            else if (reduction == "max")
              combined = isFloat ? nb.create<arith::MaximumFOp>(l, acc, update).getResult()
                         : isUnsigned ? nb.create<arith::MaxUIOp>(l, acc, update).getResult()
                                      : nb.create<arith::MaxSIOp>(l, acc, update).getResult();
            else if (reduction == "min")
              combined = isFloat ? nb.create<arith::MinimumFOp>(l, acc, update).getResult()
                         : isUnsigned ? nb.create<arith::MinUIOp>(l, acc, update).getResult()
                                      : nb.create<arith::MinSIOp>(l, acc, update).getResult();
            Value hit = hits(nb, l, outIvs, updIvs);
            nb.create<linalg::YieldOp>(
                l, nb.create<arith::SelectOp>(l, hit, combined, acc).getResult());
          })
      .getResult(0);
}

Value allOf(OpBuilder &b, Location loc, ArrayRef<Value> conditions) {
  Value all = b.create<arith::ConstantOp>(loc, b.getBoolAttr(true));
  for (Value c : conditions)
    all = b.create<arith::AndIOp>(loc, all, c);
  return all;
}

struct ScatterElementsLowering : GraphPattern<g::ScatterElementsOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ScatterElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    Value indices = adaptor.getIndices();
    int64_t rank = tensorType(adaptor.getData()).getRank();
    int64_t axis = op.getAxis(),
            axisSize = tensorType(adaptor.getData()).getShape()[axis];
    SmallVector<AffineExpr> updExprs;
    for (int64_t d = 0; d < rank; ++d)
      updExprs.push_back(getAffineDimExpr(rank + d, ctx));
    Value result = buildScatter(
        rewriter, op.getLoc(), adaptor.getData(), adaptor.getUpdates(), updExprs,
        rank, op.getReduction(), isUnsignedTensor(op.getData()),
        [&](OpBuilder &b, Location l, ArrayRef<Value> out, ArrayRef<Value> upd) {
          SmallVector<Value> conds;
          for (int64_t d = 0; d < rank; ++d) {
            Value target = upd[d];
            if (d == axis)
              target = normalizeIndex(
                  b, l, b.create<tensor::ExtractOp>(l, indices, upd), axisSize);
            conds.push_back(b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq,
                                                    target, out[d]));
          }
          return allOf(b, l, conds);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ScatterNDLowering : GraphPattern<g::ScatterNDOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ScatterNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    Value indices = adaptor.getIndices();
    auto dataShape = tensorType(adaptor.getData()).getShape();
    auto idxShape = tensorType(indices).getShape();
    int64_t rank = dataShape.size(), k = idxShape.back();
    int64_t tupleDims = idxShape.size() - 1;
    // Updates read at (tuple..., the data dims past the index tuple).
    SmallVector<AffineExpr> updExprs;
    for (int64_t d = 0; d < tupleDims; ++d)
      updExprs.push_back(getAffineDimExpr(rank + d, ctx));
    for (int64_t d = k; d < rank; ++d)
      updExprs.push_back(getAffineDimExpr(d, ctx));
    Value result = buildScatter(
        rewriter, op.getLoc(), adaptor.getData(), adaptor.getUpdates(), updExprs,
        tupleDims, op.getReduction(), isUnsignedTensor(op.getData()),
        [&](OpBuilder &b, Location l, ArrayRef<Value> out, ArrayRef<Value> upd) {
          SmallVector<Value> conds, coords(upd);
          coords.push_back(nullptr);
          for (int64_t j = 0; j < k; ++j) {
            coords.back() = b.create<arith::ConstantIndexOp>(l, j);
            Value target = normalizeIndex(
                b, l, b.create<tensor::ExtractOp>(l, indices, coords), dataShape[j]);
            conds.push_back(b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq,
                                                    target, out[j]));
          }
          return allOf(b, l, conds);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// One linalg.generic: output letters are parallel loops, the others are
/// reductions; each operand reads through its subscripts.
struct EinsumLowering : GraphPattern<g::EinsumOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::EinsumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = convertedType(op.getType());
    auto [lhs, out] = op.getEquation().split("->");
    SmallVector<StringRef> terms;
    lhs.split(terms, ',');
    // Loop order: output letters, then summed letters by first appearance.
    std::string letters = out.str();
    llvm::StringMap<int64_t> extent;
    for (auto [term, v] : llvm::zip(terms, adaptor.getInputs()))
      for (auto [c, size] : llvm::zip(term, tensorType(v).getShape())) {
        if (letters.find(c) == std::string::npos)
          letters.push_back(c);
        int64_t &e = extent[StringRef(&c, 1)];
        e = std::max(e, size);
      }
    int64_t numLoops = letters.size();
    SmallVector<AffineMap> maps;
    for (auto [term, v] : llvm::zip(terms, adaptor.getInputs())) {
      SmallVector<AffineExpr> exprs;
      for (auto [c, size] : llvm::zip(term, tensorType(v).getShape()))
        exprs.push_back(size == 1 && extent[StringRef(&c, 1)] != 1
                            ? getAffineConstantExpr(0, ctx)
                            : getAffineDimExpr(letters.find(c), ctx));
      maps.push_back(AffineMap::get(numLoops, 0, exprs, ctx));
    }
    SmallVector<AffineExpr> outExprs;
    for (size_t i = 0; i < out.size(); ++i)
      outExprs.push_back(getAffineDimExpr(i, ctx));
    maps.push_back(AffineMap::get(numLoops, 0, outExprs, ctx));
    SmallVector<utils::IteratorType> iterators(out.size(),
                                               utils::IteratorType::parallel);
    iterators.append(numLoops - out.size(), utils::IteratorType::reduction);
    Type elt = type.getElementType();
    Value init = filledTensor(rewriter, loc, type, scalarConst(rewriter, loc, elt, 0));
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{type}, adaptor.getInputs(), ValueRange{init}, maps,
        iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value product = args[0];
          for (Value v : args.drop_front().drop_back())
            product = mulScalars(b, l, product, v);
          b.create<linalg::YieldOp>(l, addScalars(b, l, args.back(), product));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct PadLowering : GraphPattern<g::PadOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::PadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = convertedType(op.getType());
    Value input = adaptor.getInput();
    auto inShape = tensorType(input).getShape();
    int64_t rank = type.getRank();
    ArrayRef<int64_t> pads = op.getPads();
    if (op.getMode() == "constant") {
      auto typed = llvm::cast<TypedAttr>(op.getValue());
      Attribute value = typed;
      if (auto i = llvm::dyn_cast<IntegerAttr>(typed))
        value = rewriter.getIntegerAttr(type.getElementType(), i.getValue());
      Value padValue = rewriter.create<arith::ConstantOp>(loc, llvm::cast<TypedAttr>(value));
      SmallVector<OpFoldResult> low, high;
      for (int64_t d = 0; d < rank; ++d) {
        low.push_back(rewriter.getIndexAttr(pads[d]));
        high.push_back(rewriter.getIndexAttr(pads[rank + d]));
      }
      rewriter.replaceOpWithNewOp<tensor::PadOp>(op, type, input, low, high,
                                                 padValue);
      return success();
    }
    bool reflect = op.getMode() == "reflect";
    Value result = buildIndexedRead(
        rewriter, loc, type, {},
        [&](OpBuilder &b, Location l, ValueRange, ArrayRef<Value> ivs) {
          SmallVector<Value> coords;
          for (int64_t d = 0; d < rank; ++d) {
            Value zero = b.create<arith::ConstantIndexOp>(l, 0);
            Value last = b.create<arith::ConstantIndexOp>(l, inShape[d] - 1);
            Value j = b.create<arith::SubIOp>(
                l, ivs[d], b.create<arith::ConstantIndexOp>(l, pads[d]));
            if (reflect) {
              // Mirror about the first and last element (no repeat).
              Value neg = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt, j, zero);
              j = b.create<arith::SelectOp>(l, neg, b.create<arith::SubIOp>(l, zero, j), j);
              Value over = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::sgt, j, last);
              Value mirrored = b.create<arith::SubIOp>(
                  l, b.create<arith::ConstantIndexOp>(l, 2 * (inShape[d] - 1)), j);
              j = b.create<arith::SelectOp>(l, over, mirrored, j);
            }
            j = b.create<arith::MaxSIOp>(l, zero, b.create<arith::MinSIOp>(l, j, last));
            coords.push_back(j);
          }
          return b.create<tensor::ExtractOp>(l, input, coords).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct TriluLowering : GraphPattern<g::TriluOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::TriluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = tensorType(adaptor.getInput());
    int64_t rank = type.getRank();
    bool upper = op.getUpper();
    Type elt = type.getElementType();
    Location loc = op.getLoc();
    auto kType = tensorType(adaptor.getK());
    SmallVector<Value> zeros(kType.getRank(),
                             rewriter.create<arith::ConstantIndexOp>(loc, 0));
    Value k = toIndex(rewriter, loc,
                      rewriter.create<tensor::ExtractOp>(loc, adaptor.getK(), zeros));
    Value result = buildIndexedRead(
        rewriter, op.getLoc(), type, adaptor.getInput(),
        [&](OpBuilder &b, Location l, ValueRange args, ArrayRef<Value> ivs) -> Value {
          // Keep element (i, j) when j - i >= k (upper) or j - i <= k (lower).
          Value diff = b.create<arith::SubIOp>(l, ivs[rank - 1], ivs[rank - 2]);
          Value keep = b.create<arith::CmpIOp>(
              l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
              diff, k);
          return b.create<arith::SelectOp>(l, keep, args[0],
                                           scalarConst(b, l, elt, 0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct CumSumLowering : GraphPattern<g::CumSumOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::CumSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = tensorType(adaptor.getInput());
    int64_t rank = type.getRank(), axis = op.getAxis();
    Type elt = type.getElementType();
    // out[.., i, ..] = sum over j of x[.., j, ..] where j is before i (or
    // after, reversed); an extra reduction loop j keeps this one generic.
    SmallVector<AffineExpr> inExprs, outExprs;
    for (int64_t d = 0; d < rank; ++d) {
      inExprs.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    bool exclusive = op.getExclusive(), reverse = op.getReverse();
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{type}, ValueRange{adaptor.getInput()},
        ValueRange{filledTensor(rewriter, loc, type, scalarConst(rewriter, loc, elt, 0))},
        SmallVector<AffineMap>{AffineMap::get(rank + 1, 0, inExprs, ctx),
                               AffineMap::get(rank + 1, 0, outExprs, ctx)},
        iterators, [&](OpBuilder &b, Location l, ValueRange a) {
          Value i = b.create<linalg::IndexOp>(l, axis);
          Value j = b.create<linalg::IndexOp>(l, rank);
          using P = arith::CmpIPredicate;
          P pred = reverse ? (exclusive ? P::sgt : P::sge)
                           : (exclusive ? P::slt : P::sle);
          Value take = b.create<arith::CmpIOp>(l, pred, j, i);
          Value add = addScalars(b, l, a[1], a[0]);
          b.create<linalg::YieldOp>(l, b.create<arith::SelectOp>(l, take, add, a[1]).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// NonZero: one pass counts (the result's size), a second writes each
/// non-zero element's coordinates in row-major order. Both are sequential
/// scf loops: the write position depends on every earlier element.
struct NonZeroLowering : GraphPattern<g::NonZeroOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::NonZeroOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = tensorType(adaptor.getInput());
    int64_t rank = inType.getRank(), numel = inType.getNumElements();
    Type elt = inType.getElementType();
    Value flat = reshapeTensor(rewriter, loc, adaptor.getInput(),
                               RankedTensorType::get({numel}, elt));
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
    Value end = rewriter.create<arith::ConstantIndexOp>(loc, numel);
    auto nonZeroAt = [&](OpBuilder &b, Location l, Value i) -> Value {
      Value v = b.create<tensor::ExtractOp>(l, flat, i);
      Value z = scalarConst(b, l, elt, 0);
      // NaN counts as non-zero, as in numpy.
      if (llvm::isa<FloatType>(elt))
        return b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNE, v, z);
      return b.create<arith::CmpIOp>(l, arith::CmpIPredicate::ne, v, z);
    };
    Value count =
        rewriter
            .create<scf::ForOp>(
                loc, zero, end, one, ValueRange{zero},
                [&](OpBuilder &b, Location l, Value i, ValueRange acc) {
                  Value add = b.create<arith::SelectOp>(
                      l, nonZeroAt(b, l, i), one, zero);
                  b.create<scf::YieldOp>(
                      l, ValueRange{b.create<arith::AddIOp>(l, acc[0], add)});
                })
            .getResult(0);
    auto type = convertedType(op.getType());
    Value init = emptyTensor(rewriter, loc, type, count);
    auto loop = rewriter.create<scf::ForOp>(
        loc, zero, end, one, ValueRange{init, zero},
        [&](OpBuilder &b, Location l, Value i, ValueRange state) {
          auto branch = b.create<scf::IfOp>(
              l, nonZeroAt(b, l, i),
              [&](OpBuilder &tb, Location tl) {
                Value out = state[0], rest = i;
                for (int64_t d = rank - 1; d >= 0; --d) {
                  Value size = tb.create<arith::ConstantIndexOp>(
                      tl, inType.getShape()[d]);
                  Value coord = tb.create<arith::RemUIOp>(tl, rest, size);
                  rest = tb.create<arith::DivUIOp>(tl, rest, size);
                  Value row = tb.create<arith::ConstantIndexOp>(tl, d);
                  out = tb.create<tensor::InsertOp>(
                      tl,
                      tb.create<arith::IndexCastOp>(tl, tb.getI64Type(), coord),
                      out, ValueRange{row, state[1]});
                }
                tb.create<scf::YieldOp>(
                    tl, ValueRange{out, tb.create<arith::AddIOp>(tl, state[1], one)});
              },
              [&](OpBuilder &eb, Location el) {
                eb.create<scf::YieldOp>(el, ValueRange{state[0], state[1]});
              });
          b.create<scf::YieldOp>(l, branch.getResults());
        });
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }
};

struct ConvertGraphToLinalgPass
    : ds::impl::ConvertGraphToLinalgPassBase<ConvertGraphToLinalgPass> {
  using ConvertGraphToLinalgPassBase::ConvertGraphToLinalgPassBase;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    TypeConverter converter;
    converter.addConversion([](Type t) { return t; });
    converter.addConversion([](RankedTensorType t) -> Type {
      return RankedTensorType::get(t.getShape(), signless(t.getElementType()));
    });

    ConversionTarget target(*ctx);
    target.addIllegalDialect<graph::GraphDialect, quant::QuantDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp f) {
      return converter.isSignatureLegal(f.getFunctionType()) &&
             converter.isLegal(&f.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return converter.isLegal(op); });

    RewritePatternSet patterns(ctx);
    populateGraphToLinalgPatterns(converter, patterns, registerTileColumns,
                                  winograd);
    populateQuantToLinalgPatterns(converter, patterns, groupTiles,
                                  int8DotLimit);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void mlir::ds::populateGraphToLinalgPatterns(TypeConverter &converter,
                                             RewritePatternSet &patterns,
                                             int64_t registerTileColumns,
                                             bool winograd) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<
      ElementwiseLowering<g::NegOp>, ElementwiseLowering<g::AbsOp>,
      ElementwiseLowering<g::SqrtOp>, ElementwiseLowering<g::ExpOp>,
      ElementwiseLowering<g::LogOp>, ElementwiseLowering<g::ErfOp>,
      ElementwiseLowering<g::ReluOp>, ElementwiseLowering<g::SigmoidOp>,
      ElementwiseLowering<g::TanhOp>, ElementwiseLowering<g::ReciprocalOp>,
      ElementwiseLowering<g::FloorOp>, ElementwiseLowering<g::CeilOp>,
      ElementwiseLowering<g::RoundOp>, ElementwiseLowering<g::SignOp>,
      ElementwiseLowering<g::SinOp>, ElementwiseLowering<g::CosOp>,
      ElementwiseLowering<g::TanOp>, ElementwiseLowering<g::AsinOp>,
      ElementwiseLowering<g::AcosOp>, ElementwiseLowering<g::AtanOp>,
      ElementwiseLowering<g::SinhOp>, ElementwiseLowering<g::CoshOp>,
      ElementwiseLowering<g::AsinhOp>, ElementwiseLowering<g::AcoshOp>,
      ElementwiseLowering<g::AtanhOp>, ElementwiseLowering<g::SoftplusOp>,
      ElementwiseLowering<g::SoftsignOp>, ElementwiseLowering<g::NotOp>,
      ElementwiseLowering<g::HardSwishOp>, ElementwiseLowering<g::LeakyReluOp>,
      ElementwiseLowering<g::EluOp>, ElementwiseLowering<g::CeluOp>,
      ElementwiseLowering<g::SeluOp>, ElementwiseLowering<g::HardSigmoidOp>,
      ElementwiseLowering<g::ThresholdedReluOp>, ElementwiseLowering<g::ShrinkOp>,
      ElementwiseLowering<g::GeluOp>, ElementwiseLowering<g::IsNaNOp>,
      ElementwiseLowering<g::IsInfOp>, ElementwiseLowering<g::CastOp>,
      ElementwiseLowering<g::AddOp>, ElementwiseLowering<g::SubOp>,
      ElementwiseLowering<g::MulOp>, ElementwiseLowering<g::DivOp>,
      ElementwiseLowering<g::PowOp>, ElementwiseLowering<g::MaxOp>,
      ElementwiseLowering<g::MinOp>, ElementwiseLowering<g::AndOp>,
      ElementwiseLowering<g::OrOp>, ElementwiseLowering<g::XorOp>,
      ElementwiseLowering<g::EqualOp>, ElementwiseLowering<g::LessOp>,
      ElementwiseLowering<g::LessOrEqualOp>, ElementwiseLowering<g::GreaterOp>,
      ElementwiseLowering<g::GreaterOrEqualOp>, ElementwiseLowering<g::PReluOp>,
      ElementwiseLowering<g::ModOp>, ElementwiseLowering<g::BitShiftOp>,
      ElementwiseLowering<g::WhereOp>, ConstantLowering, ClipLowering,
      BatchNormLowering,
      MaxPoolLowering, AveragePoolLowering, SoftmaxLowering, LayerNormLowering,
      ReduceLowering<g::ReduceSumOp>, ReduceLowering<g::ReduceMeanOp>,
      ReduceLowering<g::ReduceMaxOp>, ReduceLowering<g::ReduceMinOp>,
      ReduceLowering<g::ReduceProdOp>, ArgMaxLowering, ReshapeLowering,
      TransposeLowering, ConcatLowering, SliceLowering, ExpandLowering,
      TileLowering, GatherLowering, GatherElementsLowering, GatherNDLowering,
      EinsumLowering, ScatterElementsLowering, ScatterNDLowering, PadLowering,
      TriluLowering, CumSumLowering, NonZeroLowering>(converter, ctx);
  patterns.add<MatMulLowering, GemmLowering>(converter, ctx,
                                             registerTileColumns);
  patterns.add<ConvLowering>(converter, ctx, registerTileColumns, winograd);
}
