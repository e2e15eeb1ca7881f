//===- QuantHandlers.cpp - ONNX quantization ops to dsq -------------------===//
//
// Pre-quantized models (QDQ pairs, QLinear*, *Integer, MatMulNBits) map to
// dsq ops. The QLinear ops become an integer contraction followed by one
// requantization, round(acc * (s_a * s_b / s_y)) + zp_y, the formula of the
// ONNX reference, so results match it bit for bit.
//
//===----------------------------------------------------------------------===//

#include "compiler/Import/ONNX/ImporterImpl.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::onnx_import;
namespace g = mlir::ds::graph;
namespace q = mlir::ds::quant;

namespace {

RankedTensorType typeOf(Value v) {
  return llvm::cast<RankedTensorType>(v.getType());
}

/// A one-element scale or zero point as rank 0, so that a scale [] and a
/// zero point [1] (both legal ONNX) have one layout.
Value scalarize(NodeImporter &n, Value v) {
  if (!v || typeOf(v).getRank() == 0 || typeOf(v).getNumElements() != 1)
    return v;
  return n.create<g::ReshapeOp>(
      RankedTensorType::get({}, typeOf(v).getElementType()), v);
}

/// The op, or the node named in an error when its quantization parameters
/// are inconsistent (the verifier said how, at the node's location).
FailureOr<Operation *> verified(NodeImporter &n, Operation *op) {
  if (succeeded(mlir::verify(op)))
    return op;
  n.error() << "inconsistent quantization parameters";
  return failure();
}

Value castTo(NodeImporter &n, Value v, Type elt) {
  return n.create<g::CastOp>(RankedTensorType::get(typeOf(v).getShape(), elt),
                             v);
}

/// A dsg binary op on scales or zero points, its result shape broadcast.
template <typename OpTy>
FailureOr<Value> binary(NodeImporter &n, Value a, Value b) {
  auto shape = g::broadcastShapes(typeOf(a).getShape(), typeOf(b).getShape());
  if (failed(shape))
    return n.error() << "scale shapes do not broadcast";
  return n.create<OpTy>(
      RankedTensorType::get(*shape, typeOf(a).getElementType()), a, b);
}

FailureOr<Value> quantize(NodeImporter &n, Value x, Value scale, Value zp,
                          Type elt, int64_t axis, int64_t block) {
  // A constant scale that is 0, negative or not finite is a broken model
  // (the ops themselves survive one at run time: see dsq.quantize).
  DenseElementsAttr scales;
  if (matchPattern(scale, m_Constant(&scales)) &&
      llvm::isa<FloatType>(scales.getElementType()))
    for (const APFloat &s : scales.getValues<APFloat>())
      if (!s.isFiniteNonZero() || s.isNegative()) {
        SmallString<16> text;
        s.toString(text);
        return n.error() << "quantization scale must be positive and finite, "
                            "got "
                         << text;
      }
  auto type = RankedTensorType::get(typeOf(x).getShape(), elt);
  auto op = n.b.create<q::QuantizeOp>(n.loc, type, x, scalarize(n, scale),
                                      scalarize(n, zp), axis, block);
  if (failed(verified(n, op)))
    return failure();
  return op.getResult();
}

FailureOr<Value> dequantize(NodeImporter &n, Value x, Value scale, Value zp,
                            int64_t axis, int64_t block) {
  auto type = RankedTensorType::get(typeOf(x).getShape(),
                                    typeOf(scale).getElementType());
  auto op = n.b.create<q::DequantizeOp>(n.loc, type, x, scalarize(n, scale),
                                        scalarize(n, zp), axis, block);
  if (failed(verified(n, op)))
    return failure();
  return op.getResult();
}

LogicalResult importQuantizeLinear(NodeImporter &n) {
  if (!llvm::isa<FloatType>(n.inputType(0).getElementType()))
    return n.error() << "QuantizeLinear input must be float";
  Type elt = n.hasInput(2)
                 ? n.inputType(2).getElementType()
                 : IntegerType::get(n.b.getContext(), 8, IntegerType::Unsigned);
  if (n.hasAttr("output_dtype") && !n.hasInput(2))
    elt = elementTypeFor(n.b.getContext(), n.attrInt("output_dtype", 0));
  if (!elt || !llvm::isa<IntegerType>(elt) || elt.getIntOrFloatBitWidth() > 16)
    return n.error()
           << "QuantizeLinear to " << elt
           << " is not supported (8- and 16-bit integers and int4 are)";
  FailureOr<Value> y =
      quantize(n, n.input(0), n.input(1), n.input(2), elt, n.attrInt("axis", 1),
               n.attrInt("block_size", 0));
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

LogicalResult importDequantizeLinear(NodeImporter &n) {
  if (!llvm::isa<IntegerType>(n.inputType(0).getElementType()))
    return n.error() << "DequantizeLinear of "
                     << n.inputType(0).getElementType() << " is not supported";
  FailureOr<Value> y =
      dequantize(n, n.input(0), n.input(1), n.input(2), n.attrInt("axis", 1),
                 n.attrInt("block_size", 0));
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

LogicalResult importDynamicQuantizeLinear(NodeImporter &n) {
  auto in = n.inputType(0);
  MLIRContext *ctx = n.b.getContext();
  Type u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  auto op = n.b.create<q::DynamicQuantizeOp>(
      n.loc, RankedTensorType::get(in.getShape(), u8),
      RankedTensorType::get({}, Float32Type::get(ctx)),
      RankedTensorType::get({}, u8), n.input(0));
  for (unsigned i = 0; i < 3; ++i)
    n.setOutput(i, op->getResult(i));
  return success();
}

/// Zero points come in pairs in dsq.matmul_integer; a missing one is 0.
std::pair<Value, Value> zeroPointPair(NodeImporter &n, Value lhs, Value lhsZp,
                                      Value rhs, Value rhsZp) {
  lhsZp = scalarize(n, lhsZp);
  rhsZp = scalarize(n, rhsZp);
  if (!lhsZp && !rhsZp)
    return {};
  auto zeroOf = [&](Value operand) -> Value {
    auto type = RankedTensorType::get({}, typeOf(operand).getElementType());
    return n.constant(
        DenseElementsAttr::get(type, APInt(type.getElementTypeBitWidth(), 0)));
  };
  return {lhsZp ? lhsZp : zeroOf(lhs), rhsZp ? rhsZp : zeroOf(rhs)};
}

FailureOr<Value> matmulInteger(NodeImporter &n, Value a, Value aZp, Value b,
                               Value bZp) {
  auto shape = matmulResultShape(n, typeOf(a), typeOf(b));
  if (failed(shape))
    return failure();
  auto [lhsZp, rhsZp] = zeroPointPair(n, a, aZp, b, bZp);
  auto op = n.b.create<q::MatMulIntegerOp>(
      n.loc, RankedTensorType::get(*shape, n.b.getI32Type()), a, b, lhsZp,
      rhsZp);
  if (failed(verified(n, op)))
    return failure();
  return op.getResult();
}

/// ConvInteger as an i32 convolution of the centered operands: the input
/// minus its zero point (so zero padding pads with the zero point, as the
/// reference does) and the weight minus its per-tensor or per-output-
/// channel zero point.
FailureOr<Value> convInteger(NodeImporter &n, Value x, Value xZp, Value w,
                             Value wZp, Value bias) {
  Type i32 = n.b.getI32Type();
  auto centered = [&](Value v, Value zp) -> FailureOr<Value> {
    Value wide = castTo(n, v, i32);
    if (!zp)
      return wide;
    zp = scalarize(n, zp);
    if (typeOf(zp).getRank() == 1) {
      // One per output channel: [M] -> [M, 1, ...] against [M, C, k...].
      SmallVector<int64_t> shape(typeOf(v).getRank(), 1);
      shape[0] = typeOf(zp).getDimSize(0);
      zp = n.create<g::ReshapeOp>(
          RankedTensorType::get(shape, typeOf(zp).getElementType()), zp);
    }
    return binary<g::SubOp>(n, wide, castTo(n, zp, i32));
  };
  FailureOr<Value> input = centered(x, xZp), weight = centered(w, wZp);
  if (failed(input) || failed(weight))
    return failure();
  return buildConv(n, *input, *weight, bias);
}

/// round(acc * multiplier) + zero point, saturated to `elt`, with the
/// multiplier per tensor or along `axis`.
FailureOr<Value> requantize(NodeImporter &n, Value acc, Value multiplier,
                            Value zp, Type elt, int64_t axis) {
  FailureOr<Value> real = dequantize(n, acc, multiplier, Value(), axis, 0);
  if (failed(real))
    return failure();
  Value one = n.constant(DenseElementsAttr::get(
      RankedTensorType::get({}, n.b.getF32Type()), 1.0f));
  return quantize(n, *real, one, zp, elt, axis, 0);
}

/// s_a * s_b / s_y, the factor from the i32 accumulator to output codes.
FailureOr<Value> requantizeMultiplier(NodeImporter &n, Value aScale,
                                      Value bScale, Value yScale) {
  Value a = scalarize(n, aScale);
  Value b = scalarize(n, bScale);
  FailureOr<Value> product = binary<g::MulOp>(n, a, b);
  if (failed(product))
    return failure();
  return binary<g::DivOp>(n, *product, scalarize(n, yScale));
}

LogicalResult importMatMulInteger(NodeImporter &n) {
  FailureOr<Value> acc =
      matmulInteger(n, n.input(0), n.input(2), n.input(1), n.input(3));
  if (failed(acc))
    return failure();
  n.setOutput(0, *acc);
  return success();
}

LogicalResult importConvInteger(NodeImporter &n) {
  FailureOr<Value> acc =
      convInteger(n, n.input(0), n.input(2), n.input(1), n.input(3), Value());
  if (failed(acc))
    return failure();
  n.setOutput(0, *acc);
  return success();
}

LogicalResult importQLinearMatMul(NodeImporter &n) {
  FailureOr<Value> acc =
      matmulInteger(n, n.input(0), n.input(2), n.input(3), n.input(5));
  if (failed(acc))
    return failure();
  FailureOr<Value> multiplier =
      requantizeMultiplier(n, n.input(1), n.input(4), n.input(6));
  if (failed(multiplier))
    return failure();
  if (typeOf(*multiplier).getRank() > 1)
    return n.error() << "QLinearMatMul with per-row and per-column scales "
                        "together is not supported";
  // A per-column b scale is along the result's last axis.
  FailureOr<Value> y = requantize(n, *acc, *multiplier, n.input(7),
                                  n.inputType(7).getElementType(), -1);
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

LogicalResult importQLinearConv(NodeImporter &n) {
  FailureOr<Value> acc = convInteger(n, n.input(0), n.input(2), n.input(3),
                                     n.input(5), n.input(8));
  if (failed(acc))
    return failure();
  FailureOr<Value> multiplier =
      requantizeMultiplier(n, n.input(1), n.input(4), n.input(6));
  if (failed(multiplier))
    return failure();
  // A per-output-channel weight scale is along the channel axis.
  FailureOr<Value> y = requantize(n, *acc, *multiplier, n.input(7),
                                  n.inputType(7).getElementType(), 1);
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

/// com.microsoft MatMulNBits: B is [N, blocks, blob] bytes of `bits`-wide
/// codes, low bits first; scales [N * blocks]; zero points packed the same
/// way, one per block, default 2^(bits-1).
LogicalResult importMatMulNBits(NodeImporter &n) {
  int64_t k = n.attrInt("K", 0), nOut = n.attrInt("N", 0);
  int64_t bits = n.attrInt("bits", 4), block = n.attrInt("block_size", 0);
  if (bits != 2 && bits != 4 && bits != 8)
    return n.error() << "MatMulNBits with " << bits
                     << "-bit weights is not supported (2, 4 and 8 are)";
  if (k <= 0 || nOut <= 0 || block <= 0 || block % (8 / bits))
    return n.error() << "MatMulNBits needs positive K, N and a block_size "
                        "that fills whole bytes";
  if (n.hasInput(4))
    return n.error() << "MatMulNBits with g_idx is not supported";
  auto a = n.inputType(0);
  if (a.getRank() < 1 || a.getShape().back() != k)
    return n.error() << "input's last dim must be K = " << k;
  int64_t blocks = llvm::divideCeil(k, block);
  int64_t rowBytes = blocks * block * bits / 8;
  MLIRContext *ctx = n.b.getContext();
  Type u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  if (n.inputType(1).getNumElements() != nOut * rowBytes ||
      n.inputType(2).getNumElements() != nOut * blocks)
    return n.error() << "B must hold " << nOut * rowBytes
                     << " bytes and scales " << nOut * blocks << " values";
  Value weight = n.create<g::ReshapeOp>(
      RankedTensorType::get({nOut, rowBytes}, u8), n.input(1));
  Value scale = n.create<g::ReshapeOp>(
      RankedTensorType::get({nOut, blocks}, n.inputType(2).getElementType()),
      n.input(2));
  Value zeroPoint;
  if (n.hasInput(3)) {
    DenseElementsAttr packed = n.constantInput(3);
    if (!packed || !packed.getElementType().isUnsignedInteger(8))
      return n.error() << "MatMulNBits zero points must be constant packed "
                          "uint8 (float zero points are not supported)";
    int64_t perByte = 8 / bits, rowZpBytes = llvm::divideCeil(blocks, perByte);
    if (packed.getNumElements() != nOut * rowZpBytes)
      return n.error() << "zero points must hold " << nOut * rowZpBytes
                       << " bytes";
    auto bytes = llvm::to_vector(packed.getValues<uint8_t>());
    SmallVector<uint8_t> codes;
    for (int64_t row = 0; row < nOut; ++row)
      for (int64_t g = 0; g < blocks; ++g) {
        uint8_t byte = bytes[row * rowZpBytes + g / perByte];
        codes.push_back((byte >> ((g % perByte) * bits)) & ((1 << bits) - 1));
      }
    zeroPoint = n.constant(DenseElementsAttr::get(
        RankedTensorType::get({nOut, blocks}, u8), ArrayRef<uint8_t>(codes)));
  }
  SmallVector<int64_t> shape(a.getShape());
  shape.back() = nOut;
  auto op = n.b.create<q::WeightMatMulOp>(
      n.loc, RankedTensorType::get(shape, a.getElementType()), n.input(0),
      weight, scale, zeroPoint, n.input(5), bits, block, k);
  if (failed(verified(n, op)))
    return failure();
  n.setOutput(0, op.getResult());
  return success();
}

} // namespace

void mlir::ds::onnx_import::addQuantHandlers(HandlerTable &t) {
  t.add("QuantizeLinear", 10, importQuantizeLinear);
  t.add("DequantizeLinear", 10, importDequantizeLinear);
  t.add("DynamicQuantizeLinear", 11, importDynamicQuantizeLinear);
  t.add("MatMulInteger", 10, importMatMulInteger);
  t.add("ConvInteger", 10, importConvInteger);
  t.add("QLinearMatMul", 10, importQLinearMatMul);
  t.add("QLinearConv", 10, importQLinearConv);
  t.add("com.microsoft.MatMulNBits", 1, importMatMulNBits);
}
