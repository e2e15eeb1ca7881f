//===- Int8Product.h - the int8 layer of both quantizers --------*- C++ -*-===//
//
// How ds-quantize and ds-fold-qdq read a MatMul/Gemm layer, and the int8
// layer they both build from it.
//
// A float layer y = act(x @ W + bias) with int8 weights and a uint8 (or
// int8) activation, as ds-quantize makes it from float weights and
// ds-fold-qdq from a model's QuantizeLinear/DequantizeLinear pairs:
//   acc = matmul_integer(xq, Wq)                     (i32, VNNI-friendly)
//   y   = dequantize(acc - zp_x * colsum(Wq), s_x * s_w)
// then the bias and the activation. The activation's zero point is taken
// out with column sums computed at compile time, so the kernel multiplies
// raw codes.
//
//===----------------------------------------------------------------------===//
#ifndef DS_PASSES_QUANTIZATION_INT8PRODUCT_H
#define DS_PASSES_QUANTIZATION_INT8PRODUCT_H

#include "passes/Quantization/WeightQuantizer.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::ds::quant {

/// A MatMul or Gemm read as y = act(x @ W + bias), with W as the op holds
/// it: [K, N], or [N, K] for a Gemm with transB.
struct MatrixLayer {
  Value input, weight, bias;
  bool weightTransposed = false;
  StringAttr activation;      // fused epilogue, or null
  ArrayAttr activationParams; // its constants, or null
};

/// `op` (a dsg.matmul or dsg.gemm) as a MatrixLayer; fails, with `why`, for
/// a Gemm with transA, alpha != 1 or beta != 1.
FailureOr<MatrixLayer> readMatrixLayer(Operation *op, std::string &why);

/// A 2-D constant transposed ([N, K] -> [K, N]).
DenseElementsAttr transposeMatrix(DenseElementsAttr matrix);

/// The activation side: its codes and their scale and zero point (rank-0
/// tensors, run-time values or constants).
struct QuantizedActivation {
  Value codes, scale, zeroPoint;
};

/// dequantize(matmul_integer(x.codes, W) - x.zeroPoint * colsum(W),
/// x.scale * weight.scales) for a [K, N] weight; `resultType` is the
/// layer's float result.
Value buildInt8Product(OpBuilder &b, Location loc, const QuantizedActivation &x,
                       const ::ds::quant::Int8Columns &weight, int64_t k,
                       int64_t n, RankedTensorType resultType);

/// `product` + `bias` (if any), then the layer's fused activation (if any).
Value finishLayer(OpBuilder &b, Location loc, Value product, Value bias,
                  StringAttr activation, ArrayAttr activationParams,
                  Type resultType);

} // namespace mlir::ds::quant

#endif
