//===- QuantOps.cpp - dsq op verifiers ------------------------------------===//
#include "dialects/Quant/IR/QuantOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::ds::quant;

std::pair<int64_t, int64_t> mlir::ds::quant::integerRange(Type type) {
  unsigned width = type.getIntOrFloatBitWidth();
  if (type.isUnsignedInteger())
    return {0, (int64_t)APInt::getMaxValue(width).getZExtValue()};
  return {APInt::getSignedMinValue(width).getSExtValue(),
          APInt::getSignedMaxValue(width).getSExtValue()};
}

FailureOr<int64_t> mlir::ds::quant::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return failure();
  return axis < 0 ? axis + rank : axis;
}

namespace {
bool sameDim(int64_t a, int64_t b) {
  return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
}

/// Checks that `scale` (and `zeroPoint`, when present) follow the layout
/// rule of QuantBase.td for `data`, and that the zero point's element type
/// is `zeroPointElement`.
LogicalResult verifyScaleLayout(Operation *op, RankedTensorType data,
                                RankedTensorType scale, Value zeroPoint,
                                Type zeroPointElement, int64_t axisAttr,
                                int64_t blockSize) {
  if (blockSize < 0)
    return op->emitOpError("block_size must be >= 0, got ") << blockSize;
  bool perTensor =
      scale.getRank() == 0 ||
      (scale.getRank() == 1 && scale.getDimSize(0) == 1 && blockSize == 0);
  if (!perTensor) {
    FailureOr<int64_t> axis = normalizeAxis(axisAttr, data.getRank());
    if (failed(axis))
      return op->emitOpError("axis ")
             << axisAttr << " is out of range for rank " << data.getRank();
    int64_t size = data.getDimSize(*axis);
    if (blockSize == 0) {
      if (scale.getRank() != 1)
        return op->emitOpError("a per-axis scale must be 1-D, got rank ")
               << scale.getRank();
      if (!sameDim(scale.getDimSize(0), size))
        return op->emitOpError("per-axis scale has ")
               << scale.getDimSize(0) << " entries for an axis of " << size;
    } else {
      if (scale.getRank() != data.getRank())
        return op->emitOpError("a block-wise scale must have the input's rank");
      for (int64_t d = 0; d < data.getRank(); ++d) {
        int64_t want = data.getDimSize(d);
        if (d == *axis && !ShapedType::isDynamic(want))
          want = llvm::divideCeil(want, blockSize);
        if (!sameDim(scale.getDimSize(d), want))
          return op->emitOpError("block-wise scale dim ")
                 << d << " is " << scale.getDimSize(d) << ", expected " << want;
      }
    }
  } else if (blockSize != 0) {
    return op->emitOpError("block_size needs a block-wise scale");
  }
  if (!zeroPoint)
    return success();
  auto zpType = llvm::cast<RankedTensorType>(zeroPoint.getType());
  if (zpType.getShape() != scale.getShape())
    return op->emitOpError("zero point and scale shapes differ");
  if (zpType.getElementType() != zeroPointElement)
    return op->emitOpError("zero point element type ")
           << zpType.getElementType() << " differs from " << zeroPointElement;
  return success();
}

LogicalResult verifySameShape(Operation *op, RankedTensorType a,
                              RankedTensorType b) {
  if (a.getRank() != b.getRank())
    return op->emitOpError("input and result ranks differ");
  for (auto [x, y] : llvm::zip(a.getShape(), b.getShape()))
    if (!sameDim(x, y))
      return op->emitOpError("input and result shapes differ");
  return success();
}
} // namespace

LogicalResult QuantizeOp::verify() {
  if (failed(verifySameShape(*this, getInput().getType(), getType())))
    return failure();
  // Wider results have ranges that f32 cannot bound exactly.
  if (getType().getElementType().getIntOrFloatBitWidth() > 16)
    return emitOpError("quantized values are at most 16 bits wide");
  return verifyScaleLayout(*this, getInput().getType(), getScale().getType(),
                           getZeroPoint(), getType().getElementType(),
                           getAxis(), getBlockSize());
}

LogicalResult DequantizeOp::verify() {
  if (failed(verifySameShape(*this, getInput().getType(), getType())))
    return failure();
  if (getInput().getType().getElementType().getIntOrFloatBitWidth() > 32)
    return emitOpError("inputs wider than 32 bits are not quantized values");
  return verifyScaleLayout(
      *this, getInput().getType(), getScale().getType(), getZeroPoint(),
      getInput().getType().getElementType(), getAxis(), getBlockSize());
}

LogicalResult DynamicQuantizeOp::verify() {
  return verifySameShape(*this, getInput().getType(), getResult().getType());
}

LogicalResult MatMulIntegerOp::verify() {
  auto lhs = getLhs().getType(), rhs = getRhs().getType();
  int64_t kl = lhs.getShape().back();
  int64_t kr = rhs.getRank() == 1 ? rhs.getShape()[0]
                                  : rhs.getShape()[rhs.getRank() - 2];
  if (!sameDim(kl, kr))
    return emitOpError("contraction dimensions differ: ") << kl << " vs " << kr;
  if ((bool)getLhsZeroPoint() != (bool)getRhsZeroPoint())
    return emitOpError("zero points come in pairs (use 0 for a missing one)");
  // A zero point is per tensor, or one per row (lhs) / column (rhs).
  auto checkZeroPoint = [&](Value zp, RankedTensorType operand, int64_t dim,
                            StringRef name) -> LogicalResult {
    if (!zp)
      return success();
    auto zpType = llvm::cast<RankedTensorType>(zp.getType());
    if (zpType.getElementType() != operand.getElementType())
      return emitOpError(name) << " zero point type differs from the operand's";
    if (zpType.getNumElements() == 1)
      return success();
    if (zpType.getRank() != 1 || operand.getRank() != 2 ||
        !sameDim(zpType.getDimSize(0), operand.getDimSize(dim)))
      return emitOpError(name)
             << " zero point must be a scalar or one per "
             << (dim == 0 ? "row" : "column") << " of a 2-D operand";
    return success();
  };
  if (failed(checkZeroPoint(getLhsZeroPoint(), lhs, 0, "lhs")) ||
      failed(checkZeroPoint(getRhsZeroPoint(), rhs, 1, "rhs")))
    return failure();
  return success();
}

/// The packed-weight operands and attributes dsq.weight_matmul and
/// dsq.weight_matmul_integer share, against the input's type.
static LogicalResult
verifyPackedWeights(Operation *op, RankedTensorType input,
                    RankedTensorType weight, RankedTensorType scale,
                    Value zeroPoint, Value bias, RankedTensorType result,
                    int64_t bits, int64_t group, int64_t k) {
  if (bits != 2 && bits != 4 && bits != 8)
    return op->emitOpError("bits must be 2, 4 or 8, got ") << bits;
  if (group <= 0 || k <= 0)
    return op->emitOpError("group_size and in_features must be positive");
  if (input.getRank() < 1 || !sameDim(input.getShape().back(), k))
    return op->emitOpError("input's last dim must be in_features = ") << k;
  if (weight.getRank() != 2 || scale.getRank() != 2)
    return op->emitOpError(
        "weight and scale must be 2-D ([N, bytes], [N, groups])");
  if (group % (8 / bits) != 0)
    return op->emitOpError("group_size ")
           << group << " does not fill whole bytes of " << bits << "-bit codes";
  int64_t groups = llvm::divideCeil(k, group);
  int64_t n = weight.getDimSize(0);
  if (scale.getDimSize(0) != n || scale.getDimSize(1) != groups)
    return op->emitOpError("scale must be [") << n << ", " << groups << "]";
  if (weight.getDimSize(1) != groups * group * bits / 8)
    return op->emitOpError("weight rows must hold ")
           << groups << " groups of " << group << " " << bits
           << "-bit codes, i.e. " << groups * group * bits / 8 << " bytes";
  if (zeroPoint && llvm::cast<RankedTensorType>(zeroPoint.getType())
                           .getShape() != scale.getShape())
    return op->emitOpError("zero point and scale shapes differ");
  auto biasType = bias ? llvm::cast<RankedTensorType>(bias.getType())
                       : RankedTensorType();
  if (bias && (biasType.getRank() != 1 || biasType.getDimSize(0) != n))
    return op->emitOpError("bias must be 1-D with ") << n << " entries";
  if (result.getRank() != input.getRank() || result.getShape().back() != n)
    return op->emitOpError("result must be the input's shape with N = ")
           << n << " last";
  return success();
}

LogicalResult WeightMatMulOp::verify() {
  return verifyPackedWeights(*this, getInput().getType(),
                             getWeight().getType(), getScale().getType(),
                             getZeroPoint(), getBias(), getType(), getBits(),
                             getGroupSize(), getInFeatures());
}

LogicalResult WeightMatMulIntegerOp::verify() {
  if (failed(verifyPackedWeights(*this, getInput().getType(),
                                 getWeight().getType(), getScale().getType(),
                                 getZeroPoint(), getBias(), getType(),
                                 getBits(), getGroupSize(), getInFeatures())))
    return failure();
  if (getBits() == 8)
    return emitOpError("8-bit weights with 8-bit activations are "
                       "dsq.matmul_integer's");
  int64_t word = 4 * (8 / getBits());
  if (getGroupSize() % word != 0)
    return emitOpError("group_size ")
           << getGroupSize() << " does not fill whole 32-bit words of four "
           << getBits() << "-bit codes per column (a multiple of " << word
           << ")";
  return success();
}

#define GET_OP_CLASSES
#include "dialects/Quant/IR/QuantOps.cpp.inc"

LogicalResult Im2ColOp::verify() {
  auto input = getInput().getType(), result = getType();
  Type elt = input.getElementType();
  if (getPadValue().getType().getElementType() != elt ||
      result.getElementType() != elt)
    return emitOpError("input, pad value and result element types differ");
  int64_t spatial = input.getRank() - 2;
  if (spatial < 1)
    return emitOpError("input must be [N, C, spatial...]");
  if ((int64_t)getKernelShape().size() != spatial ||
      (int64_t)getStrides().size() != spatial ||
      (int64_t)getDilations().size() != spatial ||
      (int64_t)getPads().size() != 2 * spatial)
    return emitOpError("kernel_shape, strides and dilations need one entry "
                       "per spatial axis, pads two");
  int64_t pixels = 1, taps = input.getDimSize(1);
  if (ShapedType::isDynamic(taps))
    return emitOpError("the channel dim must be static");
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t size = input.getDimSize(2 + i), kernel = getKernelShape()[i];
    int64_t stride = getStrides()[i], dilation = getDilations()[i];
    if (ShapedType::isDynamic(size))
      return emitOpError("spatial dims must be static");
    if (kernel <= 0 || stride <= 0 || dilation <= 0 || getPads()[i] < 0 ||
        getPads()[spatial + i] < 0)
      return emitOpError("kernel sizes, strides and dilations must be "
                         "positive and pads non-negative");
    int64_t span = size + getPads()[i] + getPads()[spatial + i] -
                   dilation * (kernel - 1) - 1;
    if (span < 0)
      return emitOpError("the kernel is larger than padded spatial axis ") << i;
    pixels *= span / stride + 1;
    taps *= kernel;
  }
  if (result.getRank() != 3 ||
      !sameDim(result.getDimSize(0), input.getDimSize(0)) ||
      result.getDimSize(1) != pixels || result.getDimSize(2) < taps)
    return emitOpError("result must be [N, ")
           << pixels << ", Q] with Q >= " << taps;
  return success();
}
