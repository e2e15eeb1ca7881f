//===- OpHandlers.cpp - one handler per (ONNX op, since-opset) ------------===//
//
// Each handler maps one ONNX node to dsg ops. Attributes that ONNX moved to
// inputs in later opsets get separate handlers, keyed by the opset that made
// the change. Result types come from our own shape rules where they are
// cheap and from ONNX shape inference otherwise.
//
//===----------------------------------------------------------------------===//

#include "compiler/Import/ONNX/ImporterImpl.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"

#include <cctype>
#include <cmath>
#include <map>
#include <numeric>

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::onnx_import;
namespace g = mlir::ds::graph;

namespace {

RankedTensorType withShape(RankedTensorType t, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, t.getElementType());
}

RankedTensorType withElement(RankedTensorType t, Type elt) {
  return RankedTensorType::get(t.getShape(), elt);
}

/// A scalar-like tensor constant of `type` holding `value`.
DenseElementsAttr splat(RankedTensorType type, double value) {
  Type elt = type.getElementType();
  if (llvm::isa<FloatType>(elt))
    return DenseElementsAttr::get(type, FloatAttr::get(elt, value).getValue());
  return DenseElementsAttr::get(
      type, APInt(elt.getIntOrFloatBitWidth(), (int64_t)value, true));
}

Value scalarConstant(NodeImporter &n, Type elt, double value) {
  return n.constant(splat(RankedTensorType::get({}, elt), value));
}

FailureOr<RankedTensorType> broadcastType(NodeImporter &n, ValueRange values,
                                          Type elt) {
  SmallVector<int64_t> shape;
  for (Value v : values) {
    auto next = g::broadcastShapes(
        shape, llvm::cast<RankedTensorType>(v.getType()).getShape());
    if (failed(next)) {
      n.error() << "operand shapes are not broadcast-compatible";
      return failure();
    }
    shape = *next;
  }
  return RankedTensorType::get(shape, elt);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <typename OpTy>
LogicalResult unary(NodeImporter &n) {
  n.setOutput(0, n.create<OpTy>(n.inputType(0), n.input(0)));
  return success();
}

/// Before opset 7, `broadcast=1` with `axis` aligned the second operand to
/// that axis of the first; as a reshape it becomes numpy broadcasting.
Value legacyBroadcastOperand(NodeImporter &n) {
  Value rhs = n.input(1);
  if (n.opset >= 7 || !n.attrInt("broadcast", 0) || !n.hasAttr("axis"))
    return rhs;
  auto lhs = n.inputType(0), r = n.inputType(1);
  int64_t axis = n.attrInt("axis", 0);
  if (axis < 0)
    axis += lhs.getRank();
  SmallVector<int64_t> shape(r.getShape());
  for (int64_t d = axis + r.getRank(); d < lhs.getRank(); ++d)
    shape.push_back(1);
  return n.create<g::ReshapeOp>(withShape(r, shape), rhs);
}

template <typename OpTy, bool Compare = false>
LogicalResult binary(NodeImporter &n) {
  Type elt = Compare ? n.b.getI1Type() : n.inputType(0).getElementType();
  Value rhs = legacyBroadcastOperand(n);
  auto type = broadcastType(n, {n.input(0), rhs}, elt);
  if (failed(type))
    return failure();
  n.setOutput(0, n.create<OpTy>(*type, n.input(0), rhs));
  return success();
}

/// Max, Min, Sum, Mean: a left fold over any number of inputs.
template <typename OpTy>
LogicalResult variadic(NodeImporter &n, bool mean = false) {
  Value acc = n.input(0);
  Type elt = n.inputType(0).getElementType();
  for (size_t i = 1; i < n.numInputs(); ++i) {
    auto type = broadcastType(n, {acc, n.input(i)}, elt);
    if (failed(type))
      return failure();
    acc = n.create<OpTy>(*type, acc, n.input(i));
  }
  if (mean && n.numInputs() > 1) {
    Value count = scalarConstant(n, elt, n.numInputs());
    acc = n.create<g::DivOp>(acc.getType(), acc, count);
  }
  n.setOutput(0, acc);
  return success();
}

LogicalResult importMod(NodeImporter &n) {
  auto type = broadcastType(n, {n.input(0), n.input(1)},
                            n.inputType(0).getElementType());
  if (failed(type))
    return failure();
  n.setOutput(0, n.create<g::ModOp>(*type, n.input(0), n.input(1),
                                    n.attrInt("fmod", 0) != 0));
  return success();
}

LogicalResult importBitShift(NodeImporter &n) {
  auto type = broadcastType(n, {n.input(0), n.input(1)},
                            n.inputType(0).getElementType());
  if (failed(type))
    return failure();
  n.setOutput(0, n.create<g::BitShiftOp>(*type, n.input(0), n.input(1),
                                         n.attrString("direction", "") == "LEFT"));
  return success();
}

LogicalResult importWhere(NodeImporter &n) {
  auto type = broadcastType(n, {n.input(0), n.input(1), n.input(2)},
                            n.inputType(1).getElementType());
  if (failed(type))
    return failure();
  n.setOutput(0, n.create<g::WhereOp>(*type, n.input(0), n.input(1), n.input(2)));
  return success();
}

LogicalResult importPRelu(NodeImporter &n) {
  auto x = n.inputType(0), slope = n.inputType(1);
  // Before opset 7 a 1-D slope with one value per channel applied to axis 1.
  if (n.opset < 7 && slope.getRank() == 1 && x.getRank() > 2 &&
      slope.getShape()[0] == x.getShape()[1] && slope.getShape()[0] != 1) {
    SmallVector<int64_t> shape(x.getRank() - 1, 1);
    shape[0] = slope.getShape()[0];
    Value s = n.create<g::ReshapeOp>(withShape(slope, shape), n.input(1));
    n.setOutput(0, n.create<g::PReluOp>(x, n.input(0), s));
    return success();
  }
  return binary<g::PReluOp>(n);
}

/// Activations with two float parameters (Selu, HardSigmoid, Shrink).
template <typename OpTy>
LogicalResult unaryWithTwoParams(NodeImporter &n, StringRef first,
                                 float firstDefault, StringRef second,
                                 float secondDefault) {
  n.setOutput(0, n.create<OpTy>(
                     n.inputType(0), n.input(0),
                     n.b.getF32FloatAttr(n.attrFloat(first, firstDefault)),
                     n.b.getF32FloatAttr(n.attrFloat(second, secondDefault))));
  return success();
}

template <typename OpTy>
LogicalResult unaryWithAlpha(NodeImporter &n, float fallback) {
  n.setOutput(0, n.create<OpTy>(n.inputType(0), n.input(0),
                                n.b.getF32FloatAttr(n.attrFloat("alpha", fallback))));
  return success();
}

LogicalResult importClip(NodeImporter &n) {
  Type elt = n.inputType(0).getElementType();
  Value lo, hi;
  if (n.opset < 11) {
    // Bounds were attributes before opset 11.
    if (n.hasAttr("min"))
      lo = scalarConstant(n, elt, n.attrFloat("min", 0));
    if (n.hasAttr("max"))
      hi = scalarConstant(n, elt, n.attrFloat("max", 0));
  } else {
    lo = n.input(1);
    hi = n.input(2);
  }
  n.setOutput(0, n.create<g::ClipOp>(n.inputType(0), n.input(0), lo, hi));
  return success();
}

LogicalResult importCast(NodeImporter &n) {
  Type elt = elementTypeFor(n.b.getContext(), n.attrInt("to", 0));
  if (!elt)
    return n.error() << "cast to unsupported element type " << n.attrInt("to", 0);
  n.setOutput(0, n.create<g::CastOp>(withElement(n.inputType(0), elt), n.input(0)));
  return success();
}

LogicalResult importCastLike(NodeImporter &n) {
  Type elt = n.inputType(1).getElementType();
  n.setOutput(0, n.create<g::CastOp>(withElement(n.inputType(0), elt), n.input(0)));
  return success();
}

LogicalResult importIdentity(NodeImporter &n) {
  n.setOutput(0, n.input(0));
  return success();
}

LogicalResult importDropout(NodeImporter &n) {
  // Inference: the identity, and an all-true mask if anyone asks for it.
  // Training mode (opset 12+: a third input that is not constant false)
  // draws random masks, which a deterministic artifact cannot do.
  if (n.hasInput(2)) {
    DenseElementsAttr training = n.constantInput(2);
    DenseElementsAttr ratio = n.constantInput(1);
    bool inference = training && training.isSplat() &&
                     !training.getSplatValue<bool>();
    bool zeroRatio = ratio && ratio.isSplat() &&
                     llvm::isa<FloatType>(ratio.getElementType()) &&
                     ratio.getSplatValue<APFloat>().isZero();
    if (!inference && !zeroRatio)
      return n.error() << "training-mode Dropout is not supported";
  }
  if (n.attrInt("is_test", 1) == 0 && n.opset < 7)
    return n.error() << "training-mode Dropout is not supported";
  n.setOutput(0, n.input(0));
  if (n.wantsOutput(1)) {
    if (isDynamic(n.input(0).getType()))
      return n.error() << "the mask output needs a static input shape";
    auto maskType = withElement(n.inputType(0), n.b.getI1Type());
    n.setOutput(1, n.constant(DenseElementsAttr::get(maskType, true)));
  }
  return success();
}

LogicalResult importIsInf(NodeImporter &n) {
  auto type = withElement(n.inputType(0), n.b.getI1Type());
  n.setOutput(0, n.create<g::IsInfOp>(type, n.input(0),
                                      n.attrInt("detect_negative", 1) != 0,
                                      n.attrInt("detect_positive", 1) != 0));
  return success();
}

LogicalResult importIsNaN(NodeImporter &n) {
  auto type = withElement(n.inputType(0), n.b.getI1Type());
  n.setOutput(0, n.create<g::IsNaNOp>(type, n.input(0)));
  return success();
}

LogicalResult importGelu(NodeImporter &n) {
  n.setOutput(0, n.create<g::GeluOp>(n.inputType(0), n.input(0),
                                     n.attrString("approximate", "none") == "tanh"));
  return success();
}

//===----------------------------------------------------------------------===//
// Linear algebra, convolution, pooling
//===----------------------------------------------------------------------===//

} // namespace

FailureOr<SmallVector<int64_t>>
mlir::ds::onnx_import::matmulResultShape(NodeImporter &n, RankedTensorType lhs,
                                         RankedTensorType rhs) {
  if (lhs.getRank() < 1 || rhs.getRank() < 1)
    return n.error() << n.node.op_type() << " operands must have rank >= 1";
  SmallVector<int64_t> batchL(lhs.getShape().drop_back(std::min<int64_t>(2, lhs.getRank())));
  SmallVector<int64_t> batchR(rhs.getShape().drop_back(std::min<int64_t>(2, rhs.getRank())));
  auto batch = g::broadcastShapes(batchL, batchR);
  if (failed(batch))
    return n.error() << n.node.op_type()
                     << " batch dimensions do not broadcast";
  SmallVector<int64_t> shape(*batch);
  if (lhs.getRank() > 1)
    shape.push_back(lhs.getShape()[lhs.getRank() - 2]);
  if (rhs.getRank() > 1)
    shape.push_back(rhs.getShape().back());
  return shape;
}

namespace {

LogicalResult importMatMul(NodeImporter &n) {
  auto shape = matmulResultShape(n, n.inputType(0), n.inputType(1));
  if (failed(shape))
    return failure();
  n.setOutput(0, n.create<g::MatMulOp>(withShape(n.inputType(0), *shape),
                                       n.input(0), n.input(1)));
  return success();
}

LogicalResult importGemm(NodeImporter &n) {
  auto a = n.inputType(0), b = n.inputType(1);
  if (a.getRank() != 2 || b.getRank() != 2)
    return n.error() << "Gemm operands must be 2-D";
  bool transA = n.attrInt("transA", 0), transB = n.attrInt("transB", 0);
  int64_t m = a.getShape()[transA ? 1 : 0];
  int64_t nn = b.getShape()[transB ? 0 : 1];
  n.setOutput(0, n.create<g::GemmOp>(
                     withShape(a, {m, nn}), n.input(0), n.input(1), n.input(2),
                     n.b.getF32FloatAttr(n.attrFloat("alpha", 1.0f)),
                     n.b.getF32FloatAttr(n.attrFloat("beta", 1.0f)),
                     n.b.getBoolAttr(transA), n.b.getBoolAttr(transB)));
  return success();
}

/// Spatial attributes shared by Conv and the pools, with auto_pad resolved.
struct WindowAttrs {
  SmallVector<int64_t> kernel, strides, dilations, pads;
};

FailureOr<WindowAttrs> windowAttrs(NodeImporter &n, ArrayRef<int64_t> inShape,
                                   ArrayRef<int64_t> kernel) {
  size_t spatial = inShape.size() - 2;
  WindowAttrs w;
  w.kernel.assign(kernel.begin(), kernel.end());
  auto get = [&](StringRef name, size_t count,
                 int64_t fallback) -> FailureOr<SmallVector<int64_t>> {
    auto v = n.attrInts(name);
    if (!v)
      return SmallVector<int64_t>(count, fallback);
    if (v->size() != count) {
      n.error() << "attribute '" << name << "' needs " << count << " values";
      return failure();
    }
    return SmallVector<int64_t>(v->begin(), v->end());
  };
  auto strides = get("strides", spatial, 1);
  auto dilations = get("dilations", spatial, 1);
  auto pads = get("pads", 2 * spatial, 0);
  if (failed(strides) || failed(dilations) || failed(pads))
    return failure();
  w.strides = *strides;
  w.dilations = *dilations;
  w.pads = *pads;
  for (size_t i = 0; i < spatial; ++i)
    if (w.strides[i] < 1 || w.dilations[i] < 1 || w.kernel[i] < 1) {
      n.error() << "strides, dilations and kernel sizes must be positive";
      return failure();
    }
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (size_t i = 0; i < spatial; ++i) {
      int64_t in = inShape[2 + i];
      int64_t out = (in + w.strides[i] - 1) / w.strides[i];
      int64_t window = (w.kernel[i] - 1) * w.dilations[i] + 1;
      int64_t total = std::max<int64_t>(0, (out - 1) * w.strides[i] + window - in);
      int64_t small = total / 2, large = total - small;
      w.pads[i] = autoPad == "SAME_UPPER" ? small : large;
      w.pads[spatial + i] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad == "VALID") {
    std::fill(w.pads.begin(), w.pads.end(), 0);
  } else if (autoPad != "NOTSET") {
    n.error() << "unknown auto_pad '" << autoPad << "'";
    return failure();
  }
  return w;
}

/// Output spatial size of a window op (floor, or ceil when `ceil`).
int64_t windowOutput(int64_t in, int64_t padBegin, int64_t padEnd, int64_t kernel,
                     int64_t stride, int64_t dilation, bool ceil) {
  int64_t span = in + padBegin + padEnd - ((kernel - 1) * dilation + 1);
  if (span < 0)
    return 0;
  int64_t out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
  // A last window that would start inside the end padding is dropped.
  if (ceil && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

} // namespace

FailureOr<Value> mlir::ds::onnx_import::buildConv(NodeImporter &n, Value input,
                                                  Value weight, Value bias) {
  auto in = llvm::cast<RankedTensorType>(input.getType());
  auto w = llvm::cast<RankedTensorType>(weight.getType());
  if (in.getRank() < 3 || w.getRank() != in.getRank())
    return n.error() << n.node.op_type()
                     << " needs input and weight of the same rank >= 3";
  auto attrs = windowAttrs(n, in.getShape(), w.getShape().drop_front(2));
  if (failed(attrs))
    return failure();
  SmallVector<int64_t> shape = {in.getShape()[0], w.getShape()[0]};
  size_t spatial = in.getRank() - 2;
  for (size_t i = 0; i < spatial; ++i)
    shape.push_back(windowOutput(in.getShape()[2 + i], attrs->pads[i],
                                 attrs->pads[spatial + i], attrs->kernel[i],
                                 attrs->strides[i], attrs->dilations[i], false));
  return n.create<g::ConvOp>(withShape(in, shape), input, weight, bias,
                             n.b.getDenseI64ArrayAttr(attrs->strides),
                             n.b.getDenseI64ArrayAttr(attrs->pads),
                             n.b.getDenseI64ArrayAttr(attrs->dilations),
                             n.b.getI64IntegerAttr(n.attrInt("group", 1)));
}

namespace {

LogicalResult importConv(NodeImporter &n) {
  FailureOr<Value> conv = buildConv(n, n.input(0), n.input(1), n.input(2));
  if (failed(conv))
    return failure();
  n.setOutput(0, *conv);
  return success();
}

/// ConvTranspose as a convolution: spread the input out by the stride,
/// pad by the kernel extent less the requested padding, and convolve with
/// the kernel flipped and its channel roles swapped.
LogicalResult importConvTranspose(NodeImporter &n) {
  auto in = n.inputType(0), w = n.inputType(1);
  int64_t rank = in.getRank();
  if (rank < 3 || w.getRank() != rank)
    return n.error() << "ConvTranspose needs input and weight of the same rank >= 3";
  int64_t spatial = rank - 2, group = n.attrInt("group", 1);
  int64_t cin = in.getShape()[1], coutPerGroup = w.getShape()[1];
  if (group < 1 || cin % group || w.getShape()[0] != cin)
    return n.error() << "weight must be [C_in, C_out/group, k...]";
  auto ints = [&](StringRef name, int64_t count, int64_t fallback) {
    auto v = n.attrInts(name);
    return v && (int64_t)v->size() == count ? SmallVector<int64_t>(v->begin(), v->end())
                                            : SmallVector<int64_t>(count, fallback);
  };
  SmallVector<int64_t> strides = ints("strides", spatial, 1);
  SmallVector<int64_t> dilations = ints("dilations", spatial, 1);
  SmallVector<int64_t> outPad = ints("output_padding", spatial, 0);
  SmallVector<int64_t> pads = ints("pads", 2 * spatial, 0);
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  auto outputShape = n.attrInts("output_shape");
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t inSize = in.getShape()[2 + i];
    int64_t extent = (w.getShape()[2 + i] - 1) * dilations[i] + 1;
    int64_t full = strides[i] * (inSize - 1) + outPad[i] + extent;
    int64_t target = -1;
    if (outputShape && (int64_t)outputShape->size() >= spatial)
      target = (*outputShape)[outputShape->size() - spatial + i];
    else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER")
      target = inSize * strides[i];
    if (target >= 0) {
      // Floor division, as ONNX's reference: a negative total (a target
      // beyond the natural size) grows the end.
      int64_t total = full - target;
      int64_t half = llvm::divideFloorSigned(total, 2);
      bool upper = autoPad == "SAME_UPPER";
      pads[i] = upper ? half : total - half;
      pads[spatial + i] = upper ? total - half : half;
    } else if (autoPad == "VALID") {
      pads[i] = pads[spatial + i] = 0;
    }
  }
  Type elt = in.getElementType();
  Value x = n.input(0);
  SmallVector<int64_t> shape(in.getShape());
  // 1. Spread: x[i] lands at i * stride, zeros between.
  if (llvm::any_of(strides, [](int64_t s) { return s > 1; })) {
    SmallVector<int64_t> interleaved(shape.begin(), shape.begin() + 2);
    SmallVector<int64_t> spreadPads(2 * (2 + 2 * spatial), 0);
    for (int64_t i = 0; i < spatial; ++i) {
      interleaved.push_back(shape[2 + i]);
      interleaved.push_back(1);
      spreadPads[(2 + 2 * spatial) + 3 + 2 * i] = strides[i] - 1;
    }
    x = n.create<g::ReshapeOp>(RankedTensorType::get(interleaved, elt), x);
    SmallVector<int64_t> padded(interleaved);
    for (int64_t i = 0; i < spatial; ++i)
      padded[3 + 2 * i] = strides[i];
    x = n.create<g::PadOp>(RankedTensorType::get(padded, elt), x,
                           n.b.getDenseI64ArrayAttr(spreadPads),
                           n.b.getStringAttr("constant"),
                           llvm::isa<FloatType>(elt) ? TypedAttr(n.b.getFloatAttr(elt, 0))
                                                     : TypedAttr(n.b.getIntegerAttr(elt, 0)));
    SmallVector<int64_t> merged(shape.begin(), shape.begin() + 2);
    for (int64_t i = 0; i < spatial; ++i)
      merged.push_back(shape[2 + i] * strides[i]);
    x = n.create<g::ReshapeOp>(RankedTensorType::get(merged, elt), x);
    for (int64_t i = 0; i < spatial; ++i)
      shape[2 + i] = (shape[2 + i] - 1) * strides[i] + 1;
    SmallVector<int64_t> zeros(rank, 0), ones(rank, 1);
    x = n.create<g::SliceOp>(RankedTensorType::get(shape, elt), x,
                             n.b.getDenseI64ArrayAttr(zeros),
                             n.b.getDenseI64ArrayAttr(ones));
  }
  // 2. Border: kernel extent - 1 less the padding; negative means crop.
  SmallVector<int64_t> starts(rank, 0), steps(rank, 1), cropped(shape);
  SmallVector<int64_t> grow(2 * rank, 0);
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t extent = (w.getShape()[2 + i] - 1) * dilations[i];
    int64_t before = extent - pads[i];
    int64_t after = extent - pads[spatial + i] + outPad[i];
    starts[2 + i] = std::max<int64_t>(0, -before);
    cropped[2 + i] -= std::max<int64_t>(0, -before) + std::max<int64_t>(0, -after);
    grow[2 + i] = std::max<int64_t>(0, before);
    grow[rank + 2 + i] = std::max<int64_t>(0, after);
    if (cropped[2 + i] <= 0)
      return n.error() << "padding removes the whole output";
  }
  if (cropped != shape)
    x = n.create<g::SliceOp>(RankedTensorType::get(cropped, elt), x,
                             n.b.getDenseI64ArrayAttr(starts),
                             n.b.getDenseI64ArrayAttr(steps));
  SmallVector<int64_t> grown(cropped);
  for (int64_t d = 0; d < rank; ++d)
    grown[d] += grow[d] + grow[rank + d];
  if (grown != cropped)
    x = n.create<g::PadOp>(RankedTensorType::get(grown, elt), x,
                           n.b.getDenseI64ArrayAttr(grow), n.b.getStringAttr("constant"),
                           llvm::isa<FloatType>(elt) ? TypedAttr(n.b.getFloatAttr(elt, 0))
                                                     : TypedAttr(n.b.getIntegerAttr(elt, 0)));
  // 3. Kernel: [C_in, C_out/g, k] -> [C_out, C_in/g, k], spatially flipped.
  int64_t cinPerGroup = cin / group;
  SmallVector<int64_t> kernel(w.getShape().drop_front(2));
  SmallVector<int64_t> split = {group, cinPerGroup, coutPerGroup};
  llvm::append_range(split, kernel);
  Value k = n.create<g::ReshapeOp>(RankedTensorType::get(split, elt), n.input(1));
  SmallVector<int64_t> perm = {0, 2, 1}, swapped = {group, coutPerGroup, cinPerGroup};
  for (int64_t i = 0; i < spatial; ++i) {
    perm.push_back(3 + i);
    swapped.push_back(kernel[i]);
  }
  k = n.create<g::TransposeOp>(RankedTensorType::get(swapped, elt), k,
                               n.b.getDenseI64ArrayAttr(perm));
  SmallVector<int64_t> convShape = {group * coutPerGroup, cinPerGroup};
  llvm::append_range(convShape, kernel);
  auto kType = RankedTensorType::get(convShape, elt);
  k = n.create<g::ReshapeOp>(kType, k);
  SmallVector<int64_t> kStarts(rank, 0), kSteps(rank, 1);
  for (int64_t i = 0; i < spatial; ++i) {
    kStarts[2 + i] = kernel[i] - 1;
    kSteps[2 + i] = -1;
  }
  k = n.create<g::SliceOp>(kType, k, n.b.getDenseI64ArrayAttr(kStarts),
                           n.b.getDenseI64ArrayAttr(kSteps));
  SmallVector<int64_t> outShape = {in.getShape()[0], group * coutPerGroup};
  for (int64_t i = 0; i < spatial; ++i)
    outShape.push_back(grown[2 + i] - (kernel[i] - 1) * dilations[i]);
  n.setOutput(0, n.create<g::ConvOp>(
                     RankedTensorType::get(outShape, elt), x, k, n.input(2),
                     n.b.getDenseI64ArrayAttr(SmallVector<int64_t>(spatial, 1)),
                     n.b.getDenseI64ArrayAttr(SmallVector<int64_t>(2 * spatial, 0)),
                     n.b.getDenseI64ArrayAttr(dilations), n.b.getI64IntegerAttr(group)));
  return success();
}

LogicalResult importBatchNorm(NodeImporter &n) {
  if (n.attrInt("training_mode", 0) != 0 || n.wantsOutput(1))
    return n.error() << "training-mode BatchNormalization is not supported";
  n.setOutput(0, n.create<g::BatchNormOp>(
                     n.inputType(0), n.input(0), n.input(1), n.input(2),
                     n.input(3), n.input(4),
                     n.b.getF32FloatAttr(n.attrFloat("epsilon", 1e-5f))));
  return success();
}

template <typename PoolOp>
LogicalResult importPool(NodeImporter &n) {
  auto in = n.inputType(0);
  if (in.getRank() < 3)
    return n.error() << "pooling needs an input of rank >= 3";
  if (n.wantsOutput(1))
    return n.error() << "the Indices output of MaxPool is not supported";
  auto kernel = n.attrInts("kernel_shape");
  if (!kernel || (int64_t)kernel->size() != in.getRank() - 2)
    return n.error() << "kernel_shape needs one value per spatial axis";
  auto attrs = windowAttrs(n, in.getShape(), *kernel);
  if (failed(attrs))
    return failure();
  bool ceil = n.attrInt("ceil_mode", 0) != 0;
  SmallVector<int64_t> shape(in.getShape().take_front(2));
  size_t spatial = in.getRank() - 2;
  for (size_t i = 0; i < spatial; ++i)
    shape.push_back(windowOutput(in.getShape()[2 + i], attrs->pads[i],
                                 attrs->pads[spatial + i], attrs->kernel[i],
                                 attrs->strides[i], attrs->dilations[i], ceil));
  auto type = withShape(in, shape);
  auto k = n.b.getDenseI64ArrayAttr(attrs->kernel);
  auto s = n.b.getDenseI64ArrayAttr(attrs->strides);
  auto p = n.b.getDenseI64ArrayAttr(attrs->pads);
  auto d = n.b.getDenseI64ArrayAttr(attrs->dilations);
  if constexpr (std::is_same_v<PoolOp, g::AveragePoolOp>)
    n.setOutput(0, n.create<g::AveragePoolOp>(
                       type, n.input(0), k, s, p, d,
                       n.b.getBoolAttr(n.attrInt("count_include_pad", 0) != 0)));
  else
    n.setOutput(0, n.create<g::MaxPoolOp>(type, n.input(0), k, s, p, d));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions and normalization
//===----------------------------------------------------------------------===//

/// The reduced axes: from the attribute (old opsets) or the second input.
FailureOr<SmallVector<int64_t>> reduceAxes(NodeImporter &n, bool axesAsInput) {
  int64_t rank = n.inputType(0).getRank();
  std::optional<std::vector<int64_t>> axes;
  if (axesAsInput) {
    if (n.hasInput(1)) {
      axes = n.constantInts(1);
      if (!axes) {
        n.error() << "reduction axes must be a compile-time constant";
        return failure();
      }
    }
  } else {
    axes = n.attrInts("axes");
  }
  SmallVector<int64_t> result;
  if (!axes || axes->empty()) {
    if (n.attrInt("noop_with_empty_axes", 0))
      return result;
    for (int64_t d = 0; d < rank; ++d)
      result.push_back(d);
    return result;
  }
  for (int64_t a : *axes) {
    auto axis = n.normalizeAxis(a, rank);
    if (failed(axis))
      return failure();
    result.push_back(*axis);
  }
  llvm::sort(result);
  result.erase(std::unique(result.begin(), result.end()), result.end());
  return result;
}

RankedTensorType reducedType(RankedTensorType in, ArrayRef<int64_t> axes,
                             bool keepdims) {
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (!llvm::is_contained(axes, d))
      shape.push_back(in.getShape()[d]);
    else if (keepdims)
      shape.push_back(1);
  }
  return withShape(in, shape);
}

template <typename ReduceOp>
Value buildReduce(NodeImporter &n, Value input, ArrayRef<int64_t> axes,
                  bool keepdims) {
  auto type = reducedType(llvm::cast<RankedTensorType>(input.getType()), axes,
                          keepdims);
  return n.create<ReduceOp>(type, input, n.b.getDenseI64ArrayAttr(axes),
                            n.b.getBoolAttr(keepdims));
}

/// ReduceX and the composite reductions (L1, L2, LogSum, ...): `pre` maps
/// the input elementwise, `post` maps the reduced result.
enum class Composite { None, L1, L2, SumSquare, LogSum, LogSumExp };

template <typename ReduceOp, Composite Kind = Composite::None>
LogicalResult importReduce(NodeImporter &n, bool axesAsInput) {
  auto axes = reduceAxes(n, axesAsInput);
  if (failed(axes) || failed(n.requireStaticDims(0, *axes, "the reduction")))
    return failure();
  bool keepdims = n.attrInt("keepdims", 1) != 0;
  Value x = n.input(0);
  auto type = n.inputType(0);
  if (axes->empty()) {
    // noop_with_empty_axes: only the elementwise part of a composite.
    if constexpr (Kind == Composite::L1 || Kind == Composite::L2)
      x = n.create<g::AbsOp>(type, x);
    else if constexpr (Kind == Composite::SumSquare)
      x = n.create<g::MulOp>(type, x, x);
    else if constexpr (Kind == Composite::LogSum)
      x = n.create<g::LogOp>(type, x);
    n.setOutput(0, x);
    return success();
  }
  if constexpr (Kind == Composite::L1)
    x = n.create<g::AbsOp>(type, x);
  if constexpr (Kind == Composite::L2 || Kind == Composite::SumSquare)
    x = n.create<g::MulOp>(type, x, x);
  if constexpr (Kind == Composite::LogSumExp) {
    // log(sum(exp(x - max))) + max, stable for large inputs.
    Value max = buildReduce<g::ReduceMaxOp>(n, x, *axes, true);
    Value shifted = n.create<g::SubOp>(type, x, max);
    Value sum = buildReduce<g::ReduceSumOp>(
        n, n.create<g::ExpOp>(type, shifted), *axes, true);
    Value result = n.create<g::AddOp>(sum.getType(),
                                      n.create<g::LogOp>(sum.getType(), sum), max);
    if (!keepdims)
      result = n.create<g::ReshapeOp>(reducedType(type, *axes, false), result);
    n.setOutput(0, result);
    return success();
  }
  Value r = buildReduce<ReduceOp>(n, x, *axes, keepdims);
  if constexpr (Kind == Composite::L2)
    r = n.create<g::SqrtOp>(r.getType(), r);
  if constexpr (Kind == Composite::LogSum)
    r = n.create<g::LogOp>(r.getType(), r);
  n.setOutput(0, r);
  return success();
}

LogicalResult importArgMax(NodeImporter &n, bool min) {
  auto in = n.inputType(0);
  auto axis = n.normalizeAxis(n.attrInt("axis", 0), in.getRank());
  if (failed(axis) || failed(n.requireStaticDims(0, {*axis}, "the reduction")))
    return failure();
  bool keepdims = n.attrInt("keepdims", 1) != 0;
  auto type = withElement(reducedType(in, {*axis}, keepdims), n.b.getI64Type());
  n.setOutput(0, n.create<g::ArgMaxOp>(type, n.input(0), *axis, keepdims,
                                       n.attrInt("select_last_index", 0) != 0,
                                       min));
  return success();
}

/// TopK by ranks, each step a dsg op (so a linalg.generic, no sort and no
/// data-dependent control flow): an element's rank counts the elements that
/// come before it in the order (a better value, or an equal one at a lower
/// index, ONNX's tie rule); output slot p takes the element of rank p. The
/// work is quadratic in the axis length, which suits the short axes TopK
/// sees in models (classes, beams).
LogicalResult importTopK(NodeImporter &n) {
  auto in = n.inputType(0);
  int64_t rank = in.getRank();
  auto axis = n.normalizeAxis(n.attrInt("axis", -1), rank);
  if (failed(axis) || failed(n.requireStaticDims(0, {*axis}, "TopK")))
    return failure();
  int64_t k;
  if (n.opset < 10) {
    k = n.attrInt("k", -1);
  } else {
    auto ks = n.constantInts(1);
    if (ks && ks->size() == 1) {
      k = ks->front();
    } else {
      // A run-time k: the declared output shape fixes it, as it fixes the
      // buffers the caller provides.
      auto declared = n.declaredType(0);
      if (!declared || declared->getRank() != rank ||
          declared->isDynamicDim(*axis))
        return n.error() << "k must be a compile-time constant or the "
                            "output shape declared";
      k = declared->getShape()[*axis];
    }
  }
  int64_t len = in.getShape()[*axis];
  if (k < 0 || k > len)
    return n.error() << "k = " << k << " is outside [0, " << len << "]";
  bool largest = n.attrInt("largest", 1) != 0;
  Type elt = in.getElementType();
  Type i1 = n.b.getI1Type(), i64 = n.b.getI64Type();

  // Work with the axis last.
  SmallVector<int64_t> perm, inverse(rank);
  for (int64_t d = 0; d < rank; ++d)
    if (d != *axis)
      perm.push_back(d);
  perm.push_back(*axis);
  for (int64_t d = 0; d < rank; ++d)
    inverse[perm[d]] = d;
  Value x = n.input(0);
  SmallVector<int64_t> outer;
  for (int64_t d : ArrayRef(perm).drop_back())
    outer.push_back(in.getShape()[d]);
  auto shaped = [&](ArrayRef<int64_t> tail, Type t) {
    SmallVector<int64_t> shape(outer);
    shape.append(tail.begin(), tail.end());
    return RankedTensorType::get(shape, t);
  };
  if (*axis != rank - 1)
    x = n.create<g::TransposeOp>(shaped({len}, elt), x,
                                 n.b.getDenseI64ArrayAttr(perm));

  Value column = n.create<g::ReshapeOp>(shaped({len, 1}, elt), x);
  Value row = n.create<g::ReshapeOp>(shaped({1, len}, elt), x);
  auto pairs = shaped({len, len}, i1);
  // [.., i, j]: does element j come before element i?
  Value better = largest ? n.create<g::GreaterOp>(pairs, row, column)
                         : n.create<g::LessOp>(pairs, row, column);
  Value equal = n.create<g::EqualOp>(pairs, row, column);
  SmallVector<bool> lowerIndex(len * len);
  for (int64_t i = 0; i < len; ++i)
    for (int64_t j = 0; j < len; ++j)
      lowerIndex[i * len + j] = j < i;
  Value earlier = n.constant(DenseElementsAttr::get(
      RankedTensorType::get({len, len}, i1), ArrayRef<bool>(lowerIndex)));
  Value before = n.create<g::OrOp>(
      pairs, better, n.create<g::AndOp>(pairs, equal, earlier));
  Value ranks = n.create<g::ReduceSumOp>(
      shaped({len}, i64), n.create<g::CastOp>(shaped({len, len}, i64), before),
      n.b.getDenseI64ArrayAttr({(int64_t)outer.size() + 1}),
      n.b.getBoolAttr(false));

  // [.., p, i]: is element i the one of rank p?
  SmallVector<int64_t> slotValues(k), positions(len);
  std::iota(slotValues.begin(), slotValues.end(), 0);
  std::iota(positions.begin(), positions.end(), 0);
  Value slots = n.constant(DenseElementsAttr::get(
      RankedTensorType::get({k, 1}, i64), ArrayRef<int64_t>(slotValues)));
  Value picked = n.create<g::EqualOp>(
      shaped({k, len}, i1),
      n.create<g::ReshapeOp>(shaped({1, len}, i64), ranks), slots);
  auto gather = [&](Value source, Type t) -> Value {
    Value chosen = n.create<g::WhereOp>(shaped({k, len}, t), picked, source,
                                        scalarConstant(n, t, 0));
    Value r = n.create<g::ReduceSumOp>(
        shaped({k}, t), chosen,
        n.b.getDenseI64ArrayAttr({(int64_t)outer.size() + 1}),
        n.b.getBoolAttr(false));
    if (*axis != rank - 1) {
      SmallVector<int64_t> shape;
      auto kShape = shaped({k}, t).getShape();
      for (int64_t d = 0; d < rank; ++d)
        shape.push_back(kShape[inverse[d]]);
      r = n.create<g::TransposeOp>(RankedTensorType::get(shape, t), r,
                                   n.b.getDenseI64ArrayAttr(inverse));
    }
    return r;
  };
  n.setOutput(0, gather(row, elt));
  n.setOutput(1, gather(n.constant(DenseElementsAttr::get(
                            RankedTensorType::get({len}, i64),
                            ArrayRef<int64_t>(positions))),
                        i64));
  return success();
}

LogicalResult importNonZero(NodeImporter &n) {
  auto in = n.inputType(0);
  auto type = RankedTensorType::get({in.getRank(), ShapedType::kDynamic},
                                    n.b.getI64Type());
  n.setOutput(0, n.create<g::NonZeroOp>(type, n.input(0)));
  return success();
}

LogicalResult importSoftmax(NodeImporter &n, bool log) {
  auto in = n.inputType(0);
  int64_t rank = in.getRank();
  if (n.opset >= 13) {
    auto axis = n.normalizeAxis(n.attrInt("axis", -1), rank);
    if (failed(axis))
      return failure();
    n.setOutput(0, n.create<g::SoftmaxOp>(in, n.input(0), *axis, log));
    return success();
  }
  // Before opset 13 the input is coerced to 2-D at `axis`.
  auto axis = n.normalizeAxis(n.attrInt("axis", 1), rank);
  if (failed(axis))
    return failure();
  if (*axis == rank - 1) {
    // The coercion is then a no-op; skipping it keeps dynamic dims intact.
    n.setOutput(0, n.create<g::SoftmaxOp>(in, n.input(0), *axis, log));
    return success();
  }
  SmallVector<int64_t> all(rank);
  std::iota(all.begin(), all.end(), 0);
  if (failed(n.requireStaticDims(0, all, "softmax over several axes")))
    return failure();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < *axis ? outer : inner) *= in.getShape()[d];
  auto flat = withShape(in, {outer, inner});
  Value x = n.create<g::ReshapeOp>(flat, n.input(0));
  Value y = n.create<g::SoftmaxOp>(flat, x, 1, log);
  n.setOutput(0, n.create<g::ReshapeOp>(in, y));
  return success();
}

/// mean and 1/sqrt(var + eps) over `axes`, kept as size-1 dims.
std::pair<Value, Value> meanAndInvStdDev(NodeImporter &n, Value x,
                                         ArrayRef<int64_t> axes, float eps) {
  auto type = llvm::cast<RankedTensorType>(x.getType());
  Value mean = buildReduce<g::ReduceMeanOp>(n, x, axes, true);
  Value centered = n.create<g::SubOp>(type, x, mean);
  Value var = buildReduce<g::ReduceMeanOp>(
      n, n.create<g::MulOp>(type, centered, centered), axes, true);
  Value shifted = n.create<g::AddOp>(
      var.getType(), var, scalarConstant(n, type.getElementType(), eps));
  Value inv = n.create<g::ReciprocalOp>(var.getType(),
                                        n.create<g::SqrtOp>(var.getType(), shifted));
  return {mean, inv};
}

LogicalResult importLayerNorm(NodeImporter &n) {
  auto in = n.inputType(0);
  auto axis = n.normalizeAxis(n.attrInt("axis", -1), in.getRank());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> normalized;
  for (int64_t d = *axis; d < in.getRank(); ++d)
    normalized.push_back(d);
  if (failed(n.requireStaticDims(0, normalized, "normalization")))
    return failure();
  float eps = n.attrFloat("epsilon", 1e-5f);
  n.setOutput(0, n.create<g::LayerNormOp>(
                     in, n.input(0), n.input(1), n.input(2),
                     n.b.getI64IntegerAttr(*axis), n.b.getF32FloatAttr(eps)));
  if (n.wantsOutput(1) || n.wantsOutput(2)) {
    // The statistics outputs are for training; computed separately so the
    // main output keeps its single fused op.
    SmallVector<int64_t> axes;
    for (int64_t d = *axis; d < in.getRank(); ++d)
      axes.push_back(d);
    auto [mean, inv] = meanAndInvStdDev(n, n.input(0), axes, eps);
    n.setOutput(1, mean);
    n.setOutput(2, inv);
  }
  return success();
}

LogicalResult importInstanceNorm(NodeImporter &n) {
  auto in = n.inputType(0);
  if (in.getRank() < 3)
    return n.error() << "InstanceNormalization needs rank >= 3";
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < in.getRank(); ++d)
    axes.push_back(d);
  auto [mean, inv] = meanAndInvStdDev(n, n.input(0), axes,
                                      n.attrFloat("epsilon", 1e-5f));
  Value y = n.create<g::MulOp>(in, n.create<g::SubOp>(in, n.input(0), mean), inv);
  // Per-channel scale and bias, viewed as [C, 1, ..., 1].
  SmallVector<int64_t> channelShape(in.getRank() - 1, 1);
  channelShape[0] = in.getShape()[1];
  Value scale = n.create<g::ReshapeOp>(withShape(n.inputType(1), channelShape), n.input(1));
  Value bias = n.create<g::ReshapeOp>(withShape(n.inputType(2), channelShape), n.input(2));
  n.setOutput(0, n.create<g::AddOp>(in, n.create<g::MulOp>(in, y, scale), bias));
  return success();
}

/// DepthToSpace and SpaceToDepth: a reshape, a transpose, a reshape.
LogicalResult importDepthSpace(NodeImporter &n, bool toSpace) {
  auto in = n.inputType(0);
  if (in.getRank() != 4)
    return n.error() << "expects a 4-D input";
  int64_t b = n.attrInt("blocksize", 0);
  int64_t N = in.getShape()[0], C = in.getShape()[1], H = in.getShape()[2],
          W = in.getShape()[3];
  SmallVector<int64_t> split, perm, out;
  if (toSpace) {
    if (b < 1 || C % (b * b))
      return n.error() << "channels are not divisible by blocksize^2";
    bool crd = n.attrString("mode", "DCR") == "CRD";
    split = crd ? SmallVector<int64_t>{N, C / (b * b), b, b, H, W}
                : SmallVector<int64_t>{N, b, b, C / (b * b), H, W};
    perm = crd ? SmallVector<int64_t>{0, 1, 4, 2, 5, 3}
               : SmallVector<int64_t>{0, 3, 4, 1, 5, 2};
    out = {N, C / (b * b), H * b, W * b};
  } else {
    if (b < 1 || H % b || W % b)
      return n.error() << "spatial dims are not divisible by blocksize";
    split = {N, C, H / b, b, W / b, b};
    perm = {0, 3, 5, 1, 2, 4};
    out = {N, C * b * b, H / b, W / b};
  }
  Value x = n.create<g::ReshapeOp>(withShape(in, split), n.input(0));
  SmallVector<int64_t> permuted;
  for (int64_t p : perm)
    permuted.push_back(split[p]);
  x = n.create<g::TransposeOp>(withShape(in, permuted), x,
                               n.b.getDenseI64ArrayAttr(perm));
  n.setOutput(0, n.create<g::ReshapeOp>(withShape(in, out), x));
  return success();
}

LogicalResult importEyeLike(NodeImporter &n) {
  auto in = n.inputType(0);
  if (in.getRank() != 2)
    return n.error() << "EyeLike needs a 2-D input";
  Type elt = in.getElementType();
  if (n.hasAttr("dtype")) {
    elt = elementTypeFor(n.b.getContext(), n.attrInt("dtype", 0));
    if (!elt)
      return n.error() << "unsupported dtype";
  }
  auto type = withElement(in, elt);
  int64_t k = n.attrInt("k", 0), rows = in.getShape()[0], cols = in.getShape()[1];
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      double v = j - i == k ? 1.0 : 0.0;
      values.push_back(llvm::isa<FloatType>(elt)
                           ? Attribute(n.b.getFloatAttr(elt, v))
                           : Attribute(n.b.getIntegerAttr(elt, (int64_t)v)));
    }
  n.setOutput(0, n.constant(DenseElementsAttr::get(type, values)));
  return success();
}

LogicalResult importOneHot(NodeImporter &n) {
  auto indices = n.inputType(0);
  int64_t rank = indices.getRank() + 1;
  int64_t axis = n.attrInt("axis", -1);
  if (axis < 0)
    axis += rank;
  // depth sizes the output: a constant, or read off the declared output.
  int64_t depth = -1;
  if (DenseElementsAttr depthAttr = n.constantInput(1);
      depthAttr && depthAttr.getNumElements() == 1) {
    Attribute d0 = *depthAttr.getValues<Attribute>().begin();
    depth = llvm::isa<FloatAttr>(d0)
                ? (int64_t)llvm::cast<FloatAttr>(d0).getValueAsDouble()
                : llvm::cast<IntegerAttr>(d0).getInt();
  } else if (auto declared = n.declaredType(0);
             declared && declared->getRank() == rank && axis >= 0 && axis < rank) {
    depth = declared->getShape()[axis];
  } else {
    return n.error() << "depth must be a compile-time constant";
  }
  if (axis < 0 || axis >= rank || depth < 1)
    return n.error() << "invalid axis or depth";
  auto i64 = n.b.getI64Type();
  // Indices may be of any numeric type; negative ones count from the end.
  Value idx = n.create<g::CastOp>(withElement(indices, i64), n.input(0));
  Value depthValue = n.constant(DenseElementsAttr::get(
      RankedTensorType::get({}, i64), ArrayRef<int64_t>{depth}));
  Value wrapped = n.create<g::AddOp>(idx.getType(), idx, depthValue);
  Value negative = n.create<g::LessOp>(withElement(indices, n.b.getI1Type()), idx,
                                       n.constant(splat(RankedTensorType::get({}, i64), 0)));
  idx = n.create<g::WhereOp>(idx.getType(), negative, wrapped, idx);
  SmallVector<int64_t> expanded(indices.getShape());
  expanded.insert(expanded.begin() + axis, 1);
  idx = n.create<g::ReshapeOp>(RankedTensorType::get(expanded, i64), idx);
  SmallVector<int64_t> rangeShape(rank, 1);
  rangeShape[axis] = depth;
  SmallVector<int64_t> range(depth);
  std::iota(range.begin(), range.end(), 0);
  Value classes = n.constant(DenseElementsAttr::get(
      RankedTensorType::get(rangeShape, i64), ArrayRef<int64_t>(range)));
  SmallVector<int64_t> outShape(indices.getShape());
  outShape.insert(outShape.begin() + axis, depth);
  auto hit = n.create<g::EqualOp>(RankedTensorType::get(outShape, n.b.getI1Type()),
                                  idx, classes);
  auto values = n.inputType(2);
  if (values.getNumElements() != 2)
    return n.error() << "values must hold [off, on]";
  auto scalar = RankedTensorType::get({1}, values.getElementType());
  Value flat = n.create<g::ReshapeOp>(RankedTensorType::get({2}, values.getElementType()),
                                      n.input(2));
  Value off = n.create<g::SliceOp>(scalar, flat, n.b.getDenseI64ArrayAttr({0}),
                                   n.b.getDenseI64ArrayAttr({1}));
  Value on = n.create<g::SliceOp>(scalar, flat, n.b.getDenseI64ArrayAttr({1}),
                                  n.b.getDenseI64ArrayAttr({1}));
  n.setOutput(0, n.create<g::WhereOp>(
                     RankedTensorType::get(outShape, values.getElementType()),
                     hit, on, off));
  return success();
}

//===----------------------------------------------------------------------===//
// Shapes and data movement
//===----------------------------------------------------------------------===//

LogicalResult reshapeTo(NodeImporter &n, Value input,
                        std::optional<RankedTensorType> computed) {
  auto type = n.outputType(0, computed);
  if (failed(type))
    return failure();
  auto in = llvm::cast<RankedTensorType>(input.getType());
  if (in.hasStaticShape() != type->hasStaticShape() ||
      (in.hasStaticShape() && type->getNumElements() != in.getNumElements()))
    return n.error() << "cannot reshape " << in << " to " << *type;
  n.setOutput(0, n.create<g::ReshapeOp>(withElement(*type, in.getElementType()),
                                        input));
  return success();
}

LogicalResult importReshape(NodeImporter &n) {
  auto in = n.inputType(0);
  auto target = n.constantInts(1);
  if (!target)
    return reshapeTo(n, n.input(0), std::nullopt);
  bool allowZero = n.attrInt("allowzero", 0) != 0;
  SmallVector<int64_t> shape;
  int64_t known = 1, inferred = -1;
  for (auto [i, d] : llvm::enumerate(*target)) {
    if (d == 0 && !allowZero) {
      if ((int64_t)i >= in.getRank())
        return n.error() << "reshape dim " << i << " copies a missing input dim";
      d = in.getShape()[i];
      if (ShapedType::isDynamic(d)) {
        shape.push_back(d);
        continue;
      }
    }
    if (d == -1) {
      if (inferred >= 0)
        return n.error() << "reshape has more than one -1";
      inferred = i;
      shape.push_back(1);
      continue;
    }
    if (d < 0)
      return n.error() << "reshape dim " << d << " is invalid";
    if (d > 0 && known > kMaxTensorElements / d)
      return n.error() << "reshape to more than 2^40 elements";
    known *= d;
    shape.push_back(d);
  }
  if (!in.hasStaticShape()) {
    // The lowering sizes a dynamic result either from the element count
    // (one dynamic dim) or from the input's dynamic dims in order (dims
    // copied with 0); other reshapes need static sizes.
    if (inferred >= 0)
      shape[inferred] = ShapedType::kDynamic;
    int64_t dynamicIn = llvm::count_if(in.getShape(), ShapedType::isDynamic);
    int64_t dynamicOut = llvm::count_if(shape, ShapedType::isDynamic);
    if (dynamicOut == 0 || (dynamicOut > 1 && (inferred >= 0 ||
                                               dynamicOut != dynamicIn)))
      return n.error() << "cannot reshape " << in << " to ["
                       << llvm::join(llvm::map_range(*target, [](int64_t d) {
                            return std::to_string(d);
                          }), ", ")
                       << "] with run-time sizes; give them with --input-shape";
    return reshapeTo(n, n.input(0), withShape(in, shape));
  }
  if (inferred >= 0) {
    if (known == 0 || in.getNumElements() % known != 0)
      return n.error() << "cannot infer the -1 dim of reshape";
    shape[inferred] = in.getNumElements() / known;
  }
  return reshapeTo(n, n.input(0), withShape(in, shape));
}

LogicalResult importFlatten(NodeImporter &n) {
  auto in = n.inputType(0);
  int64_t rank = in.getRank();
  int64_t axis = n.attrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return n.error() << "axis is out of range";
  SmallVector<int64_t> innerDims;
  for (int64_t d = axis; d < rank; ++d)
    innerDims.push_back(d);
  if (failed(n.requireStaticDims(0, innerDims, "Flatten")))
    return failure();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? outer : inner) *= in.getShape()[d];
  if (!in.hasStaticShape())
    outer = ShapedType::kDynamic;
  return reshapeTo(n, n.input(0), withShape(in, {outer, inner}));
}

LogicalResult importSqueeze(NodeImporter &n, bool axesAsInput) {
  auto in = n.inputType(0);
  std::optional<std::vector<int64_t>> axes =
      axesAsInput ? (n.hasInput(1) ? n.constantInts(1) : std::vector<int64_t>{})
                  : n.attrInts("axes");
  if (axesAsInput && n.hasInput(1) && !axes)
    return reshapeTo(n, n.input(0), std::nullopt);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    bool listed = false;
    if (axes)
      for (int64_t a : *axes)
        listed |= (a < 0 ? a + in.getRank() : a) == d;
    bool squeeze = axes && !axes->empty() ? listed : in.getShape()[d] == 1;
    if (squeeze && in.getShape()[d] != 1)
      return n.error() << "cannot squeeze dim " << d << " of size "
                       << in.getShape()[d];
    if (!squeeze)
      shape.push_back(in.getShape()[d]);
  }
  return reshapeTo(n, n.input(0), withShape(in, shape));
}

LogicalResult importUnsqueeze(NodeImporter &n, bool axesAsInput) {
  auto in = n.inputType(0);
  auto axes = axesAsInput ? n.constantInts(1) : n.attrInts("axes");
  if (!axes)
    return reshapeTo(n, n.input(0), std::nullopt);
  int64_t rank = in.getRank() + axes->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t a : *axes) {
    int64_t axis = a < 0 ? a + rank : a;
    if (axis < 0 || axis >= rank || inserted[axis])
      return n.error() << "invalid unsqueeze axis " << a;
    inserted[axis] = true;
  }
  SmallVector<int64_t> shape;
  size_t next = 0;
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(inserted[d] ? 1 : in.getShape()[next++]);
  return reshapeTo(n, n.input(0), withShape(in, shape));
}

LogicalResult importTranspose(NodeImporter &n) {
  auto in = n.inputType(0);
  SmallVector<int64_t> perm;
  if (auto p = n.attrInts("perm"))
    perm.assign(p->begin(), p->end());
  else
    for (int64_t d = in.getRank() - 1; d >= 0; --d)
      perm.push_back(d);
  if ((int64_t)perm.size() != in.getRank())
    return n.error() << "perm needs one entry per dimension";
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank())
      return n.error() << "perm entry " << p << " is out of range";
    shape.push_back(in.getShape()[p]);
  }
  n.setOutput(0, n.create<g::TransposeOp>(withShape(in, shape), n.input(0),
                                          n.b.getDenseI64ArrayAttr(perm)));
  return success();
}

LogicalResult importConcat(NodeImporter &n) {
  auto first = n.inputType(0);
  auto axis = n.normalizeAxis(n.attrInt("axis", 0), first.getRank());
  if (failed(axis))
    return failure();
  SmallVector<Value> inputs;
  SmallVector<int64_t> shape(first.getShape());
  shape[*axis] = 0;
  for (size_t i = 0; i < n.numInputs(); ++i) {
    if (!n.hasInput(i))
      continue;
    auto t = n.inputType(i);
    if (t.getRank() != first.getRank())
      return n.error() << "Concat inputs differ in rank";
    shape[*axis] = ShapedType::isDynamic(shape[*axis]) || t.isDynamicDim(*axis)
                       ? ShapedType::kDynamic
                       : shape[*axis] + t.getShape()[*axis];
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != *axis && ShapedType::isDynamic(shape[d]))
        shape[d] = t.getShape()[d];
    inputs.push_back(n.input(i));
  }
  n.setOutput(0, n.create<g::ConcatOp>(withShape(first, shape), inputs, *axis));
  return success();
}

LogicalResult importGather(NodeImporter &n) {
  auto data = n.inputType(0), indices = n.inputType(1);
  if (!llvm::isa<IntegerType>(indices.getElementType()))
    return n.error() << "Gather indices must be integers, not "
                     << indices.getElementType();
  auto axis = n.normalizeAxis(n.attrInt("axis", 0), data.getRank());
  if (failed(axis) ||
      failed(n.requireStaticDims(0, {*axis}, "wrapping negative indices")))
    return failure();
  // Constant indices are checked here; run-time ones are clamped by the
  // lowering rather than read out of bounds.
  int64_t extent = data.getDimSize(*axis);
  if (DenseElementsAttr constant = n.constantInput(1))
    for (const APInt &index : constant.getValues<APInt>())
      if (index.getSExtValue() < -extent || index.getSExtValue() >= extent)
        return n.error() << "Gather index " << index.getSExtValue()
                         << " is out of range for an axis of " << extent;
  SmallVector<int64_t> shape(data.getShape().take_front(*axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(*axis + 1));
  n.setOutput(0, n.create<g::GatherOp>(withShape(data, shape), n.input(0),
                                       n.input(1), *axis));
  return success();
}

LogicalResult importGatherElements(NodeImporter &n) {
  auto data = n.inputType(0);
  auto axis = n.normalizeAxis(n.attrInt("axis", 0), data.getRank());
  if (failed(axis))
    return failure();
  n.setOutput(0, n.create<g::GatherElementsOp>(
                     withShape(data, n.inputType(1).getShape()), n.input(0),
                     n.input(1), *axis));
  return success();
}

/// Builds a dsg.slice from ONNX-style starts/ends/axes/steps, clamping as
/// ONNX specifies.
LogicalResult buildSlice(NodeImporter &n, Value input, size_t outputIndex,
                         ArrayRef<int64_t> starts, ArrayRef<int64_t> ends,
                         ArrayRef<int64_t> axes, ArrayRef<int64_t> steps) {
  auto in = llvm::cast<RankedTensorType>(input.getType());
  int64_t rank = in.getRank();
  SmallVector<int64_t> first(rank, 0), step(rank, 1), shape(in.getShape());
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t a = axes.empty() ? i : axes[i];
    if (a < 0)
      a += rank;
    if (a < 0 || a >= rank)
      return n.error() << "slice axis " << axes[i] << " is out of range";
    if (in.isDynamicDim(a))
      return n.error() << "slicing dynamic dim " << a
                       << " is not supported; give its size with --input-shape";
    int64_t dim = in.getShape()[a];
    int64_t s = starts[i], e = ends[i], st = steps.empty() ? 1 : steps[i];
    if (st == 0)
      return n.error() << "slice step must not be 0";
    if (s < 0)
      s += dim;
    if (e < 0)
      e += dim;
    int64_t count;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      count = e > s ? (e - s + st - 1) / st : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      count = s > e ? (s - e + (-st) - 1) / (-st) : 0;
    }
    first[a] = count ? s : 0;
    step[a] = st;
    shape[a] = count;
  }
  n.setOutput(outputIndex,
              n.create<g::SliceOp>(withShape(in, shape), input,
                                   n.b.getDenseI64ArrayAttr(first),
                                   n.b.getDenseI64ArrayAttr(step)));
  return success();
}

LogicalResult importSlice(NodeImporter &n) {
  if (n.opset < 10) {
    auto starts = n.attrInts("starts"), ends = n.attrInts("ends");
    if (!starts || !ends || starts->size() != ends->size())
      return n.error() << "starts and ends must have the same length";
    auto axes = n.attrInts("axes").value_or(std::vector<int64_t>{});
    return buildSlice(n, n.input(0), 0, *starts, *ends, axes, {});
  }
  auto starts = n.constantInts(1), ends = n.constantInts(2);
  std::optional<std::vector<int64_t>> axes = std::vector<int64_t>{};
  std::optional<std::vector<int64_t>> steps = std::vector<int64_t>{};
  if (n.hasInput(3))
    axes = n.constantInts(3);
  if (n.hasInput(4))
    steps = n.constantInts(4);
  if (!starts || !ends || !axes || !steps)
    return n.error() << "slice starts, ends, axes and steps must be "
                        "compile-time constants";
  if (starts->size() != ends->size() ||
      (!axes->empty() && axes->size() != starts->size()) ||
      (!steps->empty() && steps->size() != starts->size()))
    return n.error() << "starts, ends, axes and steps differ in length";
  return buildSlice(n, n.input(0), 0, *starts, *ends, *axes, *steps);
}

LogicalResult importSplit(NodeImporter &n) {
  auto in = n.inputType(0);
  auto axis = n.normalizeAxis(n.attrInt("axis", 0), in.getRank());
  if (failed(axis) || failed(n.requireStaticDims(0, {*axis}, "Split")))
    return failure();
  int64_t dim = in.getShape()[*axis];
  int64_t outputs = n.numOutputs();
  std::optional<std::vector<int64_t>> sizes;
  if (n.opset >= 13 && n.hasInput(1)) {
    sizes = n.constantInts(1);
    if (!sizes) {
      // Run-time sizes: the declared output shapes fix them all the same.
      sizes = std::vector<int64_t>();
      for (int64_t i = 0; i < outputs; ++i) {
        auto t = n.declaredType(i);
        if (!t || t->getRank() != in.getRank())
          return n.error() << "split sizes must be a compile-time constant";
        sizes->push_back(t->getShape()[*axis]);
      }
    }
  } else if (n.opset < 13) {
    sizes = n.attrInts("split");
  }
  if (!sizes || sizes->empty()) {
    // Equal parts; with num_outputs (opset 18) the last may be smaller.
    int64_t parts = n.attrInt("num_outputs", outputs);
    int64_t chunk = (dim + parts - 1) / parts;
    sizes = std::vector<int64_t>();
    for (int64_t i = 0, left = dim; i < parts; ++i, left -= chunk)
      sizes->push_back(std::min(chunk, left));
  }
  if ((int64_t)sizes->size() != outputs)
    return n.error() << "split produces " << sizes->size() << " parts for "
                     << outputs << " outputs";
  int64_t offset = 0;
  for (int64_t i = 0; i < outputs; ++i) {
    int64_t end = offset + (*sizes)[i];
    if (failed(buildSlice(n, n.input(0), i, {offset}, {end}, {*axis}, {1})))
      return failure();
    offset = end;
  }
  if (offset != dim)
    return n.error() << "split sizes add up to " << offset << ", not " << dim;
  return success();
}

//===----------------------------------------------------------------------===//
// Sequences: resolved at import time. Lengths and positions must be
// compile-time constants; the elements themselves are ordinary tensors.
//===----------------------------------------------------------------------===//

/// A sequence position from input `i` (or `fallback` when it is absent),
/// normalized against `size`; `allowEnd` admits `size` itself (insertion).
FailureOr<size_t> sequencePosition(NodeImporter &n, size_t i, int64_t fallback,
                                   size_t size, bool allowEnd) {
  int64_t pos = fallback;
  if (n.hasInput(i)) {
    auto ints = n.constantInts(i);
    if (!ints || ints->size() != 1)
      return n.error() << "sequence position must be a compile-time constant "
                          "scalar";
    pos = ints->front();
  }
  int64_t count = size;
  if (pos < 0)
    pos += count;
  if (pos < 0 || pos > count || (pos == count && !allowEnd))
    return n.error() << "sequence position is out of range for a sequence of "
                     << count << " elements";
  return (size_t)pos;
}

FailureOr<Sequence> sequenceOperand(NodeImporter &n, size_t i) {
  if (const Sequence *seq = n.sequenceInput(i))
    return *seq;
  return n.error() << "input " << i << " must be a sequence";
}

LogicalResult importSequenceConstruct(NodeImporter &n) {
  Sequence elements;
  for (size_t i = 0; i < n.numInputs(); ++i)
    elements.push_back(n.input(i));
  n.setSequenceOutput(0, std::move(elements));
  return success();
}

LogicalResult importSequenceEmpty(NodeImporter &n) {
  n.setSequenceOutput(0, {});
  return success();
}

LogicalResult importSequenceInsert(NodeImporter &n) {
  auto seq = sequenceOperand(n, 0);
  if (failed(seq))
    return failure();
  auto pos = sequencePosition(n, 2, seq->size(), seq->size(), true);
  if (failed(pos))
    return failure();
  seq->insert(seq->begin() + *pos, n.input(1));
  n.setSequenceOutput(0, std::move(*seq));
  return success();
}

LogicalResult importSequenceErase(NodeImporter &n) {
  auto seq = sequenceOperand(n, 0);
  if (failed(seq))
    return failure();
  auto pos = sequencePosition(n, 1, -1, seq->size(), false);
  if (failed(pos))
    return failure();
  seq->erase(seq->begin() + *pos);
  n.setSequenceOutput(0, std::move(*seq));
  return success();
}

LogicalResult importSequenceAt(NodeImporter &n) {
  auto seq = sequenceOperand(n, 0);
  if (failed(seq))
    return failure();
  auto pos = sequencePosition(n, 1, 0, seq->size(), false);
  if (failed(pos))
    return failure();
  n.setOutput(0, (*seq)[*pos]);
  return success();
}

LogicalResult importSequenceLength(NodeImporter &n) {
  auto seq = sequenceOperand(n, 0);
  if (failed(seq))
    return failure();
  auto type = RankedTensorType::get({}, n.b.getI64Type());
  n.setOutput(0, n.constant(DenseElementsAttr::get(
                     type, ArrayRef<int64_t>{(int64_t)seq->size()})));
  return success();
}

LogicalResult importSplitToSequence(NodeImporter &n) {
  auto in = n.inputType(0);
  auto axis = n.normalizeAxis(n.attrInt("axis", 0), in.getRank());
  if (failed(axis))
    return failure();
  int64_t dim = in.getShape()[*axis];
  std::vector<int64_t> sizes;
  bool squeeze = false;
  if (!n.hasInput(1)) {
    sizes.assign(dim, 1);
    squeeze = n.attrInt("keepdims", 1) == 0;
  } else {
    auto split = n.constantInts(1);
    if (!split)
      return n.error() << "split must be a compile-time constant";
    if (n.inputType(1).getRank() == 0) {
      int64_t chunk = split->front();
      if (chunk <= 0)
        return n.error() << "split size must be positive";
      for (int64_t left = dim; left > 0; left -= chunk)
        sizes.push_back(std::min(chunk, left));
    } else {
      sizes = *split;
    }
  }
  Sequence elements;
  int64_t offset = 0;
  for (int64_t size : sizes) {
    if (size < 0 || offset + size > dim)
      return n.error() << "split sizes exceed dim " << dim;
    SmallVector<int64_t> shape(in.getShape()), starts(in.getRank(), 0),
        steps(in.getRank(), 1);
    shape[*axis] = size;
    starts[*axis] = offset;
    Value part = n.create<g::SliceOp>(withShape(in, shape), n.input(0),
                                      n.b.getDenseI64ArrayAttr(starts),
                                      n.b.getDenseI64ArrayAttr(steps));
    if (squeeze) {
      shape.erase(shape.begin() + *axis);
      part = n.create<g::ReshapeOp>(withShape(in, shape), part);
    }
    elements.push_back(part);
    offset += size;
  }
  if (offset != dim)
    return n.error() << "split sizes add up to " << offset << ", not " << dim;
  n.setSequenceOutput(0, std::move(elements));
  return success();
}

LogicalResult importConcatFromSequence(NodeImporter &n) {
  auto seq = sequenceOperand(n, 0);
  if (failed(seq))
    return failure();
  if (seq->empty())
    return n.error() << "cannot concatenate an empty sequence";
  bool newAxis = n.attrInt("new_axis", 0) != 0;
  auto first = llvm::cast<RankedTensorType>(seq->front().getType());
  int64_t outRank = first.getRank() + (newAxis ? 1 : 0);
  auto axis = n.normalizeAxis(n.attrInt("axis", 0), outRank);
  if (failed(axis))
    return failure();
  SmallVector<Value> parts;
  SmallVector<int64_t> shape;
  for (Value v : *seq) {
    auto t = llvm::cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> partShape(t.getShape());
    if (newAxis) {
      partShape.insert(partShape.begin() + *axis, 1);
      v = n.create<g::ReshapeOp>(withShape(t, partShape), v);
    }
    if ((int64_t)partShape.size() != outRank)
      return n.error() << "sequence elements differ in rank";
    if (shape.empty())
      shape = partShape;
    else
      shape[*axis] += partShape[*axis];
    parts.push_back(v);
  }
  n.setOutput(0, n.create<g::ConcatOp>(withShape(first, shape), parts, *axis));
  return success();
}

LogicalResult importShape(NodeImporter &n) {
  auto in = n.inputType(0);
  int64_t rank = in.getRank();
  int64_t start = n.attrInt("start", 0), end = n.attrInt("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  SmallVector<int64_t> dims(in.getShape().slice(start, end - start));
  SmallVector<int64_t> positions(end - start);
  std::iota(positions.begin(), positions.end(), start);
  if (failed(n.requireStaticDims(0, positions, "Shape (a run-time shape)")))
    return failure();
  auto type = RankedTensorType::get({(int64_t)dims.size()}, n.b.getI64Type());
  n.setOutput(0, n.constant(DenseElementsAttr::get(type, ArrayRef<int64_t>(dims))));
  return success();
}

LogicalResult importSize(NodeImporter &n) {
  auto type = RankedTensorType::get({}, n.b.getI64Type());
  n.setOutput(0, n.constant(DenseElementsAttr::get(
                     type, ArrayRef<int64_t>{n.inputType(0).getNumElements()})));
  return success();
}

LogicalResult importConstant(NodeImporter &n) {
  MLIRContext *ctx = n.b.getContext();
  Builder &b = n.b;
  if (const auto *a = n.findAttr("value")) {
    std::string error;
    auto attr = tensorToAttr(ctx, a->t(), error);
    if (failed(attr))
      return n.error() << error;
    n.setOutput(0, n.constant(*attr));
    return success();
  }
  if (const auto *a = n.findAttr("value_float")) {
    n.setOutput(0, n.constant(DenseElementsAttr::get(
                       RankedTensorType::get({}, b.getF32Type()), a->f())));
    return success();
  }
  if (const auto *a = n.findAttr("value_int")) {
    n.setOutput(0, n.constant(DenseElementsAttr::get(
                       RankedTensorType::get({}, b.getI64Type()), a->i())));
    return success();
  }
  if (auto v = n.attrFloats("value_floats")) {
    auto type = RankedTensorType::get({(int64_t)v->size()}, b.getF32Type());
    n.setOutput(0, n.constant(DenseElementsAttr::get(type, ArrayRef<float>(*v))));
    return success();
  }
  if (auto v = n.attrInts("value_ints")) {
    auto type = RankedTensorType::get({(int64_t)v->size()}, b.getI64Type());
    n.setOutput(0, n.constant(DenseElementsAttr::get(type, ArrayRef<int64_t>(*v))));
    return success();
  }
  return n.error() << "only tensor, float and int constants are supported";
}

LogicalResult importConstantOfShape(NodeImporter &n) {
  std::optional<RankedTensorType> computed;
  Type elt = n.b.getF32Type();
  DenseElementsAttr value;
  if (const auto *a = n.findAttr("value")) {
    std::string error;
    auto attr = tensorToAttr(n.b.getContext(), a->t(), error);
    if (failed(attr) || attr->getNumElements() != 1)
      return n.error() << "value must be a one-element tensor";
    value = *attr;
    elt = value.getElementType();
  }
  if (auto shape = n.constantInts(0))
    computed = RankedTensorType::get(SmallVector<int64_t>(shape->begin(), shape->end()), elt);
  auto type = n.outputType(0, computed);
  if (failed(type))
    return failure();
  if (value)
    n.setOutput(0, n.constant(DenseElementsAttr::get(
                       *type, *value.getValues<Attribute>().begin())));
  else
    n.setOutput(0, n.constant(splat(*type, 0.0)));
  return success();
}

LogicalResult importExpand(NodeImporter &n) {
  auto in = n.inputType(0);
  std::optional<RankedTensorType> computed;
  if (auto shape = n.constantInts(1)) {
    auto bc = g::broadcastShapes(in.getShape(), *shape);
    if (failed(bc))
      return n.error() << "input does not broadcast to the requested shape";
    computed = withShape(in, *bc);
  }
  auto type = n.outputType(0, computed);
  if (failed(type))
    return failure();
  n.setOutput(0, n.create<g::ExpandOp>(*type, n.input(0)));
  return success();
}

LogicalResult importTile(NodeImporter &n) {
  auto in = n.inputType(0);
  std::optional<RankedTensorType> computed;
  if (auto repeats = n.constantInts(1)) {
    if ((int64_t)repeats->size() != in.getRank())
      return n.error() << "repeats needs one value per dimension";
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < in.getRank(); ++d)
      shape.push_back(in.getShape()[d] * (*repeats)[d]);
    computed = withShape(in, shape);
  }
  auto type = n.outputType(0, computed);
  if (failed(type))
    return failure();
  n.setOutput(0, n.create<g::TileOp>(*type, n.input(0)));
  return success();
}

LogicalResult importPad(NodeImporter &n) {
  auto in = n.inputType(0);
  int64_t rank = in.getRank();
  Type elt = in.getElementType();
  std::optional<std::vector<int64_t>> pads;
  double value = 0;
  if (n.opset < 11) {
    pads = n.attrInts("pads");
    value = n.attrFloat("value", 0);
  } else {
    pads = n.constantInts(1);
    if (n.hasInput(2)) {
      DenseElementsAttr v = n.constantInput(2);
      if (!v)
        return n.error() << "the pad value must be a compile-time constant";
      auto first = *v.getValues<Attribute>().begin();
      if (auto f = llvm::dyn_cast<FloatAttr>(first))
        value = f.getValueAsDouble();
      else
        value = llvm::cast<IntegerAttr>(first).getInt();
    }
  }
  if (!pads)
    return n.error() << "pads must be a compile-time constant";
  std::vector<int64_t> full(2 * rank, 0);
  if (n.opset >= 18 && n.hasInput(3)) {
    auto axes = n.constantInts(3);
    if (!axes || pads->size() != 2 * axes->size())
      return n.error() << "pad axes must be constant and match the pads";
    for (size_t i = 0; i < axes->size(); ++i) {
      int64_t a = (*axes)[i] < 0 ? (*axes)[i] + rank : (*axes)[i];
      full[a] = (*pads)[i];
      full[rank + a] = (*pads)[axes->size() + i];
    }
  } else {
    if ((int64_t)pads->size() != 2 * rank)
      return n.error() << "pads needs two values per dimension";
    full = *pads;
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (full[d] < 0 || full[rank + d] < 0)
      return n.error() << "negative pads are not supported";
    shape.push_back(in.getShape()[d] + full[d] + full[rank + d]);
  }
  std::string mode = n.attrString("mode", "constant");
  if (mode == "wrap")
    return n.error() << "pad mode 'wrap' is not supported";
  TypedAttr padValue = llvm::isa<FloatType>(elt)
                           ? TypedAttr(n.b.getFloatAttr(elt, value))
                           : TypedAttr(n.b.getIntegerAttr(
                                 IntegerType::get(n.b.getContext(),
                                                  elt.getIntOrFloatBitWidth()),
                                 (int64_t)value));
  n.setOutput(0, n.create<g::PadOp>(withShape(in, shape), n.input(0),
                                    n.b.getDenseI64ArrayAttr(full),
                                    n.b.getStringAttr(mode), padValue));
  return success();
}

LogicalResult importRange(NodeImporter &n) {
  DenseElementsAttr start = n.constantInput(0), limit = n.constantInput(1),
                    delta = n.constantInput(2);
  if (!start || !limit || !delta) {
    // Run-time bounds with a declared length: start + i * delta.
    auto type = n.declaredType(0);
    if (!type || type->getRank() != 1)
      return n.error() << "Range needs compile-time constant start, limit "
                          "and delta, or a declared static output length";
    Type elt = type->getElementType();
    SmallVector<Attribute> steps;
    for (int64_t i = 0; i < type->getShape()[0]; ++i)
      steps.push_back(llvm::isa<FloatType>(elt) ? Attribute(n.b.getFloatAttr(elt, i))
                                               : Attribute(n.b.getIntegerAttr(elt, i)));
    Value iota = n.constant(DenseElementsAttr::get(*type, steps));
    Value offset = n.create<g::MulOp>(*type, iota, n.input(2));
    n.setOutput(0, n.create<g::AddOp>(*type, offset, n.input(0)));
    return success();
  }
  Type elt = start.getElementType();
  auto scalar = [](DenseElementsAttr a) -> double {
    Attribute v = *a.getValues<Attribute>().begin();
    if (auto f = llvm::dyn_cast<FloatAttr>(v))
      return f.getValueAsDouble();
    return (double)llvm::cast<IntegerAttr>(v).getInt();
  };
  double s = scalar(start), l = scalar(limit), d = scalar(delta);
  if (d == 0)
    return n.error() << "Range delta must not be 0";
  int64_t count = std::max<int64_t>(0, (int64_t)std::ceil((l - s) / d));
  auto type = RankedTensorType::get({count}, elt);
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < count; ++i) {
    if (llvm::isa<FloatType>(elt))
      values.push_back(n.b.getFloatAttr(elt, s + i * d));
    else
      values.push_back(n.b.getIntegerAttr(elt, (int64_t)s + i * (int64_t)d));
  }
  n.setOutput(0, n.constant(DenseElementsAttr::get(type, values)));
  return success();
}

LogicalResult importTrilu(NodeImporter &n) {
  if (n.inputType(0).getRank() < 2)
    return n.error() << "Trilu needs rank >= 2";
  Value k = n.input(1);
  auto i64 = n.b.getI64Type();
  if (!k)
    k = n.constant(DenseElementsAttr::get(RankedTensorType::get({}, i64),
                                          ArrayRef<int64_t>{0}));
  else if (n.inputType(1).getElementType() != i64)
    return n.error() << "k must be int64";
  n.setOutput(0, n.create<g::TriluOp>(n.inputType(0), n.input(0), k,
                                      n.attrInt("upper", 1) != 0));
  return success();
}

LogicalResult importCumSum(NodeImporter &n) {
  auto axisValues = n.constantInts(1);
  if (!axisValues || axisValues->size() != 1)
    return n.error() << "the CumSum axis must be a compile-time constant";
  auto axis = n.normalizeAxis((*axisValues)[0], n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  n.setOutput(0, n.create<g::CumSumOp>(n.inputType(0), n.input(0), *axis,
                                       n.attrInt("exclusive", 0) != 0,
                                       n.attrInt("reverse", 0) != 0));
  return success();
}

LogicalResult importGlobalPool(NodeImporter &n, bool max) {
  auto in = n.inputType(0);
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < in.getRank(); ++d)
    axes.push_back(d);
  n.setOutput(0, max ? buildReduce<g::ReduceMaxOp>(n, n.input(0), axes, true)
                     : buildReduce<g::ReduceMeanOp>(n, n.input(0), axes, true));
  return success();
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

/// -input[n, target[n, d...], d...] * weight[target], reduced as asked; the
/// body SoftmaxCrossEntropyLoss shares after its log-softmax.
FailureOr<Value> buildNllLoss(NodeImporter &n, Value input, Value target,
                              Value weight) {
  auto inType = llvm::cast<RankedTensorType>(input.getType());
  auto tType = llvm::cast<RankedTensorType>(target.getType());
  Type elt = inType.getElementType();
  if (inType.getRank() < 2 || tType.getRank() != inType.getRank() - 1)
    return n.error() << "expects input [N, C, ...] and target [N, ...]";
  auto i1 = withElement(tType, n.b.getI1Type());
  auto lossType = withElement(tType, elt);
  Value mask;
  if (n.hasAttr("ignore_index")) {
    Value ignore = n.constant(DenseElementsAttr::get(
        RankedTensorType::get({}, tType.getElementType()),
        APInt(tType.getElementTypeBitWidth(), n.attrInt("ignore_index", 0), true)));
    mask = n.create<g::NotOp>(i1, n.create<g::EqualOp>(i1, target, ignore));
    // Ignored positions read class 0, then get weight 0.
    target = n.create<g::WhereOp>(tType, mask, target,
                                  n.constant(splat(RankedTensorType::get({}, tType.getElementType()), 0)));
  }
  SmallVector<int64_t> pickShape(tType.getShape());
  pickShape.insert(pickShape.begin() + 1, 1);
  Value index = n.create<g::ReshapeOp>(withShape(tType, pickShape), target);
  Value picked = n.create<g::GatherElementsOp>(withShape(inType, pickShape),
                                               input, index, 1);
  picked = n.create<g::ReshapeOp>(lossType, picked);
  Value w = weight ? n.create<g::GatherOp>(lossType, weight, target, 0)
                   : n.constant(splat(lossType, 1.0));
  if (mask)
    w = n.create<g::WhereOp>(lossType, mask, w, scalarConstant(n, elt, 0));
  Value loss = n.create<g::NegOp>(lossType, n.create<g::MulOp>(lossType, picked, w));
  std::string reduction = n.attrString("reduction", "mean");
  if (reduction == "none")
    return loss;
  SmallVector<int64_t> all;
  for (int64_t d = 0; d < lossType.getRank(); ++d)
    all.push_back(d);
  Value total = buildReduce<g::ReduceSumOp>(n, loss, all, false);
  if (reduction == "sum")
    return total;
  if (reduction != "mean")
    return n.error() << "unknown reduction '" << reduction << "'";
  Value norm = buildReduce<g::ReduceSumOp>(n, w, all, false);
  return n.create<g::DivOp>(total.getType(), total, norm);
}

LogicalResult importNllLoss(NodeImporter &n) {
  auto loss = buildNllLoss(n, n.input(0), n.input(1), n.input(2));
  if (failed(loss))
    return failure();
  n.setOutput(0, *loss);
  return success();
}

LogicalResult importSoftmaxCrossEntropy(NodeImporter &n) {
  auto type = n.inputType(0);
  if (type.getRank() < 2)
    return n.error() << "scores must be [N, C, ...]";
  Value logProb = n.create<g::SoftmaxOp>(type, n.input(0), 1, true);
  auto loss = buildNllLoss(n, logProb, n.input(1), n.input(2));
  if (failed(loss))
    return failure();
  n.setOutput(0, *loss);
  if (n.wantsOutput(1))
    n.setOutput(1, logProb);
  return success();
}

LogicalResult importHardmax(NodeImporter &n) {
  auto in = n.inputType(0);
  int64_t rank = in.getRank();
  if (n.opset < 13) {
    // Before opset 13, Hardmax worked on the input coerced to 2-D at axis.
    auto axis = n.normalizeAxis(n.attrInt("axis", 1), rank);
    if (failed(axis))
      return failure();
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d)
      (d < *axis ? outer : inner) *= in.getShape()[d];
    auto flat = withShape(in, {outer, inner});
    Value x = n.create<g::ReshapeOp>(flat, n.input(0));
    Value idx = n.create<g::ArgMaxOp>(RankedTensorType::get({outer, 1}, n.b.getI64Type()),
                                      x, 1, true, false, false);
    SmallVector<int64_t> range(inner);
    std::iota(range.begin(), range.end(), 0);
    Value classes = n.constant(DenseElementsAttr::get(
        RankedTensorType::get({1, inner}, n.b.getI64Type()), ArrayRef<int64_t>(range)));
    Value hit = n.create<g::EqualOp>(withElement(flat, n.b.getI1Type()), idx, classes);
    Value y = n.create<g::CastOp>(flat, hit);
    n.setOutput(0, n.create<g::ReshapeOp>(in, y));
    return success();
  }
  auto axis = n.normalizeAxis(n.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> kept(in.getShape());
  kept[*axis] = 1;
  Value idx = n.create<g::ArgMaxOp>(RankedTensorType::get(kept, n.b.getI64Type()),
                                    n.input(0), *axis, true, false, false);
  int64_t depth = in.getShape()[*axis];
  SmallVector<int64_t> rangeShape(rank, 1), range(depth);
  rangeShape[*axis] = depth;
  std::iota(range.begin(), range.end(), 0);
  Value classes = n.constant(DenseElementsAttr::get(
      RankedTensorType::get(rangeShape, n.b.getI64Type()), ArrayRef<int64_t>(range)));
  Value hit = n.create<g::EqualOp>(withElement(in, n.b.getI1Type()), idx, classes);
  n.setOutput(0, n.create<g::CastOp>(in, hit));
  return success();
}

/// LRN: the channel-window sum of squares is an average pool over a
/// [N, 1, C, rest] view, times the window size.
LogicalResult importLRN(NodeImporter &n) {
  auto in = n.inputType(0);
  if (in.getRank() < 3)
    return n.error() << "LRN needs rank >= 3";
  int64_t size = n.attrInt("size", 0);
  if (size < 1)
    return n.error() << "size must be positive";
  float alpha = n.attrFloat("alpha", 1e-4f), beta = n.attrFloat("beta", 0.75f),
        bias = n.attrFloat("bias", 1.0f);
  Type elt = in.getElementType();
  int64_t N = in.getShape()[0], C = in.getShape()[1], rest = 1;
  for (int64_t d = 2; d < in.getRank(); ++d)
    rest *= in.getShape()[d];
  auto view = RankedTensorType::get({N, 1, C, rest}, elt);
  Value sq = n.create<g::MulOp>(in, n.input(0), n.input(0));
  Value v = n.create<g::ReshapeOp>(view, sq);
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  Value avg = n.create<g::AveragePoolOp>(
      view, v, n.b.getDenseI64ArrayAttr({size, 1}), n.b.getDenseI64ArrayAttr({1, 1}),
      n.b.getDenseI64ArrayAttr({before, 0, after, 0}), n.b.getDenseI64ArrayAttr({1, 1}),
      n.b.getBoolAttr(true));
  Value sum = n.create<g::ReshapeOp>(in, avg);
  // (bias + alpha / size * sum) ^ beta, and sum = avg * size.
  Value scaled = n.create<g::MulOp>(in, sum, scalarConstant(n, elt, alpha));
  Value base = n.create<g::AddOp>(in, scaled, scalarConstant(n, elt, bias));
  Value denom = n.create<g::PowOp>(in, base, scalarConstant(n, elt, beta));
  n.setOutput(0, n.create<g::DivOp>(in, n.input(0), denom));
  return success();
}

//===----------------------------------------------------------------------===//
// Resize
//===----------------------------------------------------------------------===//

/// Resize is separable: along each axis, the output reads a few input
/// positions (1 nearest, 2 linear, 4 cubic) with weights. Positions and
/// weights are computed by dsg ops from the output index, so a run-time
/// `scales` input works as well as a constant one; output sizes are static.
struct ResizeSpec {
  std::string mode, transform, nearestMode;
  float cubicA, extrapolation;
  bool excludeOutside;
};

Value resizeAxis(NodeImporter &n, Value x, int64_t axis, int64_t outSize,
                 Value scale, Value roi, const ResizeSpec &spec) {
  auto type = llvm::cast<RankedTensorType>(x.getType());
  Type elt = type.getElementType();
  int64_t inSize = type.getShape()[axis], rank = type.getRank();
  auto vec = RankedTensorType::get({outSize}, elt);
  auto i64Vec = RankedTensorType::get({outSize}, n.b.getI64Type());
  auto c = [&](double v) { return scalarConstant(n, elt, v); };
  auto add = [&](Value a, Value b) { return n.create<g::AddOp>(vec, a, b); };
  auto sub = [&](Value a, Value b) { return n.create<g::SubOp>(vec, a, b); };
  auto mul = [&](Value a, Value b) { return n.create<g::MulOp>(vec, a, b); };
  auto div = [&](Value a, Value b) { return n.create<g::DivOp>(vec, a, b); };
  SmallVector<Attribute> iota;
  for (int64_t i = 0; i < outSize; ++i)
    iota.push_back(n.b.getFloatAttr(elt, i));
  Value pos = n.constant(DenseElementsAttr::get(vec, iota));

  // Output index -> input coordinate.
  Value coord;
  const std::string &t = spec.transform;
  if (t == "align_corners") {
    // ONNX's reference divides by the unrounded resized length, in * scale.
    auto one = RankedTensorType::get({1}, elt);
    Value length = n.create<g::MulOp>(one, scale, c(inSize));
    Value factor = n.create<g::DivOp>(
        one, c(inSize - 1), n.create<g::SubOp>(one, length, c(1)));
    coord = outSize == 1 ? n.constant(splat(vec, 0)) : mul(pos, factor);
  } else if (t == "asymmetric") {
    coord = div(pos, scale);
  } else if (t == "tf_half_pixel_for_nn") {
    coord = div(add(pos, c(0.5)), scale);
  } else if (t == "tf_crop_and_resize") {
    Value start = n.create<g::SliceOp>(RankedTensorType::get({1}, elt), roi,
                                       n.b.getDenseI64ArrayAttr({axis}),
                                       n.b.getDenseI64ArrayAttr({1}));
    Value end = n.create<g::SliceOp>(RankedTensorType::get({1}, elt), roi,
                                     n.b.getDenseI64ArrayAttr({rank + axis}),
                                     n.b.getDenseI64ArrayAttr({1}));
    auto one = RankedTensorType::get({1}, elt);
    if (outSize > 1) {
      Value span = n.create<g::MulOp>(one, n.create<g::SubOp>(one, end, start),
                                      c(double(inSize - 1) / (outSize - 1)));
      coord = add(mul(pos, span), n.create<g::MulOp>(one, start, c(inSize - 1)));
    } else {
      coord = mul(n.constant(splat(vec, 0.5 * (inSize - 1))),
                  n.create<g::AddOp>(one, start, end));
    }
  } else if (t == "pytorch_half_pixel" && outSize == 1) {
    coord = n.constant(splat(vec, 0));
  } else { // half_pixel, pytorch_half_pixel
    coord = sub(div(add(pos, c(0.5)), scale), c(0.5));
  }

  auto clampIndex = [&](Value idx) {
    auto i64 = RankedTensorType::get({}, n.b.getI64Type());
    return n.create<g::ClipOp>(i64Vec, idx, n.constant(splat(i64, 0)),
                               n.constant(splat(i64, inSize - 1)));
  };
  auto toIndex = [&](Value v) { return n.create<g::CastOp>(i64Vec, v); };
  SmallVector<int64_t> weightShape(rank, 1);
  weightShape[axis] = outSize;
  auto weightType = RankedTensorType::get(weightShape, elt);
  SmallVector<int64_t> outShape(type.getShape());
  outShape[axis] = outSize;
  auto outType = RankedTensorType::get(outShape, elt);
  auto tap = [&](Value index, Value weight) -> Value {
    Value g = n.create<g::GatherOp>(outType, x, clampIndex(index), axis);
    if (!weight)
      return g;
    return n.create<g::MulOp>(outType, g, n.create<g::ReshapeOp>(weightType, weight));
  };

  Value result;
  if (spec.mode == "nearest") {
    Value r;
    if (spec.nearestMode == "floor")
      r = n.create<g::FloorOp>(vec, coord);
    else if (spec.nearestMode == "ceil")
      r = n.create<g::CeilOp>(vec, coord);
    else if (spec.nearestMode == "round_prefer_ceil")
      r = n.create<g::FloorOp>(vec, add(coord, c(0.5)));
    else // round_prefer_floor
      r = n.create<g::CeilOp>(vec, sub(coord, c(0.5)));
    result = tap(toIndex(r), nullptr);
  } else {
    Value floor = n.create<g::FloorOp>(vec, coord);
    Value frac = sub(coord, floor);
    Value base = toIndex(floor);
    auto shifted = [&](int64_t k) {
      return n.create<g::AddOp>(i64Vec, base,
                                n.constant(splat(RankedTensorType::get({}, n.b.getI64Type()), k)));
    };
    SmallVector<std::pair<int64_t, Value>> taps;
    if (spec.mode == "linear") {
      taps = {{0, sub(c(1), frac)}, {1, frac}};
    } else {
      double a = spec.cubicA;
      Value r = frac;
      Value r1 = add(r, c(1)), q = sub(c(1), r), q1 = sub(c(2), r);
      // Keys' cubic convolution weights for the taps at -1, 0, 1, 2.
      auto outer = [&](Value d) {
        return sub(mul(add(mul(sub(mul(d, c(a)), c(5 * a)), d), c(8 * a)), d), c(4 * a));
      };
      auto inner = [&](Value d) {
        return add(mul(mul(sub(mul(d, c(a + 2)), c(a + 3)), d), d), c(1));
      };
      taps = {{-1, outer(r1)}, {0, inner(r)}, {1, inner(q)}, {2, outer(q1)}};
    }
    if (spec.excludeOutside) {
      // Taps outside the input weigh nothing; the rest are renormalized.
      Value total = n.constant(splat(vec, 0));
      for (auto &[k, w] : taps) {
        Value idx = shifted(k);
        auto i1Vec = RankedTensorType::get({outSize}, n.b.getI1Type());
        auto i64 = RankedTensorType::get({}, n.b.getI64Type());
        Value inside = n.create<g::AndOp>(
            i1Vec,
            n.create<g::GreaterOrEqualOp>(i1Vec, idx, n.constant(splat(i64, 0))),
            n.create<g::LessOp>(i1Vec, idx, n.constant(splat(i64, inSize))));
        w = n.create<g::WhereOp>(vec, inside, w, c(0));
        total = add(total, w);
      }
      for (auto &[k, w] : taps)
        w = div(w, total);
    }
    for (auto &[k, w] : taps) {
      Value term = tap(shifted(k), w);
      result = result ? n.create<g::AddOp>(outType, result, term) : term;
    }
  }
  if (t == "tf_crop_and_resize") {
    auto i1Vec = RankedTensorType::get({outSize}, n.b.getI1Type());
    Value inside = n.create<g::AndOp>(
        i1Vec, n.create<g::GreaterOrEqualOp>(i1Vec, coord, c(0)),
        n.create<g::LessOrEqualOp>(i1Vec, coord, c(inSize - 1)));
    auto maskType = RankedTensorType::get(weightShape, n.b.getI1Type());
    result = n.create<g::WhereOp>(outType, n.create<g::ReshapeOp>(maskType, inside),
                                  result, c(spec.extrapolation));
  }
  return result;
}

LogicalResult importResize(NodeImporter &n, bool upsample) {
  auto in = n.inputType(0);
  int64_t rank = in.getRank();
  Type elt = in.getElementType();
  if (!llvm::isa<FloatType>(elt))
    return n.error() << "only floating-point Resize is supported";
  if (n.attrInt("antialias", 0) || n.hasAttr("axes") ||
      n.attrString("keep_aspect_ratio_policy", "stretch") != "stretch")
    return n.error() << "antialias, axes and keep_aspect_ratio_policy are not supported";
  ResizeSpec spec;
  spec.mode = n.attrString("mode", "nearest");
  spec.transform = upsample ? "asymmetric"
                            : n.attrString("coordinate_transformation_mode", "half_pixel");
  // Upsample's nearest mode always rounded down.
  spec.nearestMode = upsample ? "floor"
                              : n.attrString("nearest_mode", "round_prefer_floor");
  spec.cubicA = n.attrFloat("cubic_coeff_a", -0.75f);
  spec.extrapolation = n.attrFloat("extrapolation_value", 0.0f);
  spec.excludeOutside = n.attrInt("exclude_outside", 0) != 0;
  if (spec.mode != "nearest" && spec.mode != "linear" && spec.mode != "cubic")
    return n.error() << "unknown mode '" << spec.mode << "'";

  // Inputs: Upsample (X, scales) or attribute scales before opset 9;
  // Resize-10 (X, scales); Resize-11+ (X, roi, scales, sizes).
  Value scales, roi;
  std::optional<std::vector<int64_t>> sizes;
  if (upsample && n.opset < 9) {
    auto attr = n.attrFloats("scales");
    if (!attr)
      return n.error() << "Upsample needs scales";
    scales = n.constant(DenseElementsAttr::get(
        RankedTensorType::get({(int64_t)attr->size()}, n.b.getF32Type()),
        ArrayRef<float>(*attr)));
  } else if (upsample || n.opset < 11) {
    scales = n.input(1);
  } else {
    roi = n.input(1);
    if (n.hasInput(2) && n.inputType(2).getNumElements() > 0)
      scales = n.input(2);
    if (n.hasInput(3)) {
      sizes = n.constantInts(3);
      if (!sizes)
        if (auto d = n.declaredType(0))
          sizes = std::vector<int64_t>(d->getShape().begin(), d->getShape().end());
      if (!sizes)
        return n.error() << "sizes must be a compile-time constant";
    }
  }
  if (!scales && !sizes)
    return n.error() << "Resize needs scales or sizes";
  auto scalesType =
      scales ? llvm::cast<RankedTensorType>(scales.getType()) : RankedTensorType();
  if (scales && scalesType.getNumElements() != rank)
    return n.error() << "scales needs one value per dimension";
  // The output shape: from sizes, constant scales, or the declared type.
  SmallVector<int64_t> outShape;
  DenseElementsAttr constantScales;
  if (sizes) {
    outShape.assign(sizes->begin(), sizes->end());
  } else if (matchPattern(scales, m_Constant(&constantScales))) {
    for (auto [size, scale] : llvm::zip(in.getShape(),
                                        constantScales.getValues<APFloat>()))
      outShape.push_back((int64_t)std::floor(size * scale.convertToDouble()));
  } else if (auto d = n.declaredType(0)) {
    outShape.assign(d->getShape().begin(), d->getShape().end());
  } else {
    return n.error() << "cannot determine the output shape";
  }
  if ((int64_t)outShape.size() != rank)
    return n.error() << "sizes needs one value per dimension";
  if (roi && n.inputType(1).getElementType() != elt)
    roi = n.create<g::CastOp>(withElement(n.inputType(1), elt), roi);
  if (scales && scalesType.getElementType() != elt)
    scales = n.create<g::CastOp>(withElement(scalesType, elt), scales);

  Value x = n.input(0);
  for (int64_t d = 0; d < rank; ++d) {
    Value scale;
    if (scales)
      scale = n.create<g::SliceOp>(RankedTensorType::get({1}, elt), scales,
                                   n.b.getDenseI64ArrayAttr({d}),
                                   n.b.getDenseI64ArrayAttr({1}));
    else
      scale = n.constant(splat(RankedTensorType::get({1}, elt),
                                    double(outShape[d]) / in.getShape()[d]));
    bool identity = outShape[d] == in.getShape()[d] && !scales &&
                    spec.transform != "tf_crop_and_resize";
    if (!identity)
      x = resizeAxis(n, x, d, outShape[d], scale, roi, spec);
  }
  n.setOutput(0, x);
  return success();
}

//===----------------------------------------------------------------------===//
// Recurrent layers: RNN, GRU, LSTM, unrolled over the static sequence length
//===----------------------------------------------------------------------===//

enum class CellKind { RNN, GRU, LSTM };

/// The activation functions a recurrent op names, with their parameters.
struct Activation {
  std::string name;
  float alpha = 0, beta = 0;
};

FailureOr<SmallVector<Activation>> activationsFor(NodeImporter &n,
                                                  ArrayRef<StringRef> defaults,
                                                  int64_t directions) {
  SmallVector<Activation> acts;
  const auto *names = n.findAttr("activations");
  auto alphas = n.attrFloats("activation_alpha").value_or(std::vector<float>{});
  auto betas = n.attrFloats("activation_beta").value_or(std::vector<float>{});
  size_t count = defaults.size() * directions;
  for (size_t i = 0; i < count; ++i) {
    Activation a;
    a.name = names && i < (size_t)names->strings_size()
                 ? names->strings(i)
                 : defaults[i % defaults.size()].str();
    a.alpha = i < alphas.size() ? alphas[i] : (a.name == "LeakyRelu" ? 0.01f : 0.2f);
    a.beta = i < betas.size() ? betas[i] : 0.5f;
    if (a.name != "Sigmoid" && a.name != "Tanh" && a.name != "Relu" &&
        a.name != "HardSigmoid" && a.name != "LeakyRelu") {
      n.error() << "activation '" << a.name << "' is not supported";
      return failure();
    }
    acts.push_back(a);
  }
  return acts;
}

Value applyActivation(NodeImporter &n, const Activation &a, Value x) {
  auto type = llvm::cast<RankedTensorType>(x.getType());
  if (a.name == "Sigmoid")
    return n.create<g::SigmoidOp>(type, x);
  if (a.name == "Tanh")
    return n.create<g::TanhOp>(type, x);
  if (a.name == "Relu")
    return n.create<g::ReluOp>(type, x);
  if (a.name == "LeakyRelu")
    return n.create<g::LeakyReluOp>(type, x, n.b.getF32FloatAttr(a.alpha));
  return n.create<g::HardSigmoidOp>(type, x, n.b.getF32FloatAttr(a.alpha),
                                    n.b.getF32FloatAttr(a.beta));
}

LogicalResult importRecurrent(NodeImporter &n, CellKind kind) {
  bool batchFirst = n.attrInt("layout", 0) != 0;
  Value x = n.input(0);
  auto xType = n.inputType(0);
  Type elt = xType.getElementType();
  if (xType.getRank() != 3)
    return n.error() << "X must be 3-D";
  if (batchFirst) {
    xType = withShape(xType, {xType.getShape()[1], xType.getShape()[0], xType.getShape()[2]});
    x = n.create<g::TransposeOp>(xType, x, n.b.getDenseI64ArrayAttr({1, 0, 2}));
  }
  int64_t T = xType.getShape()[0], B = xType.getShape()[1], I = xType.getShape()[2];
  int64_t H = n.attrInt("hidden_size", 0);
  std::string direction = n.attrString("direction", "forward");
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  int64_t gates = kind == CellKind::LSTM ? 4 : kind == CellKind::GRU ? 3 : 1;
  auto wType = n.inputType(1);
  if (H <= 0)
    H = wType.getShape()[1] / gates;
  if (wType.getShape() != ArrayRef<int64_t>{dirs, gates * H, I})
    return n.error() << "W must be [" << dirs << ", " << gates * H << ", " << I << "]";
  if (kind == CellKind::LSTM && n.attrInt("input_forget", 0))
    return n.error() << "input_forget is not supported";
  SmallVector<StringRef> defaults;
  if (kind == CellKind::RNN)
    defaults = {"Tanh"};
  else if (kind == CellKind::GRU)
    defaults = {"Sigmoid", "Tanh"};
  else
    defaults = {"Sigmoid", "Tanh", "Tanh"};
  auto acts = activationsFor(n, defaults, dirs);
  if (failed(acts))
    return failure();
  bool linearBeforeReset = n.attrInt("linear_before_reset", 0) != 0;
  std::optional<float> clip;
  if (n.hasAttr("clip"))
    clip = n.attrFloat("clip", 0);

  auto t2 = [&](int64_t a, int64_t b) { return RankedTensorType::get({a, b}, elt); };
  // Slices [rows of part `k` of size `len`] along `axis` of a 2-D value.
  auto part = [&](Value v, int64_t axis, int64_t k, int64_t len) {
    auto type = llvm::cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(type.getShape()), starts(type.getRank(), 0),
        steps(type.getRank(), 1);
    shape[axis] = len;
    starts[axis] = k * len;
    return n.create<g::SliceOp>(withShape(type, shape), v,
                                n.b.getDenseI64ArrayAttr(starts),
                                n.b.getDenseI64ArrayAttr(steps));
  };
  // Direction d's slice of a [dirs, ...] input, without the leading dim.
  auto perDirection = [&](Value v, int64_t d) -> Value {
    if (!v)
      return nullptr;
    auto type = llvm::cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> one(type.getShape()), rest(type.getShape().drop_front());
    one[0] = 1;
    SmallVector<int64_t> starts(type.getRank(), 0), steps(type.getRank(), 1);
    starts[0] = d;
    Value s = n.create<g::SliceOp>(withShape(type, one), v,
                                   n.b.getDenseI64ArrayAttr(starts),
                                   n.b.getDenseI64ArrayAttr(steps));
    return n.create<g::ReshapeOp>(withShape(type, rest), s);
  };
  Value seqLens = n.input(4);
  Value initialH = n.input(5), initialC = n.input(6), peepholes = n.input(7);
  if (batchFirst) {
    auto swap = [&](Value v) -> Value {
      if (!v)
        return v;
      auto type = llvm::cast<RankedTensorType>(v.getType());
      return n.create<g::TransposeOp>(
          withShape(type, {type.getShape()[1], type.getShape()[0], type.getShape()[2]}),
          v, n.b.getDenseI64ArrayAttr({1, 0, 2}));
    };
    initialH = swap(initialH);
    initialC = swap(initialC);
  }
  auto zeros = n.constant(splat(t2(B, H), 0));

  SmallVector<SmallVector<Value>> outputs(dirs);
  SmallVector<Value> lastH(dirs), lastC(dirs);
  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    Value w = perDirection(n.input(1), d), r = perDirection(n.input(2), d);
    Value bias = perDirection(n.input(3), d);
    Value wb, rb;
    if (bias) {
      wb = part(bias, 0, 0, gates * H);
      rb = part(bias, 0, 1, gates * H);
    }
    Value h = initialH ? perDirection(initialH, d) : zeros;
    Value c = initialC ? perDirection(initialC, d) : zeros;
    Value p = perDirection(peepholes, d);
    const Activation *f = &(*acts)[d * defaults.size()];
    outputs[d].assign(T, nullptr);
    for (int64_t step = 0; step < T; ++step) {
      int64_t t = reverse ? T - 1 - step : step;
      Value xt = n.create<g::ReshapeOp>(
          t2(B, I), n.create<g::SliceOp>(RankedTensorType::get({1, B, I}, elt), x,
                                         n.b.getDenseI64ArrayAttr({t, 0, 0}),
                                         n.b.getDenseI64ArrayAttr({1, 1, 1})));
      auto gemm = [&](Value a, Value m, Value bias2) {
        return n.create<g::GemmOp>(t2(B, gates * H), a, m, bias2,
                                   n.b.getF32FloatAttr(1), n.b.getF32FloatAttr(1),
                                   n.b.getBoolAttr(false), n.b.getBoolAttr(true));
      };
      Value xw = gemm(xt, w, wb);
      Value hr = gemm(h, r, rb);
      auto clipped = [&](Value v) -> Value {
        if (!clip)
          return v;
        return n.create<g::ClipOp>(v.getType(), v, scalarConstant(n, elt, -*clip),
                                   scalarConstant(n, elt, *clip));
      };
      auto add = [&](Value a, Value b) { return n.create<g::AddOp>(t2(B, H), a, b); };
      auto mul = [&](Value a, Value b) { return n.create<g::MulOp>(t2(B, H), a, b); };
      auto peep = [&](Value gate, int64_t k, Value state) -> Value {
        if (!p)
          return gate;
        return add(gate, mul(part(p, 0, k, H), state));
      };
      Value newH, newC;
      if (kind == CellKind::RNN) {
        newH = applyActivation(n, f[0], clipped(n.create<g::AddOp>(t2(B, H), xw, hr)));
      } else if (kind == CellKind::LSTM) {
        Value sum = n.create<g::AddOp>(t2(B, 4 * H), xw, hr);
        Value i = applyActivation(n, f[0], clipped(peep(part(sum, 1, 0, H), 0, c)));
        Value fg = applyActivation(n, f[0], clipped(peep(part(sum, 1, 2, H), 2, c)));
        Value g = applyActivation(n, f[1], clipped(part(sum, 1, 3, H)));
        newC = add(mul(fg, c), mul(i, g));
        Value o = applyActivation(n, f[0], clipped(peep(part(sum, 1, 1, H), 1, newC)));
        newH = mul(o, applyActivation(n, f[2], newC));
      } else {
        // GRU gates z, r, h; the candidate uses the reset gate on h (or on
        // h * R when linear_before_reset).
        Value z = applyActivation(n, f[0], clipped(add(part(xw, 1, 0, H), part(hr, 1, 0, H))));
        Value rg = applyActivation(n, f[0], clipped(add(part(xw, 1, 1, H), part(hr, 1, 1, H))));
        Value candidateIn;
        if (linearBeforeReset) {
          candidateIn = add(part(xw, 1, 2, H), mul(rg, part(hr, 1, 2, H)));
        } else {
          Value rh = n.create<g::GemmOp>(
              t2(B, H), mul(rg, h), part(r, 0, 2, H),
              rb ? part(rb, 0, 2, H) : Value(), n.b.getF32FloatAttr(1),
              n.b.getF32FloatAttr(1), n.b.getBoolAttr(false), n.b.getBoolAttr(true));
          candidateIn = add(part(xw, 1, 2, H), rh);
        }
        Value cand = applyActivation(n, f[1], clipped(candidateIn));
        Value one = n.constant(splat(t2(B, H), 1));
        newH = add(mul(n.create<g::SubOp>(t2(B, H), one, z), cand), mul(z, h));
      }
      Value out = newH;
      if (seqLens) {
        // Batches whose sequence ended keep their state and emit zeros.
        auto mask2 = RankedTensorType::get({B, 1}, n.b.getI1Type());
        Value lens = n.create<g::ReshapeOp>(
            RankedTensorType::get({B, 1}, n.inputType(4).getElementType()), seqLens);
        Value active = n.create<g::GreaterOp>(
            mask2, lens,
            n.constant(splat(RankedTensorType::get({}, n.inputType(4).getElementType()), t)));
        newH = n.create<g::WhereOp>(t2(B, H), active, newH, h);
        if (newC)
          newC = n.create<g::WhereOp>(t2(B, H), active, newC, c);
        out = n.create<g::WhereOp>(t2(B, H), active, newH, zeros);
      }
      h = newH;
      if (newC)
        c = newC;
      outputs[d][t] = n.create<g::ReshapeOp>(RankedTensorType::get({1, 1, B, H}, elt), out);
    }
    lastH[d] = n.create<g::ReshapeOp>(RankedTensorType::get({1, B, H}, elt), h);
    lastC[d] = n.create<g::ReshapeOp>(RankedTensorType::get({1, B, H}, elt), c);
  }
  // Y: [T, dirs, B, H]; Y_h, Y_c: [dirs, B, H] (batch first when layout=1).
  SmallVector<Value> steps;
  for (int64_t t = 0; t < T; ++t) {
    SmallVector<Value> perDir;
    for (int64_t d = 0; d < dirs; ++d)
      perDir.push_back(outputs[d][t]);
    steps.push_back(dirs == 1 ? perDir[0]
                              : n.create<g::ConcatOp>(RankedTensorType::get({1, dirs, B, H}, elt),
                                                      perDir, 1));
  }
  Value y = n.create<g::ConcatOp>(RankedTensorType::get({T, dirs, B, H}, elt), steps, 0);
  auto stack = [&](ArrayRef<Value> v) -> Value {
    return dirs == 1 ? v[0]
                     : n.create<g::ConcatOp>(RankedTensorType::get({dirs, B, H}, elt), v, 0);
  };
  Value yh = stack(lastH), yc = stack(lastC);
  if (batchFirst) {
    y = n.create<g::TransposeOp>(RankedTensorType::get({B, T, dirs, H}, elt), y,
                                 n.b.getDenseI64ArrayAttr({2, 0, 1, 3}));
    auto swap = [&](Value v) {
      return n.create<g::TransposeOp>(RankedTensorType::get({B, dirs, H}, elt), v,
                                      n.b.getDenseI64ArrayAttr({1, 0, 2}));
    };
    yh = swap(yh);
    yc = swap(yc);
  }
  n.setOutput(0, y);
  if (n.numOutputs() > 1)
    n.setOutput(1, yh);
  if (n.numOutputs() > 2 && kind == CellKind::LSTM)
    n.setOutput(2, yc);
  return success();
}

LogicalResult importGatherND(NodeImporter &n) {
  auto data = n.inputType(0), indices = n.inputType(1);
  int64_t b = n.attrInt("batch_dims", 0);
  if (indices.getRank() < 1 || b < 0 || b >= indices.getRank() ||
      b + indices.getShape().back() > data.getRank())
    return n.error() << "indices do not fit data and batch_dims";
  SmallVector<int64_t> shape(indices.getShape().drop_back());
  llvm::append_range(shape, data.getShape().drop_front(b + indices.getShape().back()));
  n.setOutput(0, n.create<g::GatherNDOp>(withShape(data, shape), n.input(0),
                                         n.input(1), b));
  return success();
}

/// Normalizes an ONNX einsum equation: no spaces, explicit output, ellipses
/// spelled out with letters the equation does not use.
LogicalResult importEinsum(NodeImporter &n) {
  std::string eq;
  for (char c : n.attrString("equation", ""))
    if (!std::isspace(static_cast<unsigned char>(c)))
      eq.push_back(c);
  auto arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow);
  std::optional<std::string> out;
  if (arrow != std::string::npos)
    out = eq.substr(arrow + 2);
  SmallVector<std::string> terms;
  for (StringRef t : llvm::split(lhs, ','))
    terms.push_back(t.str());
  if (terms.size() != n.numInputs())
    return n.error() << "equation names " << terms.size() << " operands";
  std::string unused;
  for (char c = 'A'; c <= 'z'; ++c)
    if (std::isalpha(static_cast<unsigned char>(c)) && eq.find(c) == std::string::npos)
      unused.push_back(c);
  // The widest ellipsis decides how many letters stand for it.
  int64_t ellipsis = 0;
  for (auto [i, t] : llvm::enumerate(terms)) {
    size_t dots = t.find("...");
    if (dots == std::string::npos)
      continue;
    int64_t named = t.size() - 3;
    int64_t dims = n.inputType(i).getRank() - named;
    if (dims < 0 || dims > (int64_t)unused.size())
      return n.error() << "subscript '" << t << "' does not fit its operand";
    ellipsis = std::max(ellipsis, dims);
  }
  auto expand = [&](std::string t, int64_t dims) {
    size_t dots = t.find("...");
    if (dots == std::string::npos)
      return t;
    return t.substr(0, dots) + unused.substr(ellipsis - dims, dims) + t.substr(dots + 3);
  };
  SmallVector<Value> inputs;
  SmallVector<std::string> expanded;
  llvm::StringMap<int64_t> extent;
  std::map<char, int> count;
  for (auto [i, t] : llvm::enumerate(terms)) {
    int64_t rank = n.inputType(i).getRank();
    size_t dots = t.find("...");
    std::string e =
        expand(t, dots == std::string::npos ? 0 : rank - ((int64_t)t.size() - 3));
    if ((int64_t)e.size() != rank)
      return n.error() << "subscript '" << t << "' does not match rank " << rank;
    for (auto [c, size] : llvm::zip(e, n.inputType(i).getShape())) {
      ++count[c];
      int64_t &ext = extent[StringRef(&c, 1)];
      ext = std::max(ext, size);
    }
    expanded.push_back(e);
    inputs.push_back(n.input(i));
  }
  std::string output;
  if (out) {
    output = expand(*out, ellipsis);
  } else {
    // Implicit form: the ellipsis dims, then letters seen once, sorted.
    output = unused.substr(0, ellipsis);
    std::string once;
    for (auto &[c, k] : count)
      if (k == 1 && unused.substr(0, ellipsis).find(c) == std::string::npos)
        once.push_back(c);
    output += once;
  }
  SmallVector<int64_t> shape;
  for (char c : output) {
    auto it = extent.find(StringRef(&c, 1));
    if (it == extent.end())
      return n.error() << "output letter '" << c << "' appears in no operand";
    shape.push_back(it->second);
  }
  std::string normalized = llvm::join(expanded, ",");
  normalized += "->" + output;
  n.setOutput(0, n.create<g::EinsumOp>(withShape(n.inputType(0), shape), inputs,
                                       n.b.getStringAttr(normalized)));
  return success();
}

LogicalResult importScatterElements(NodeImporter &n) {
  auto data = n.inputType(0);
  auto axis = n.normalizeAxis(n.attrInt("axis", 0), data.getRank());
  if (failed(axis))
    return failure();
  n.setOutput(0, n.create<g::ScatterElementsOp>(
                     data, n.input(0), n.input(1), n.input(2), *axis,
                     n.attrString("reduction", "none")));
  return success();
}

LogicalResult importScatterND(NodeImporter &n) {
  n.setOutput(0, n.create<g::ScatterNDOp>(n.inputType(0), n.input(0), n.input(1),
                                          n.input(2),
                                          n.attrString("reduction", "none")));
  return success();
}

//===----------------------------------------------------------------------===//
// Control flow. Bodies are imported inline: an If with a run-time condition
// computes both branches and selects (ops are pure), Loop and Scan are
// unrolled over trip counts known at compile time.
//===----------------------------------------------------------------------===//

/// Bodies are unrolled up to this many iterations; more is refused rather
/// than compiled into an enormous function.
constexpr int64_t kMaxUnrolledIterations = 4096;

LogicalResult importIf(NodeImporter &n) {
  DenseElementsAttr cond = n.constantInput(0);
  if (cond && !llvm::isa<IntegerType>(cond.getElementType()))
    return n.error() << "the condition must be a bool, not "
                     << cond.getElementType();
  if (cond && cond.getNumElements() == 1) {
    bool taken = cond.getValues<APInt>()[0].getBoolValue();
    auto outs = n.importSubgraph(taken ? "then_branch" : "else_branch", {});
    if (failed(outs))
      return failure();
    for (auto [i, v] : llvm::enumerate(*outs))
      n.setOutput(i, v);
    return success();
  }
  if (n.inputType(0).getNumElements() != 1)
    return n.error() << "the condition must hold one element";
  auto thenOuts = n.importSubgraph("then_branch", {});
  if (failed(thenOuts))
    return failure();
  auto elseOuts = n.importSubgraph("else_branch", {});
  if (failed(elseOuts))
    return failure();
  if (thenOuts->size() != elseOuts->size())
    return n.error() << "the branches produce different numbers of outputs";
  for (size_t i = 0; i < thenOuts->size(); ++i) {
    Value t = (*thenOuts)[i], e = (*elseOuts)[i];
    if (t.getType() != e.getType())
      return n.error() << "output " << i << " is " << t.getType()
                       << " in one branch and " << e.getType()
                       << " in the other; a run-time condition needs both "
                          "the same";
    n.setOutput(i, n.create<g::WhereOp>(t.getType(), n.input(0), t, e));
  }
  return success();
}

/// Stacks per-iteration values along a new leading axis.
Value stackIterations(NodeImporter &n, ArrayRef<Value> parts, int64_t axis) {
  auto first = llvm::cast<RankedTensorType>(parts.front().getType());
  SmallVector<int64_t> one(first.getShape());
  one.insert(one.begin() + axis, 1);
  SmallVector<Value> expanded;
  for (Value v : parts)
    expanded.push_back(n.create<g::ReshapeOp>(withShape(first, one), v));
  SmallVector<int64_t> shape(one);
  shape[axis] = parts.size();
  if (expanded.size() == 1)
    return expanded.front();
  return n.create<g::ConcatOp>(withShape(first, shape), expanded, axis);
}

LogicalResult importLoop(NodeImporter &n) {
  std::optional<int64_t> tripCount;
  if (n.hasInput(0)) {
    auto m = n.constantInts(0);
    if (!m || m->size() != 1)
      return n.error() << "the trip count must be a compile-time constant "
                          "(loops are unrolled)";
    tripCount = m->front();
  }
  auto boolConstant = [&](Value v) -> std::optional<bool> {
    DenseElementsAttr attr;
    if (!v || !matchPattern(v, m_Constant(&attr)) ||
        attr.getNumElements() != 1 ||
        !llvm::isa<IntegerType>(attr.getElementType()))
      return std::nullopt;
    return attr.getValues<APInt>()[0].getBoolValue();
  };
  Value cond = n.input(1);
  std::optional<bool> running = n.hasInput(1) ? boolConstant(cond) : true;
  if (!running)
    return n.error() << "the loop condition must be a compile-time constant "
                        "(loops are unrolled)";
  auto i1 = RankedTensorType::get({}, n.b.getI1Type());
  if (!cond)
    cond = n.constant(DenseElementsAttr::get(i1, true));
  std::vector<Value> carried;
  for (size_t i = 2; i < n.numInputs(); ++i) {
    if (!n.hasInput(i))
      return n.error() << "loop-carried value " << i - 2
                       << " must be a tensor";
    carried.push_back(n.input(i));
  }
  std::vector<std::vector<Value>> scans;
  auto i64 = RankedTensorType::get({}, n.b.getI64Type());
  int64_t iter = 0;
  for (; *running && (!tripCount || iter < *tripCount); ++iter) {
    if (iter == kMaxUnrolledIterations)
      return n.error() << "the loop runs more than " << kMaxUnrolledIterations
                       << " iterations, too many to unroll";
    SmallVector<Value> args = {
        n.constant(DenseElementsAttr::get(i64, ArrayRef<int64_t>{iter})),
        cond};
    llvm::append_range(args, carried);
    auto outs = n.importSubgraph("body", args);
    if (failed(outs))
      return failure();
    if (outs->size() < 1 + carried.size())
      return n.error() << "the body returns too few outputs";
    cond = (*outs)[0];
    running = boolConstant(cond);
    if (!running)
      return n.error() << "the condition the body computes is not a "
                          "compile-time constant (loops are unrolled)";
    for (size_t i = 0; i < carried.size(); ++i) {
      if ((*outs)[1 + i].getType() != carried[i].getType())
        return n.error() << "loop-carried value " << i << " changes type";
      carried[i] = (*outs)[1 + i];
    }
    scans.resize(outs->size() - 1 - carried.size());
    for (size_t k = 0; k < scans.size(); ++k)
      scans[k].push_back((*outs)[1 + carried.size() + k]);
  }
  for (size_t i = 0; i < carried.size(); ++i)
    n.setOutput(i, carried[i]);
  for (size_t k = carried.size(); k < n.numOutputs(); ++k) {
    if (!n.wantsOutput(k))
      continue;
    if (scans.empty() || scans[k - carried.size()].empty())
      return n.error() << "scan output " << k - carried.size()
                       << " of a loop that runs no iteration";
    n.setOutput(k, stackIterations(n, scans[k - carried.size()], 0));
  }
  return success();
}

LogicalResult importScan(NodeImporter &n) {
  int64_t numScanInputs = n.attrInt("num_scan_inputs", 0);
  // Opset 8 had a leading optional sequence_lens input and a batch axis.
  size_t first = n.opset < 9 ? 1 : 0;
  if (n.opset < 9 && n.hasInput(0))
    return n.error() << "sequence_lens is not supported";
  size_t numInputs = n.numInputs() - first;
  if (numScanInputs < 1 || numScanInputs > (int64_t)numInputs)
    return n.error() << "num_scan_inputs is out of range";
  size_t numStates = numInputs - numScanInputs;
  auto attrList = [&](StringRef name, size_t count) {
    auto v = n.attrInts(name).value_or(std::vector<int64_t>{});
    v.resize(count, 0);
    return v;
  };
  auto inAxes = attrList("scan_input_axes", numScanInputs);
  auto inDirs = attrList(n.opset < 9 ? "directions" : "scan_input_directions",
                         numScanInputs);
  size_t numScanOutputs = n.numOutputs() - numStates;
  auto outAxes = attrList("scan_output_axes", numScanOutputs);
  auto outDirs = attrList("scan_output_directions", numScanOutputs);
  // Opset 8 scans dim 1 of [batch, seq, ...] inputs: one pass per batch
  // element is a loop we unroll too.
  int64_t batch = 1;
  if (n.opset < 9)
    batch = n.inputType(first).getShape()[0];
  std::vector<std::vector<Value>> perBatchOutputs(n.numOutputs());
  for (int64_t bIdx = 0; bIdx < batch; ++bIdx) {
    auto sliceBatch = [&](Value v) -> Value {
      if (n.opset >= 9)
        return v;
      auto t = llvm::cast<RankedTensorType>(v.getType());
      SmallVector<int64_t> shape(t.getShape()), starts(t.getRank(), 0),
          steps(t.getRank(), 1);
      shape[0] = 1;
      starts[0] = bIdx;
      Value s = n.create<g::SliceOp>(withShape(t, shape), v,
                                     n.b.getDenseI64ArrayAttr(starts),
                                     n.b.getDenseI64ArrayAttr(steps));
      return n.create<g::ReshapeOp>(withShape(t, ArrayRef(shape).drop_front()), s);
    };
    std::vector<Value> states, scanInputs;
    for (size_t i = 0; i < numStates; ++i)
      states.push_back(sliceBatch(n.input(first + i)));
    for (int64_t i = 0; i < numScanInputs; ++i)
      scanInputs.push_back(sliceBatch(n.input(first + numStates + i)));
    int64_t length = -1;
    for (int64_t i = 0; i < numScanInputs; ++i) {
      auto t = llvm::cast<RankedTensorType>(scanInputs[i].getType());
      auto axis = n.normalizeAxis(inAxes[i], t.getRank());
      if (failed(axis))
        return failure();
      inAxes[i] = *axis;
      if (t.isDynamicDim(*axis))
        return n.error() << "scan lengths must be static (scans are unrolled)";
      if (length >= 0 && t.getShape()[*axis] != length)
        return n.error() << "scan inputs differ in length";
      length = t.getShape()[*axis];
    }
    if (length > kMaxUnrolledIterations)
      return n.error() << "the scan runs " << length
                       << " iterations, too many to unroll";
    std::vector<std::vector<Value>> scanOuts(numScanOutputs);
    for (int64_t step = 0; step < length; ++step) {
      SmallVector<Value> args(states.begin(), states.end());
      for (int64_t i = 0; i < numScanInputs; ++i) {
        auto t = llvm::cast<RankedTensorType>(scanInputs[i].getType());
        int64_t at = inDirs[i] ? length - 1 - step : step;
        SmallVector<int64_t> shape(t.getShape()), starts(t.getRank(), 0),
            steps(t.getRank(), 1);
        shape[inAxes[i]] = 1;
        starts[inAxes[i]] = at;
        Value s = n.create<g::SliceOp>(withShape(t, shape), scanInputs[i],
                                       n.b.getDenseI64ArrayAttr(starts),
                                       n.b.getDenseI64ArrayAttr(steps));
        shape.erase(shape.begin() + inAxes[i]);
        args.push_back(n.create<g::ReshapeOp>(withShape(t, shape), s));
      }
      auto outs = n.importSubgraph("body", args);
      if (failed(outs))
        return failure();
      if (outs->size() != numStates + numScanOutputs)
        return n.error() << "the body returns " << outs->size()
                         << " outputs, the node has " << n.numOutputs();
      for (size_t i = 0; i < numStates; ++i)
        states[i] = (*outs)[i];
      for (size_t k = 0; k < numScanOutputs; ++k)
        scanOuts[k].push_back((*outs)[numStates + k]);
    }
    for (size_t i = 0; i < numStates; ++i)
      perBatchOutputs[i].push_back(states[i]);
    for (size_t k = 0; k < numScanOutputs; ++k) {
      if (scanOuts[k].empty())
        return n.error() << "a scan of length 0 has no outputs to stack";
      if (outDirs[k])
        std::reverse(scanOuts[k].begin(), scanOuts[k].end());
      auto t = llvm::cast<RankedTensorType>(scanOuts[k].front().getType());
      auto axis = n.normalizeAxis(outAxes[k], t.getRank() + 1);
      if (failed(axis))
        return failure();
      perBatchOutputs[numStates + k].push_back(
          stackIterations(n, scanOuts[k], *axis));
    }
  }
  for (size_t i = 0; i < n.numOutputs(); ++i)
    n.setOutput(i, n.opset < 9 ? stackIterations(n, perBatchOutputs[i], 0)
                               : perBatchOutputs[i].front());
  return success();
}

HandlerTable buildTable() {
  HandlerTable t;
  // Elementwise unary.
  t.add("Abs", 1, unary<g::AbsOp>);
  t.add("Neg", 1, unary<g::NegOp>);
  t.add("Sqrt", 1, unary<g::SqrtOp>);
  t.add("Exp", 1, unary<g::ExpOp>);
  t.add("Log", 1, unary<g::LogOp>);
  t.add("Erf", 9, unary<g::ErfOp>);
  t.add("Relu", 1, unary<g::ReluOp>);
  t.add("Sigmoid", 1, unary<g::SigmoidOp>);
  t.add("Tanh", 1, unary<g::TanhOp>);
  t.add("Reciprocal", 1, unary<g::ReciprocalOp>);
  t.add("Floor", 1, unary<g::FloorOp>);
  t.add("Ceil", 1, unary<g::CeilOp>);
  t.add("Round", 11, unary<g::RoundOp>);
  t.add("Sign", 9, unary<g::SignOp>);
  t.add("Sin", 7, unary<g::SinOp>);
  t.add("Cos", 7, unary<g::CosOp>);
  t.add("Tan", 7, unary<g::TanOp>);
  t.add("Asin", 7, unary<g::AsinOp>);
  t.add("Acos", 7, unary<g::AcosOp>);
  t.add("Atan", 7, unary<g::AtanOp>);
  t.add("Sinh", 9, unary<g::SinhOp>);
  t.add("Cosh", 9, unary<g::CoshOp>);
  t.add("Asinh", 9, unary<g::AsinhOp>);
  t.add("Acosh", 9, unary<g::AcoshOp>);
  t.add("Atanh", 9, unary<g::AtanhOp>);
  t.add("Softplus", 1, unary<g::SoftplusOp>);
  t.add("Softsign", 1, unary<g::SoftsignOp>);
  t.add("Not", 1, unary<g::NotOp>);
  t.add("HardSwish", 14, unary<g::HardSwishOp>);
  t.add("IsNaN", 9, importIsNaN);
  t.add("IsInf", 10, importIsInf);
  t.add("Gelu", 20, importGelu);
  t.add("LeakyRelu", 1, [](NodeImporter &n) { return unaryWithAlpha<g::LeakyReluOp>(n, 0.01f); });
  t.add("Elu", 1, [](NodeImporter &n) { return unaryWithAlpha<g::EluOp>(n, 1.0f); });
  t.add("Celu", 12, [](NodeImporter &n) { return unaryWithAlpha<g::CeluOp>(n, 1.0f); });
  t.add("ThresholdedRelu", 10, [](NodeImporter &n) {
    return unaryWithAlpha<g::ThresholdedReluOp>(n, 1.0f);
  });
  t.add("Selu", 1, [](NodeImporter &n) {
    return unaryWithTwoParams<g::SeluOp>(n, "alpha", 1.67326319217681884765625f,
                                         "gamma", 1.05070102214813232421875f);
  });
  t.add("HardSigmoid", 1, [](NodeImporter &n) {
    return unaryWithTwoParams<g::HardSigmoidOp>(n, "alpha", 0.2f, "beta", 0.5f);
  });
  t.add("Shrink", 9, [](NodeImporter &n) {
    return unaryWithTwoParams<g::ShrinkOp>(n, "bias", 0.0f, "lambd", 0.5f);
  });
  t.add("Cast", 1, importCast);
  t.add("CastLike", 15, importCastLike);
  t.add("Identity", 1, importIdentity);
  t.add("Dropout", 1, importDropout);
  t.add("Clip", 1, importClip);

  // Elementwise binary and variadic.
  t.add("Add", 1, binary<g::AddOp>);
  t.add("Sub", 1, binary<g::SubOp>);
  t.add("Mul", 1, binary<g::MulOp>);
  t.add("Div", 1, binary<g::DivOp>);
  t.add("Pow", 1, binary<g::PowOp>);
  t.add("And", 1, binary<g::AndOp>);
  t.add("Or", 1, binary<g::OrOp>);
  t.add("Xor", 1, binary<g::XorOp>);
  t.add("Equal", 1, binary<g::EqualOp, true>);
  t.add("Less", 1, binary<g::LessOp, true>);
  t.add("LessOrEqual", 12, binary<g::LessOrEqualOp, true>);
  t.add("Greater", 1, binary<g::GreaterOp, true>);
  t.add("GreaterOrEqual", 12, binary<g::GreaterOrEqualOp, true>);
  t.add("PRelu", 1, importPRelu);
  t.add("Mod", 10, importMod);
  t.add("BitShift", 11, importBitShift);
  t.add("Where", 9, importWhere);
  t.add("Max", 1, [](NodeImporter &n) { return variadic<g::MaxOp>(n); });
  t.add("Min", 1, [](NodeImporter &n) { return variadic<g::MinOp>(n); });
  t.add("Sum", 1, [](NodeImporter &n) { return variadic<g::AddOp>(n); });
  t.add("Mean", 1, [](NodeImporter &n) { return variadic<g::AddOp>(n, true); });

  // Linear algebra, convolution, pooling, normalization.
  t.add("MatMul", 1, importMatMul);
  t.add("Gemm", 1, importGemm);
  t.add("Conv", 1, importConv);
  t.add("ConvTranspose", 1, importConvTranspose);
  addQuantHandlers(t);
  t.add("BatchNormalization", 1, importBatchNorm);
  t.add("MaxPool", 1, importPool<g::MaxPoolOp>);
  t.add("AveragePool", 1, importPool<g::AveragePoolOp>);
  t.add("GlobalAveragePool", 1, [](NodeImporter &n) { return importGlobalPool(n, false); });
  t.add("GlobalMaxPool", 1, [](NodeImporter &n) { return importGlobalPool(n, true); });
  t.add("Softmax", 1, [](NodeImporter &n) { return importSoftmax(n, false); });
  t.add("LogSoftmax", 1, [](NodeImporter &n) { return importSoftmax(n, true); });
  t.add("LayerNormalization", 17, importLayerNorm);
  t.add("NegativeLogLikelihoodLoss", 12, importNllLoss);
  t.add("InstanceNormalization", 1, importInstanceNorm);
  t.add("DepthToSpace", 1, [](NodeImporter &n) { return importDepthSpace(n, true); });
  t.add("SpaceToDepth", 1, [](NodeImporter &n) { return importDepthSpace(n, false); });
  t.add("EyeLike", 9, importEyeLike);
  t.add("Hardmax", 1, importHardmax);
  t.add("LRN", 1, importLRN);
  t.add("RNN", 7, [](NodeImporter &n) { return importRecurrent(n, CellKind::RNN); });
  t.add("GRU", 7, [](NodeImporter &n) { return importRecurrent(n, CellKind::GRU); });
  t.add("LSTM", 7, [](NodeImporter &n) { return importRecurrent(n, CellKind::LSTM); });
  t.add("Resize", 10, [](NodeImporter &n) { return importResize(n, false); });
  t.add("Upsample", 7, [](NodeImporter &n) { return importResize(n, true); });
  t.add("OneHot", 9, importOneHot);
  t.add("SoftmaxCrossEntropyLoss", 12, importSoftmaxCrossEntropy);

  // Reductions: ReduceSum took axes as an input at opset 13, the rest at 18.
  auto reduce = [&](StringRef name, int64_t inputSince, auto fn) {
    t.add(name, 1, [fn](NodeImporter &n) { return fn(n, false); });
    t.add(name, inputSince, [fn](NodeImporter &n) { return fn(n, true); });
  };
  reduce("ReduceSum", 13, importReduce<g::ReduceSumOp>);
  reduce("ReduceMean", 18, importReduce<g::ReduceMeanOp>);
  reduce("ReduceMax", 18, importReduce<g::ReduceMaxOp>);
  reduce("ReduceMin", 18, importReduce<g::ReduceMinOp>);
  reduce("ReduceProd", 18, importReduce<g::ReduceProdOp>);
  reduce("ReduceL1", 18, importReduce<g::ReduceSumOp, Composite::L1>);
  reduce("ReduceL2", 18, importReduce<g::ReduceSumOp, Composite::L2>);
  reduce("ReduceSumSquare", 18, importReduce<g::ReduceSumOp, Composite::SumSquare>);
  reduce("ReduceLogSum", 18, importReduce<g::ReduceSumOp, Composite::LogSum>);
  reduce("ReduceLogSumExp", 18, importReduce<g::ReduceSumOp, Composite::LogSumExp>);
  t.add("ArgMax", 1, [](NodeImporter &n) { return importArgMax(n, false); });
  t.add("ArgMin", 1, [](NodeImporter &n) { return importArgMax(n, true); });
  t.add("TopK", 1, importTopK);
  t.add("NonZero", 9, importNonZero);

  // Shapes and data movement.
  t.add("Reshape", 5, importReshape);
  t.add("Flatten", 1, importFlatten);
  t.add("Squeeze", 1, [](NodeImporter &n) { return importSqueeze(n, false); });
  t.add("Squeeze", 13, [](NodeImporter &n) { return importSqueeze(n, true); });
  t.add("Unsqueeze", 1, [](NodeImporter &n) { return importUnsqueeze(n, false); });
  t.add("Unsqueeze", 13, [](NodeImporter &n) { return importUnsqueeze(n, true); });
  t.add("Transpose", 1, importTranspose);
  t.add("Concat", 4, importConcat);
  t.add("Gather", 1, importGather);
  t.add("GatherElements", 11, importGatherElements);
  t.add("GatherND", 11, importGatherND);
  t.add("Scatter", 9, importScatterElements);
  t.add("ScatterElements", 11, importScatterElements);
  t.add("ScatterND", 11, importScatterND);
  t.add("Einsum", 12, importEinsum);
  t.add("Slice", 1, importSlice);
  t.add("Split", 2, importSplit);
  t.add("Shape", 1, importShape);
  t.add("Size", 1, importSize);
  t.add("Constant", 1, importConstant);
  t.add("ConstantOfShape", 9, importConstantOfShape);
  t.add("Expand", 8, importExpand);
  t.add("Tile", 6, importTile);
  t.add("Pad", 2, importPad);
  t.add("Range", 11, importRange);
  t.add("Trilu", 14, importTrilu);
  t.add("CumSum", 11, importCumSum);

  // Control flow.
  t.add("If", 1, importIf);
  t.add("Loop", 1, importLoop);
  t.add("Scan", 8, importScan);

  // Sequences, resolved at import time.
  t.add("SequenceConstruct", 11, importSequenceConstruct);
  t.add("SequenceEmpty", 11, importSequenceEmpty);
  t.add("SequenceInsert", 11, importSequenceInsert);
  t.add("SequenceErase", 11, importSequenceErase);
  t.add("SequenceAt", 11, importSequenceAt);
  t.add("SequenceLength", 11, importSequenceLength);
  t.add("SplitToSequence", 11, importSplitToSequence);
  t.add("ConcatFromSequence", 11, importConcatFromSequence);

  // Dynamic dimensions. Elementwise ops and data movement carry any dynamic
  // dim through (their handlers refuse to compute on one); ops with windows
  // or per-channel parameters take a dynamic batch.
  for (StringRef op :
       {"Abs", "Neg", "Sqrt", "Exp", "Log", "Erf", "Relu", "Sigmoid", "Tanh",
        "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Tan",
        "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh",
        "Softplus", "Softsign", "Not", "HardSwish", "IsNaN", "IsInf", "Gelu",
        "LeakyRelu", "Elu", "Celu", "ThresholdedRelu", "Selu", "HardSigmoid",
        "Shrink", "Cast", "CastLike", "Identity", "Dropout", "Clip", "Add",
        "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Less",
        "LessOrEqual", "Greater", "GreaterOrEqual", "PRelu", "Mod",
        "BitShift", "Where", "Max", "Min", "Sum", "Mean", "MatMul", "Gemm",
        "Softmax", "LogSoftmax", "LayerNormalization", "ReduceSum",
        "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
        "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp",
        "ArgMax", "ArgMin", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
        "Transpose", "Concat", "Gather", "Slice", "Split", "Shape"})
    t.setDynamic(op, DynamicDims::Any);
  for (StringRef op : {"Conv", "BatchNormalization", "MaxPool", "AveragePool",
                       "GlobalAveragePool", "GlobalMaxPool",
                       "InstanceNormalization"})
    t.setDynamic(op, DynamicDims::Batch);
  return t;
}

} // namespace

const HandlerTable &mlir::ds::onnx_import::handlerTable() {
  static const HandlerTable table = buildTable();
  return table;
}
