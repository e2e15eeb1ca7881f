//===- GraphOps.cpp - dsg verifiers and folders ---------------------------===//
#include "dialects/Graph/IR/GraphOps.h"

#include <cstring>

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace mlir::ds::graph;

#define GET_OP_CLASSES
#include "dialects/Graph/IR/GraphOps.cpp.inc"

FailureOr<SmallVector<int64_t>>
mlir::ds::graph::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    // A dynamic size is taken to match the other side: broadcasting it
    // from 1 at run time is not supported.
    if (da != db && da != 1 && db != 1 && !ShapedType::isDynamic(da) &&
        !ShapedType::isDynamic(db))
      return failure();
    out[i] = da == 1 || ShapedType::isDynamic(da) ? db : da;
    if (db == 1)
      out[i] = da;
  }
  return out;
}

bool mlir::ds::graph::isFusableActivation(StringRef name, size_t numParams) {
  size_t expected = llvm::StringSwitch<size_t>(name)
                        .Cases("relu", "tanh", "sigmoid", "hard_swish", 0)
                        .Cases("gelu", "gelu_tanh", 0)
                        .Case("leaky_relu", 1)
                        .Cases("clip", "hard_sigmoid", 2)
                        .Default(SIZE_MAX);
  return expected == numParams;
}

Value mlir::ds::graph::buildActivation(OpBuilder &b, Location loc,
                                       StringRef name, ArrayRef<float> params,
                                       Value input) {
  Type type = input.getType();
  if (name == "relu")
    return b.create<ReluOp>(loc, type, input);
  if (name == "tanh")
    return b.create<TanhOp>(loc, type, input);
  if (name == "sigmoid")
    return b.create<SigmoidOp>(loc, type, input);
  if (name == "hard_swish")
    return b.create<HardSwishOp>(loc, type, input);
  if (name == "gelu" || name == "gelu_tanh")
    return b.create<GeluOp>(loc, type, input,
                            b.getBoolAttr(name == "gelu_tanh"));
  if (name == "leaky_relu")
    return b.create<LeakyReluOp>(loc, type, input,
                                 b.getF32FloatAttr(params[0]));
  if (name == "hard_sigmoid")
    return b.create<HardSigmoidOp>(loc, type, input,
                                   b.getF32FloatAttr(params[0]),
                                   b.getF32FloatAttr(params[1]));
  assert(name == "clip" && "not a fusable activation");
  auto scalarType = RankedTensorType::get({}, b.getF32Type());
  Value lo =
      b.create<ConstantOp>(loc, DenseElementsAttr::get(scalarType, params[0]));
  Value hi =
      b.create<ConstantOp>(loc, DenseElementsAttr::get(scalarType, params[1]));
  return b.create<ClipOp>(loc, type, input, lo, hi);
}

std::string mlir::ds::graph::nodeName(Operation *op) {
  if (auto name = llvm::dyn_cast<NameLoc>(op->getLoc()))
    return name.getName().str();
  return "";
}

int64_t mlir::ds::graph::estimateFlops(Operation *op) {
  int64_t results = 0;
  for (Type type : op->getResultTypes()) {
    auto tensor = llvm::dyn_cast<RankedTensorType>(type);
    if (!tensor || !tensor.hasStaticShape())
      return 0;
    results += tensor.getNumElements();
  }
  auto staticType = [](Value v) {
    auto t = llvm::dyn_cast<RankedTensorType>(v.getType());
    return t && t.hasStaticShape() && t.getRank() > 0 ? t : RankedTensorType();
  };
  // Multiply-adds per result element: the reduced size.
  int64_t reduced = 0;
  if (auto conv = dyn_cast<ConvOp>(op)) {
    if (auto w = staticType(conv.getWeight()))
      reduced = w.getNumElements() / w.getShape()[0];
  } else if (auto gemm = dyn_cast<GemmOp>(op)) {
    if (auto a = staticType(gemm.getA()))
      reduced = a.getShape()[gemm.getTransA() ? 0 : a.getRank() - 1];
  } else if (isa<MatMulOp>(op) ||
             op->getName().getStringRef().ends_with("matmul_integer") ||
             op->getName().getStringRef().ends_with("weight_matmul")) {
    // [.., M, K] x [K, N]: the left operand's last dim.
    if (auto lhs = staticType(op->getOperand(0)))
      reduced = lhs.getShape().back();
  } else {
    return results;
  }
  return 2 * results * reduced;
}

/// Checks the fused-activation attributes of Conv, Gemm and MatMul.
static LogicalResult verifyEpilogue(Operation *op) {
  auto name = op->getAttrOfType<StringAttr>("activation");
  auto params = op->getAttrOfType<ArrayAttr>("activation_params");
  if (!name && params)
    return op->emitOpError("activation_params without an activation");
  if (name && !mlir::ds::graph::isFusableActivation(
                  name.getValue(), params ? params.size() : 0))
    return op->emitOpError("unknown activation '")
           << name.getValue() << "' or wrong number of parameters";
  return success();
}

/// Whether two sizes may be equal: a dynamic one matches any.
static bool compatibleDims(int64_t a, int64_t b) {
  return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
}

static bool compatibleShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  return a.size() == b.size() &&
         llvm::all_of(llvm::zip(a, b), [](auto p) {
           return compatibleDims(std::get<0>(p), std::get<1>(p));
         });
}

static RankedTensorType rankedType(Value v) {
  return llvm::cast<RankedTensorType>(v.getType());
}

/// Checks that `result` has the broadcast shape of `operands`.
static LogicalResult verifyBroadcastResult(Operation *op, ValueRange operands,
                                           Value result) {
  SmallVector<int64_t> shape;
  for (Value v : operands) {
    auto next = broadcastShapes(shape, rankedType(v).getShape());
    if (failed(next))
      return op->emitOpError("operand shapes are not broadcast-compatible");
    shape = *next;
  }
  if (rankedType(result).getShape() != ArrayRef<int64_t>(shape))
    return op->emitOpError("result shape does not match the broadcast shape "
                           "of the operands");
  return success();
}

static bool isComparison(Operation *op) {
  return isa<EqualOp, LessOp, LessOrEqualOp, GreaterOp, GreaterOrEqualOp>(op);
}

static LogicalResult verifyBinary(Operation *op) {
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  Value result = op->getResult(0);
  Type lhsElt = rankedType(lhs).getElementType();
  if (!isa<PowOp, BitShiftOp>(op) &&
      lhsElt != rankedType(rhs).getElementType())
    return op->emitOpError("operand element types differ");
  Type resultElt = rankedType(result).getElementType();
  if (isComparison(op)) {
    if (!resultElt.isInteger(1))
      return op->emitOpError("comparison result must be i1");
  } else if (resultElt != lhsElt) {
    return op->emitOpError("result element type must match the lhs");
  }
  return verifyBroadcastResult(op, {lhs, rhs}, result);
}

#define DS_BINARY_VERIFIER(OP)                                                 \
  LogicalResult OP::verify() { return verifyBinary(getOperation()); }
DS_BINARY_VERIFIER(AddOp)
DS_BINARY_VERIFIER(SubOp)
DS_BINARY_VERIFIER(MulOp)
DS_BINARY_VERIFIER(DivOp)
DS_BINARY_VERIFIER(PowOp)
DS_BINARY_VERIFIER(MaxOp)
DS_BINARY_VERIFIER(MinOp)
DS_BINARY_VERIFIER(AndOp)
DS_BINARY_VERIFIER(OrOp)
DS_BINARY_VERIFIER(XorOp)
DS_BINARY_VERIFIER(EqualOp)
DS_BINARY_VERIFIER(LessOp)
DS_BINARY_VERIFIER(LessOrEqualOp)
DS_BINARY_VERIFIER(GreaterOp)
DS_BINARY_VERIFIER(GreaterOrEqualOp)
DS_BINARY_VERIFIER(PReluOp)
DS_BINARY_VERIFIER(ModOp)
DS_BINARY_VERIFIER(BitShiftOp)
#undef DS_BINARY_VERIFIER

LogicalResult WhereOp::verify() {
  if (getLhs().getType().getElementType() !=
          getRhs().getType().getElementType() ||
      getResult().getType().getElementType() !=
          getLhs().getType().getElementType())
    return emitOpError("value operands and result must share an element type");
  return verifyBroadcastResult(*this, {getCondition(), getLhs(), getRhs()},
                               getResult());
}

LogicalResult ClipOp::verify() {
  if (getInput().getType() != getResult().getType())
    return emitOpError("result type must match the input type");
  for (Value bound : {getMin(), getMax()})
    if (bound && rankedType(bound).getNumElements() != 1)
      return emitOpError("bounds must hold a single element");
  return success();
}

//===----------------------------------------------------------------------===//
// Constant folding helpers
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  if (!isa<RankedTensorType>(getValue().getType()))
    return emitOpError("value must be a ranked tensor");
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

/// Constant subgraphs are evaluated at compile time up to this many
/// elements per op: shape arithmetic and weight preprocessing (a weight
/// scaled or negated by the exporter), not anything tensor-sized that would
/// bloat compile time.
constexpr int64_t kMaxFoldedElements = int64_t(1) << 20;

/// Folds a binary op on two dense constants of the result's shape (or
/// splats), element by element.
template <typename IntFn, typename FloatFn>
static Attribute foldBinary(Attribute lhsAttr, Attribute rhsAttr,
                            RankedTensorType resultType, IntFn intFn,
                            FloatFn floatFn) {
  auto lhs = llvm::dyn_cast_or_null<DenseElementsAttr>(lhsAttr);
  auto rhs = llvm::dyn_cast_or_null<DenseElementsAttr>(rhsAttr);
  if (!lhs || !rhs || resultType.getNumElements() > kMaxFoldedElements)
    return {};
  auto fits = [&](DenseElementsAttr a) {
    return a.isSplat() || a.getType().getShape() == resultType.getShape();
  };
  if (!fits(lhs) || !fits(rhs))
    return {};
  int64_t n = resultType.getNumElements();
  Type elt = resultType.getElementType();
  if (auto intType = llvm::dyn_cast<IntegerType>(elt)) {
    if (!intType.isSignless())
      return {};
    auto l = lhs.getValues<APInt>(), r = rhs.getValues<APInt>();
    SmallVector<APInt> out;
    for (int64_t i = 0; i < n; ++i) {
      std::optional<APInt> v = intFn(l[lhs.isSplat() ? 0 : i],
                                     r[rhs.isSplat() ? 0 : i]);
      if (!v)
        return {};
      out.push_back(*v);
    }
    return DenseElementsAttr::get(resultType, out);
  }
  if (llvm::isa<FloatType>(elt)) {
    auto l = lhs.getValues<APFloat>(), r = rhs.getValues<APFloat>();
    SmallVector<APFloat> out;
    for (int64_t i = 0; i < n; ++i)
      out.push_back(floatFn(l[lhs.isSplat() ? 0 : i], r[rhs.isSplat() ? 0 : i]));
    return DenseElementsAttr::get(resultType, out);
  }
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](const APInt &a, const APInt &b) -> std::optional<APInt> { return a + b; },
      [](const APFloat &a, const APFloat &b) { return a + b; });
}
OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](const APInt &a, const APInt &b) -> std::optional<APInt> { return a - b; },
      [](const APFloat &a, const APFloat &b) { return a - b; });
}
OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](const APInt &a, const APInt &b) -> std::optional<APInt> { return a * b; },
      [](const APFloat &a, const APFloat &b) { return a * b; });
}
OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](const APInt &a, const APInt &b) -> std::optional<APInt> {
        if (b.isZero())
          return std::nullopt;
        return a.sdiv(b);
      },
      [](const APFloat &a, const APFloat &b) { return a / b; });
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  auto input = llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!input || getType().getNumElements() > kMaxFoldedElements)
    return {};
  if (auto i = llvm::dyn_cast<IntegerType>(input.getElementType());
      i && i.isSignless())
    return input.mapValues(i, [](const APInt &v) { return -v; });
  if (auto f = llvm::dyn_cast<FloatType>(input.getElementType()))
    return input.mapValues(f, [](const APFloat &v) { return (-v).bitcastToAPInt(); });
  return {};
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  auto input = llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!input || getType().getNumElements() > 4096)
    return {};
  auto srcInt = llvm::dyn_cast<IntegerType>(input.getElementType());
  auto dstInt = llvm::dyn_cast<IntegerType>(getType().getElementType());
  // Only the integer shape arithmetic that feeds Reshape and friends.
  if (!srcInt || !dstInt || !srcInt.isSignless() || !dstInt.isSignless() ||
      dstInt.getWidth() == 1 || srcInt.getWidth() == 1)
    return {};
  return input.mapValues(dstInt, [&](const APInt &v) {
    return v.sextOrTrunc(dstInt.getWidth());
  });
}

//===----------------------------------------------------------------------===//
// Linear algebra and convolution
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::verify() {
  auto lhs = getLhs().getType(), rhs = getRhs().getType();
  if (lhs.getRank() < 1 || rhs.getRank() < 1)
    return emitOpError("operands must have rank >= 1");
  int64_t kl = lhs.getShape().back();
  int64_t kr = rhs.getRank() == 1 ? rhs.getShape()[0]
                                  : rhs.getShape()[rhs.getRank() - 2];
  if (!compatibleDims(kl, kr))
    return emitOpError("contraction dimensions differ: ") << kl << " vs " << kr;
  if (lhs.getElementType() != rhs.getElementType())
    return emitOpError("operand element types differ");
  if (getBias()) {
    auto bc = broadcastShapes(getBias().getType().getShape(), getType().getShape());
    if (failed(bc) || !compatibleShapes(*bc, getType().getShape()))
      return emitOpError("bias must broadcast to the result");
  }
  return verifyEpilogue(*this);
}

/// A constant B is stored [K, N], so that kernels stream its rows
/// contiguously: the transpose is done once, at compile time (it folds).
LogicalResult GemmOp::canonicalize(GemmOp op, PatternRewriter &rewriter) {
  if (!op.getTransB() || !matchPattern(op.getB(), m_Constant()))
    return failure();
  auto bType = llvm::cast<RankedTensorType>(op.getB().getType());
  auto transposedType = RankedTensorType::get(
      {bType.getShape()[1], bType.getShape()[0]}, bType.getElementType());
  Value transposed = rewriter.create<TransposeOp>(
      op.getLoc(), transposedType, op.getB(),
      rewriter.getDenseI64ArrayAttr({1, 0}));
  rewriter.modifyOpInPlace(op, [&] {
    op.getBMutable().assign(transposed);
    op.setTransB(false);
  });
  return success();
}

LogicalResult GemmOp::verify() {
  auto a = getA().getType(), b = getB().getType();
  if (a.getRank() != 2 || b.getRank() != 2 || getType().getRank() != 2)
    return emitOpError("A, B and the result must be 2-D");
  int64_t m = a.getShape()[getTransA() ? 1 : 0];
  int64_t ka = a.getShape()[getTransA() ? 0 : 1];
  int64_t kb = b.getShape()[getTransB() ? 1 : 0];
  int64_t n = b.getShape()[getTransB() ? 0 : 1];
  if (!compatibleDims(ka, kb))
    return emitOpError("contraction dimensions differ: ") << ka << " vs " << kb;
  if (!compatibleShapes(getType().getShape(), {m, n}))
    return emitOpError("result must be [") << m << ", " << n << "]";
  if (getC()) {
    auto bc = broadcastShapes(getC().getType().getShape(), {m, n});
    if (failed(bc) || !compatibleShapes(*bc, {m, n}))
      return emitOpError("C does not broadcast to [") << m << ", " << n << "]";
  }
  return verifyEpilogue(*this);
}

LogicalResult ConvOp::verify() {
  auto in = getInput().getType(), w = getWeight().getType();
  int64_t rank = in.getRank();
  if (rank < 3 || w.getRank() != rank || getType().getRank() != rank)
    return emitOpError("input, weight and result must have the same rank >= 3");
  size_t spatial = rank - 2;
  if (getStrides().size() != spatial || getDilations().size() != spatial ||
      getPads().size() != 2 * spatial)
    return emitOpError("strides and dilations need one value per spatial axis "
                       "and pads two");
  int64_t group = getGroup();
  if (group < 1 || in.getShape()[1] % group != 0 || w.getShape()[0] % group)
    return emitOpError("channels are not divisible by group ") << group;
  if (in.getShape()[1] / group != w.getShape()[1])
    return emitOpError("weight has ")
           << w.getShape()[1] << " input channels per group, input has "
           << in.getShape()[1] / group;
  if (getType().getShape()[1] != w.getShape()[0])
    return emitOpError("result channels must equal the weight's output channels");
  if (getBias() && (getBias().getType().getRank() != 1 ||
                    getBias().getType().getShape()[0] != w.getShape()[0]))
    return emitOpError("bias must be 1-D with one value per output channel");
  for (size_t i = 0; i < spatial; ++i) {
    int64_t size = in.getShape()[2 + i] + getPads()[i] + getPads()[spatial + i];
    int64_t window = (w.getShape()[2 + i] - 1) * getDilations()[i] + 1;
    int64_t expected = (size - window) / getStrides()[i] + 1;
    if (getStrides()[i] < 1 || getDilations()[i] < 1 ||
        getType().getShape()[2 + i] != expected)
      return emitOpError("spatial dim ") << i << " of the result must be "
                                         << expected;
  }
  return verifyEpilogue(*this);
}

LogicalResult BatchNormOp::verify() {
  auto in = getInput().getType();
  if (in.getRank() < 2)
    return emitOpError("input must have rank >= 2");
  int64_t c = in.getShape()[1];
  for (Value v : {getScale(), getBias(), getMean(), getVariance()})
    if (rankedType(v).getShape() != ArrayRef<int64_t>{c})
      return emitOpError("scale, bias, mean and variance must be [") << c << "]";
  if (getType() != in)
    return emitOpError("result type must match the input");
  return success();
}

template <typename Pool>
static LogicalResult verifyPool(Pool op) {
  auto in = op.getInput().getType();
  size_t spatial = in.getRank() - 2;
  if (in.getRank() < 3 || op.getKernelShape().size() != spatial ||
      op.getStrides().size() != spatial || op.getDilations().size() != spatial ||
      op.getPads().size() != 2 * spatial)
    return op.emitOpError("kernel_shape, strides and dilations need one value "
                          "per spatial axis and pads two");
  for (size_t i = 0; i < spatial; ++i)
    if (op.getKernelShape()[i] < 1 || op.getStrides()[i] < 1 ||
        op.getDilations()[i] < 1)
      return op.emitOpError("kernel, strides and dilations must be positive");
  return success();
}
LogicalResult MaxPoolOp::verify() { return verifyPool(*this); }
LogicalResult AveragePoolOp::verify() { return verifyPool(*this); }

//===----------------------------------------------------------------------===//
// Normalization and reductions
//===----------------------------------------------------------------------===//

static LogicalResult verifyAxis(Operation *op, int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= std::max<int64_t>(rank, 1))
    return op->emitOpError("axis ") << axis << " is out of range for rank "
                                    << rank;
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getType().getRank());
}

LogicalResult LayerNormOp::verify() {
  return verifyAxis(*this, getAxis(), getType().getRank());
}

LogicalResult TriluOp::verify() {
  if (getInput().getType() != getType() || getType().getRank() < 2)
    return emitOpError("result must have the input's type, of rank >= 2");
  if (getK().getType().getNumElements() != 1)
    return emitOpError("k must hold a single element");
  return success();
}

LogicalResult CumSumOp::verify() {
  return verifyAxis(*this, getAxis(), getType().getRank());
}

template <typename Reduce>
static LogicalResult verifyReduce(Reduce op) {
  auto in = op.getInput().getType();
  ArrayRef<int64_t> axes = op.getAxes();
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] < 0 || axes[i] >= in.getRank() || (i && axes[i] <= axes[i - 1]))
      return op.emitOpError("axes must be sorted, unique and in [0, rank)");
  SmallVector<int64_t> expected;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (!llvm::is_contained(axes, d))
      expected.push_back(in.getShape()[d]);
    else if (op.getKeepdims())
      expected.push_back(1);
  }
  if (op.getType().getShape() != ArrayRef<int64_t>(expected))
    return op.emitOpError("result shape does not match the reduction");
  return success();
}
LogicalResult ReduceSumOp::verify() { return verifyReduce(*this); }
LogicalResult ReduceMeanOp::verify() { return verifyReduce(*this); }
LogicalResult ReduceMaxOp::verify() { return verifyReduce(*this); }
LogicalResult ReduceMinOp::verify() { return verifyReduce(*this); }
LogicalResult ReduceProdOp::verify() { return verifyReduce(*this); }

LogicalResult NonZeroOp::verify() {
  auto in = getInput().getType();
  if (!in.hasStaticShape())
    return emitOpError("input must have a static shape");
  if (getType().getRank() != 2 || getType().getShape()[0] != in.getRank() ||
      !getType().isDynamicDim(1))
    return emitOpError("result must be [") << in.getRank() << ", ?]";
  return success();
}

LogicalResult ArgMaxOp::verify() {
  return verifyAxis(*this, getAxis(), getInput().getType().getRank());
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  if (getInput().getType().hasStaticShape() != getType().hasStaticShape())
    return emitOpError("cannot reshape between static and dynamic shapes");
  if (getType().hasStaticShape() &&
      getInput().getType().getNumElements() != getType().getNumElements())
    return emitOpError("element count changes from ")
           << getInput().getType().getNumElements() << " to "
           << getType().getNumElements();
  if (getInput().getType().getElementType() != getType().getElementType())
    return emitOpError("element type changes");
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto dense = llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(getType());
  // A reshape of a reshape reads the first one's input directly.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  return {};
}

LogicalResult TransposeOp::verify() {
  auto in = getInput().getType();
  ArrayRef<int64_t> perm = getPerm();
  if ((int64_t)perm.size() != in.getRank())
    return emitOpError("perm must have one entry per dimension");
  SmallVector<bool> seen(perm.size(), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitOpError("perm is not a permutation");
    seen[p] = true;
  }
  for (size_t i = 0; i < perm.size(); ++i)
    if (getType().getShape()[i] != in.getShape()[perm[i]])
      return emitOpError("result dim ") << i << " must be input dim " << perm[i];
  return success();
}

DenseElementsAttr mlir::ds::graph::transposeConstant(
    DenseElementsAttr dense, ArrayRef<int64_t> perm,
    RankedTensorType resultType) {
  if (dense.isSplat())
    return dense.reshape(resultType);
  unsigned bits = dense.getElementType().getIntOrFloatBitWidth();
  if (bits % 8 != 0 || !resultType.hasStaticShape())
    return nullptr;
  size_t width = bits / 8;
  ArrayRef<char> raw = dense.getRawData();
  auto inShape = dense.getType().getShape();
  int64_t rank = perm.size();
  SmallVector<int64_t> inStrides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * inShape[d + 1];
  std::vector<char> out(raw.size());
  SmallVector<int64_t> index(rank, 0);
  auto outShape = resultType.getShape();
  for (int64_t flat = 0, n = resultType.getNumElements(); flat < n; ++flat) {
    int64_t source = 0;
    for (int64_t d = 0; d < rank; ++d)
      source += index[d] * inStrides[perm[d]];
    std::memcpy(out.data() + flat * width, raw.data() + source * width, width);
    for (int64_t d = rank - 1; d >= 0 && ++index[d] == outShape[d]; --d)
      index[d] = 0;
  }
  return DenseElementsAttr::getFromRawBuffer(resultType, out);
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  if (llvm::all_of(llvm::enumerate(getPerm()),
                   [](auto p) { return (int64_t)p.index() == p.value(); }))
    return getInput();
  // Constant weights are transposed once, at compile time.
  if (auto dense = llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    if (auto folded = transposeConstant(dense, getPerm(), getType()))
      return folded;
  // Two transposes are one: result dim i is inner input dim inner[outer[i]].
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t p : getPerm())
      composed.push_back(inner.getPerm()[p]);
    getInputMutable().assign(inner.getInput());
    setPerm(composed);
    return getResult();
  }
  return {};
}

LogicalResult ConcatOp::verify() {
  int64_t rank = getType().getRank();
  if (failed(verifyAxis(*this, getAxis(), rank)))
    return failure();
  int64_t total = 0;
  for (Value v : getInputs()) {
    auto t = rankedType(v);
    if (t.getRank() != rank || t.getElementType() != getType().getElementType())
      return emitOpError("inputs must match the result's rank and element type");
    for (int64_t d = 0; d < rank; ++d)
      if (d != getAxis() &&
          !compatibleDims(t.getShape()[d], getType().getShape()[d]))
        return emitOpError("inputs differ outside the concatenation axis");
    total = t.isDynamicDim(getAxis()) || ShapedType::isDynamic(total)
                ? ShapedType::kDynamic
                : total + t.getShape()[getAxis()];
  }
  if (!compatibleDims(total, getType().getShape()[getAxis()]))
    return emitOpError("result size along the axis must be ") << total;
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  if (getType().getRank() != 1 || getType().getNumElements() > 4096)
    return {};
  SmallVector<Attribute> values;
  for (Attribute a : adaptor.getInputs()) {
    auto dense = llvm::dyn_cast_or_null<DenseElementsAttr>(a);
    if (!dense)
      return {};
    llvm::append_range(values, dense.getValues<Attribute>());
  }
  return DenseElementsAttr::get(getType(), values);
}

LogicalResult SliceOp::verify() {
  auto in = getInput().getType();
  if ((int64_t)getStarts().size() != in.getRank() ||
      (int64_t)getSteps().size() != in.getRank() ||
      getType().getRank() != in.getRank())
    return emitOpError("starts and steps need one value per dimension");
  for (int64_t d = 0; d < in.getRank(); ++d) {
    int64_t n = getType().getShape()[d];
    if (in.isDynamicDim(d) || ShapedType::isDynamic(n)) {
      if (n != in.getShape()[d] || getStarts()[d] != 0 || getSteps()[d] != 1)
        return emitOpError("dim ") << d << " is dynamic: it can only be kept whole";
      continue;
    }
    if (n == 0)
      continue;
    int64_t first = getStarts()[d], last = first + (n - 1) * getSteps()[d];
    if (getSteps()[d] == 0 || first < 0 || first >= in.getShape()[d] ||
        last < 0 || last >= in.getShape()[d])
      return emitOpError("dim ") << d << " reads outside the input";
  }
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  auto dense = llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!dense || getType().getRank() != 1)
    return {};
  auto values = dense.getValues<Attribute>();
  SmallVector<Attribute> out;
  for (int64_t i = 0; i < getType().getShape()[0]; ++i)
    out.push_back(values[getStarts()[0] + i * getSteps()[0]]);
  return DenseElementsAttr::get(getType(), out);
}

LogicalResult GatherOp::verify() {
  auto data = getData().getType(), indices = getIndices().getType();
  if (failed(verifyAxis(*this, getAxis(), data.getRank())))
    return failure();
  SmallVector<int64_t> expected(data.getShape().take_front(getAxis()));
  llvm::append_range(expected, indices.getShape());
  llvm::append_range(expected, data.getShape().drop_front(getAxis() + 1));
  if (getType().getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result shape must be data[:axis] + indices + data[axis+1:]");
  return success();
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  auto data = llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getData());
  auto indices = llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getIndices());
  if (!data || !indices || getData().getType().getRank() != 1)
    return {};
  auto values = data.getValues<Attribute>();
  int64_t n = data.getNumElements();
  SmallVector<Attribute> out;
  for (const APInt &index : indices.getValues<APInt>()) {
    int64_t i = index.getSExtValue();
    if (i < 0)
      i += n;
    if (i < 0 || i >= n)
      return {};
    out.push_back(values[i]);
  }
  return DenseElementsAttr::get(getType(), out);
}

LogicalResult GatherElementsOp::verify() {
  if (getIndices().getType().getShape() != getType().getShape())
    return emitOpError("result shape must equal the indices shape");
  return verifyAxis(*this, getAxis(), getData().getType().getRank());
}

LogicalResult GatherNDOp::verify() {
  auto data = getData().getType(), indices = getIndices().getType();
  int64_t b = getBatchDims();
  if (indices.getRank() < 1 || b < 0 || b >= indices.getRank() ||
      b >= data.getRank())
    return emitOpError("batch_dims must be below both ranks");
  int64_t last = indices.getShape().back();
  if (b + last > data.getRank())
    return emitOpError("index tuples are longer than data's rank allows");
  for (int64_t d = 0; d < b; ++d)
    if (data.getShape()[d] != indices.getShape()[d])
      return emitOpError("batch dims of data and indices differ");
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected, data.getShape().drop_front(b + last));
  if (getType().getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result shape must be indices[:-1] + data[batch_dims + last:]");
  return success();
}

static LogicalResult verifyScatterCommon(Operation *op, Value data,
                                        Value updates, Value result,
                                        StringRef reduction) {
  if (data.getType() != result.getType())
    return op->emitOpError("result type must match data");
  if (rankedType(updates).getElementType() != rankedType(data).getElementType())
    return op->emitOpError("updates and data differ in element type");
  if (!llvm::is_contained({"none", "add", "mul", "max", "min"}, reduction))
    return op->emitOpError("unknown reduction '") << reduction << "'";
  return success();
}

LogicalResult ScatterElementsOp::verify() {
  if (failed(verifyScatterCommon(*this, getData(), getUpdates(), getResult(),
                                 getReduction())))
    return failure();
  if (getIndices().getType().getShape() != getUpdates().getType().getShape() ||
      getIndices().getType().getRank() != getData().getType().getRank())
    return emitOpError("indices and updates must share a shape of data's rank");
  return verifyAxis(*this, getAxis(), getData().getType().getRank());
}

LogicalResult ScatterNDOp::verify() {
  if (failed(verifyScatterCommon(*this, getData(), getUpdates(), getResult(),
                                 getReduction())))
    return failure();
  auto data = getData().getType(), indices = getIndices().getType();
  if (indices.getRank() < 1 || indices.getShape().back() > data.getRank())
    return emitOpError("index tuples are longer than data's rank");
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected, data.getShape().drop_front(indices.getShape().back()));
  if (getUpdates().getType().getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("updates must be indices[:-1] + data[k:]");
  return success();
}

LogicalResult EinsumOp::verify() {
  StringRef eq = getEquation();
  auto [lhs, out] = eq.split("->");
  if (lhs.size() == eq.size())
    return emitOpError("equation must be explicit (contain '->')");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != getInputs().size())
    return emitOpError("equation names ") << terms.size() << " operands, op has "
                                          << getInputs().size();
  llvm::StringMap<int64_t> extent;
  for (auto [term, v] : llvm::zip(terms, getInputs())) {
    auto t = llvm::cast<RankedTensorType>(v.getType());
    if ((int64_t)term.size() != t.getRank())
      return emitOpError("subscript '") << term << "' does not match rank "
                                        << t.getRank();
    for (auto [c, size] : llvm::zip(term, t.getShape())) {
      if (!llvm::isAlpha(c))
        return emitOpError("subscripts must be letters");
      int64_t &e = extent[StringRef(&c, 1)];
      if (e > 1 && size > 1 && e != size)
        return emitOpError("letter '") << c << "' has extents " << e << " and " << size;
      e = std::max(e, size);
    }
  }
  if ((int64_t)out.size() != getType().getRank())
    return emitOpError("output subscripts do not match the result rank");
  for (auto [c, size] : llvm::zip(out, getType().getShape())) {
    auto it = extent.find(StringRef(&c, 1));
    if (it == extent.end() || it->second != size)
      return emitOpError("output letter '") << c << "' has no matching extent";
  }
  return success();
}

LogicalResult ExpandOp::verify() {
  auto bc = broadcastShapes(getInput().getType().getShape(),
                            getType().getShape());
  if (failed(bc) || ArrayRef<int64_t>(*bc) != getType().getShape())
    return emitOpError("input does not broadcast to the result shape");
  return success();
}

LogicalResult TileOp::verify() {
  auto in = getInput().getType();
  if (in.getRank() != getType().getRank())
    return emitOpError("rank changes");
  for (int64_t d = 0; d < in.getRank(); ++d) {
    int64_t size = in.getShape()[d], out = getType().getShape()[d];
    if (size == 0 ? out != 0 : out % size != 0)
      return emitOpError("result dim ") << d << " is not a multiple of the input";
  }
  return success();
}

LogicalResult PadOp::verify() {
  auto in = getInput().getType();
  if ((int64_t)getPads().size() != 2 * in.getRank())
    return emitOpError("pads need a begin and an end per dimension");
  if (getMode() != "constant" && getMode() != "reflect" && getMode() != "edge")
    return emitOpError("mode must be constant, reflect or edge");
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (in.getShape()[d] + getPads()[d] + getPads()[in.getRank() + d] !=
        getType().getShape()[d])
      return emitOpError("result dim ") << d << " does not match the pads";
  return success();
}
