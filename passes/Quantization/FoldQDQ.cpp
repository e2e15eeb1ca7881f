//===- FoldQDQ.cpp - QDQ pairs around MatMul/Gemm into int8 products ------===//
#include "dialects/Graph/Transforms/Passes.h"
#include "passes/Quantization/Int8Product.h"
#include "passes/Quantization/Passes.h"

#include "mlir/IR/Matchers.h"

namespace mlir::ds::quant {
#define GEN_PASS_DEF_FOLDQDQPASS
#include "passes/Quantization/Passes.h.inc"
} // namespace mlir::ds::quant

using namespace mlir;
using namespace mlir::ds;
namespace g = mlir::ds::graph;
namespace q = mlir::ds::quant;

namespace {

/// A one-element constant `v` (rank 0 or [1]) as a rank-0 constant.
std::optional<DenseElementsAttr> scalarConstant(Value v) {
  DenseElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)) || attr.getNumElements() != 1)
    return std::nullopt;
  return attr.reshape(RankedTensorType::get({}, attr.getElementType()));
}

/// The activation side: dequantize(xq, s, zp) per tensor, as codes with a
/// rank-0 scale and zero point (constants, or the run-time values when
/// they already are rank 0).
std::optional<q::QuantizedActivation> activationCodes(OpBuilder &b,
                                                      Value input) {
  auto dq = input.getDefiningOp<q::DequantizeOp>();
  if (!dq || dq.getBlockSize() != 0 ||
      dq.getScale().getType().getNumElements() != 1 ||
      !dq.getScale().getType().getElementType().isF32() ||
      !dq.getInput().getType().getElementType().isInteger(8))
    return std::nullopt;
  Location loc = dq.getLoc();
  auto rank0 = [&](Value v) -> Value {
    if (llvm::cast<RankedTensorType>(v.getType()).getRank() == 0)
      return v;
    std::optional<DenseElementsAttr> attr = scalarConstant(v);
    return attr ? b.create<g::ConstantOp>(loc, *attr).getResult() : Value();
  };
  q::QuantizedActivation x{dq.getInput(), rank0(dq.getScale()), Value()};
  Type codeType = dq.getInput().getType().getElementType();
  if (Value zp = dq.getZeroPoint()) {
    if (llvm::cast<RankedTensorType>(zp.getType()).getNumElements() != 1)
      return std::nullopt;
    x.zeroPoint = rank0(zp);
  } else {
    x.zeroPoint = b.create<g::ConstantOp>(
        loc, DenseElementsAttr::get(RankedTensorType::get({}, codeType),
                                    APInt(8, 0)));
  }
  if (!x.scale || !x.zeroPoint)
    return std::nullopt;
  return x;
}

/// The weight side: dequantize(Wq, s) of a constant int8 matrix with zero
/// points 0, per tensor or per output channel (axis `outputAxis` of the
/// stored matrix), as [K, N] codes and [N] scales.
std::optional<::ds::quant::Int8Columns> weightCodes(Value input,
                                                    bool transposed) {
  auto dq = input.getDefiningOp<q::DequantizeOp>();
  DenseElementsAttr codes, scales, zeroPoints;
  if (!dq || dq.getBlockSize() != 0 ||
      !matchPattern(dq.getInput(), m_Constant(&codes)) ||
      !codes.getElementType().isSignlessInteger(8) ||
      llvm::cast<ShapedType>(codes.getType()).getRank() != 2 ||
      !matchPattern(dq.getScale(), m_Constant(&scales)) ||
      !scales.getElementType().isF32())
    return std::nullopt;
  if (Value zp = dq.getZeroPoint())
    if (!matchPattern(zp, m_Constant(&zeroPoints)) ||
        !llvm::all_of(zeroPoints.getValues<APInt>(),
                      [](const APInt &v) { return v.isZero(); }))
      return std::nullopt;
  auto shape = llvm::cast<ShapedType>(codes.getType()).getShape();
  int64_t outputAxis = transposed ? 0 : 1;
  int64_t k = shape[1 - outputAxis], n = shape[outputAxis];
  int64_t numScales = scales.getNumElements();
  if (numScales != 1) {
    FailureOr<int64_t> axis = q::normalizeAxis(dq.getAxis(), 2);
    if (failed(axis) || *axis != outputAxis || numScales != n)
      return std::nullopt;
  }
  if (transposed)
    codes = q::transposeMatrix(codes);
  auto kn = codes.getValues<int8_t>();
  auto scaleValues = scales.getValues<float>();
  std::vector<float> perColumn(n);
  for (int64_t col = 0; col < n; ++col)
    perColumn[col] = scaleValues[numScales == 1 ? 0 : col];
  return ::ds::quant::int8Columns({kn.begin(), kn.end()}, std::move(perColumn),
                                  k, n);
}

struct FoldQDQPass : q::impl::FoldQDQPassBase<FoldQDQPass> {
  void runOnOperation() override {
    SmallVector<Operation *> layers;
    getOperation().walk([&](Operation *op) {
      if (isa<g::MatMulOp, g::GemmOp>(op))
        layers.push_back(op);
    });
    for (Operation *op : layers)
      fold(op);
  }

  void fold(Operation *op) {
    std::string why;
    FailureOr<q::MatrixLayer> layer = q::readMatrixLayer(op, why);
    auto resultType = llvm::cast<RankedTensorType>(op->getResult(0).getType());
    if (failed(layer) || !resultType.getElementType().isF32())
      return;
    std::optional<::ds::quant::Int8Columns> weight =
        weightCodes(layer->weight, layer->weightTransposed);
    if (!weight)
      return;
    OpBuilder b(op);
    std::optional<q::QuantizedActivation> x = activationCodes(b, layer->input);
    if (!x)
      return;
    int64_t n = weight->scales.size(),
            k = weight->codes.size() / std::max<int64_t>(1, n);
    Value product =
        q::buildInt8Product(b, op->getLoc(), *x, *weight, k, n, resultType);
    Value result =
        q::finishLayer(b, op->getLoc(), product, layer->bias, layer->activation,
                       layer->activationParams, resultType);
    g::recordFusion(op, "qdq_to_integer");
    op->getResult(0).replaceAllUsesWith(result);
    op->erase();
  }
};

} // namespace
