//===- Int8Product.cpp - the int8 layer both quantization paths build -----===//
#include "passes/Quantization/Int8Product.h"

#include "dialects/Graph/IR/GraphOps.h"
#include "dialects/Quant/IR/QuantOps.h"

using namespace mlir;
using namespace mlir::ds;
namespace g = mlir::ds::graph;
namespace q = mlir::ds::quant;

FailureOr<q::MatrixLayer> q::readMatrixLayer(Operation *op, std::string &why) {
  MatrixLayer layer;
  layer.activation = op->getAttrOfType<StringAttr>("activation");
  layer.activationParams = op->getAttrOfType<ArrayAttr>("activation_params");
  if (auto matmul = dyn_cast<g::MatMulOp>(op)) {
    layer.input = matmul.getLhs();
    layer.weight = matmul.getRhs();
    layer.bias = matmul.getBias();
    return layer;
  }
  auto gemm = cast<g::GemmOp>(op);
  if (gemm.getTransA() || gemm.getAlpha().convertToDouble() != 1.0 ||
      (gemm.getC() && gemm.getBeta().convertToDouble() != 1.0)) {
    why = "Gemm with transA, alpha != 1 or beta != 1";
    return failure();
  }
  layer.input = gemm.getA();
  layer.weight = gemm.getB();
  layer.bias = gemm.getC();
  layer.weightTransposed = gemm.getTransB();
  return layer;
}

DenseElementsAttr q::transposeMatrix(DenseElementsAttr matrix) {
  auto shape = llvm::cast<ShapedType>(matrix.getType()).getShape();
  return g::transposeConstant(
      matrix, {1, 0},
      RankedTensorType::get({shape[1], shape[0]}, matrix.getElementType()));
}

Value q::buildInt8Product(OpBuilder &b, Location loc,
                          const QuantizedActivation &x,
                          const ::ds::quant::Int8Columns &weight, int64_t k,
                          int64_t n, RankedTensorType resultType) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type(), i8 = b.getI8Type();
  Value codes = b.create<g::ConstantOp>(
      loc, DenseElementsAttr::get(RankedTensorType::get({k, n}, i8),
                                  ArrayRef<int8_t>(weight.codes)));
  auto accType = RankedTensorType::get(resultType.getShape(), i32);
  Value acc = b.create<q::MatMulIntegerOp>(loc, accType, x.codes, codes,
                                           Value(), Value());
  Value columnSums = b.create<g::ConstantOp>(
      loc, DenseElementsAttr::get(RankedTensorType::get({n}, i32),
                                  ArrayRef<int32_t>(weight.columnSums)));
  Value zeroPoint =
      b.create<g::CastOp>(loc, RankedTensorType::get({}, i32), x.zeroPoint);
  Value correction = b.create<g::MulOp>(loc, RankedTensorType::get({n}, i32),
                                        zeroPoint, columnSums);
  Value centered = b.create<g::SubOp>(loc, accType, acc, correction);
  Value weightScales = b.create<g::ConstantOp>(
      loc, DenseElementsAttr::get(RankedTensorType::get({n}, f32),
                                  ArrayRef<float>(weight.scales)));
  Value scale = b.create<g::MulOp>(loc, RankedTensorType::get({n}, f32),
                                   x.scale, weightScales);
  return b.create<q::DequantizeOp>(loc, resultType, centered, scale, Value(),
                                   /*axis=*/-1, /*block_size=*/0);
}

Value q::finishLayer(OpBuilder &b, Location loc, Value product, Value bias,
                     StringAttr activation, ArrayAttr activationParams,
                     Type resultType) {
  Value result = product;
  if (bias)
    result = b.create<g::AddOp>(loc, resultType, result, bias);
  if (activation) {
    SmallVector<float> params;
    if (activationParams)
      for (Attribute p : activationParams)
        params.push_back(llvm::cast<FloatAttr>(p).getValueAsDouble());
    result = g::buildActivation(b, loc, activation.getValue(), params, result);
  }
  return result;
}
