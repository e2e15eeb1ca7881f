//===- LinalgBuilders.h - IR builders shared by the lowerings ---*- C++ -*-===//
//
// The tensor/linalg building blocks of the dsg and dsq lowerings: every
// op of both dialects is built from these, so broadcasting, dynamic sizes
// and destination tensors are handled one way.
//
//===----------------------------------------------------------------------===//
#ifndef DS_PASSES_CONVERSION_LINALGBUILDERS_H
#define DS_PASSES_CONVERSION_LINALGBUILDERS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/DialectConversion.h"

#include <optional>

namespace mlir::ds::lowering {

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// A conversion pattern for a dsg or dsq op that knows its converted types.
template <typename OpTy> struct GraphPattern : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  RankedTensorType convertedType(Type type) const {
    return llvm::cast<RankedTensorType>(
        this->getTypeConverter()->convertType(type));
  }
};

RankedTensorType tensorType(Value v);
bool isUnsignedTensor(Value v);
/// Signless form of a possibly unsigned element type.
Type signless(Type t);
Value scalarConst(OpBuilder &b, Location loc, Type type, double v);
/// The largest (or lowest) value of `type`, the identity of max/min.
Value extremeConst(OpBuilder &b, Location loc, Type type, bool lowest);
bool hasZeroSize(RankedTensorType type);
/// An uninitialized tensor; `dynamicSizes` gives each dynamic dim, in order.
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                  ValueRange dynamicSizes = {});
Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   Value scalar, ValueRange dynamicSizes = {});
/// Sizes of the dynamic dims of a generic's result (indexing map
/// `outMap`), each taken from an input dim its loop indexes directly.
SmallVector<Value> dynamicSizesFromLoops(OpBuilder &b, Location loc,
                                         RankedTensorType resultType,
                                         AffineMap outMap, ValueRange inputs,
                                         ArrayRef<AffineMap> inputMaps);
/// Sizes of the dynamic dims of `type`, taken from `source`.
SmallVector<Value> dynamicSizesLike(OpBuilder &b, Location loc,
                                    RankedTensorType type, Value source);
/// A tensor of `resultType` whose elements are `input` read through
/// `inputMap`.
Value buildAffineGather(OpBuilder &b, Location loc, Value input,
                        RankedTensorType resultType, AffineMap inputMap,
                        std::optional<ValueRange> dynamicSizes = std::nullopt);
/// A contraction's accumulator: the bias broadcast through `biasMap`, or 0.
Value accumulatorInit(OpBuilder &b, Location loc, RankedTensorType type,
                      ValueRange dynamicSizes, Value bias, AffineMap biasMap);
Value transposeTensor(OpBuilder &b, Location loc, Value input,
                      ArrayRef<int64_t> perm);
/// Pads the spatial dims (2..) of an NC... tensor with `padValue`; `pads`
/// as in ONNX (all begins, then all ends).
Value padSpatial(OpBuilder &b, Location loc, Value input,
                 ArrayRef<int64_t> pads, Value padValue);
/// The map reading `operandShape` broadcast numpy-style over `resultShape`.
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape);
/// A linalg.generic computing `body` elementwise over `resultType`, the
/// inputs broadcast into it.
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, BodyFn body);
Value reshapeDynamic(OpBuilder &b, Location loc, Value input,
                     RankedTensorType resultType);
/// `input` reshaped to `resultType` (same element count).
Value reshapeTensor(OpBuilder &b, Location loc, Value input,
                    RankedTensorType resultType);
/// `input` reduced over `axes` with `combine` from `init`; reduced dims
/// are dropped.
Value buildReduction(
    OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes, Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine);

/// Indexing maps (lhs, rhs, result) of a numpy matmul over loops (result
/// dims..., k): batch dims broadcast, 1-D operands promoted.
SmallVector<AffineMap> matmulIndexingMaps(MLIRContext *ctx,
                                          ArrayRef<int64_t> lhsShape,
                                          ArrayRef<int64_t> rhsShape,
                                          ArrayRef<int64_t> resultShape);

} // namespace mlir::ds::lowering

#endif
