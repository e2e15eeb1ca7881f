//===- LowerPrecision.cpp - f32 graphs computed in f16 or bf16 ------------===//
#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Verifier.h"

namespace mlir::ds {
#define GEN_PASS_DEF_LOWERPRECISIONPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {

bool isF32Tensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isF32();
}

/// `type` with f32 (alone or as a tensor's element type) replaced by `low`.
Type lowered(Type type, FloatType low) {
  if (type.isF32())
    return low;
  if (isF32Tensor(type))
    return cast<RankedTensorType>(type).clone(low);
  return type;
}

/// A float scalar converted to `to`: widened, narrowed, or (between two
/// formats of one width, f16 and bf16) through f32.
Value castScalar(OpBuilder &b, Location loc, Value value, FloatType to) {
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

/// A float tensor converted elementwise to element type `to`.
Value castTensor(OpBuilder &b, Location loc, Value tensor, FloatType to) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (type.getElementType() == to)
    return tensor;
  Value init =
      b.create<tensor::EmptyOp>(loc, tensor::getMixedSizes(b, loc, tensor), to);
  int64_t rank = type.getRank();
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return b
      .create<linalg::GenericOp>(
          loc, init.getType(), tensor, init, maps, iterators,
          [&](OpBuilder &nested, Location at, ValueRange args) {
            nested.create<linalg::YieldOp>(at,
                                           castScalar(nested, at, args[0], to));
          })
      .getResult(0);
}

Value castFloat(OpBuilder &b, Location loc, Value value, FloatType to) {
  return isa<FloatType>(value.getType()) ? castScalar(b, loc, value, to)
                                         : castTensor(b, loc, value, to);
}

/// Rounds f32 constants (scalars and tensors) to `low`.
Attribute loweredConstant(Attribute value, FloatType low) {
  auto round = [&](const APFloat &v) {
    APFloat r = v;
    bool lostInfo;
    r.convert(low.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lostInfo);
    return r;
  };
  if (auto scalar = dyn_cast<FloatAttr>(value);
      scalar && scalar.getType().isF32())
    return FloatAttr::get(low, round(scalar.getValue()));
  if (auto dense = dyn_cast<DenseFPElementsAttr>(value);
      dense && dense.getElementType().isF32())
    return dense.mapValues(
        low, [&](const APFloat &v) { return round(v).bitcastToAPInt(); });
  return value;
}

/// Ops that reduce into f32 outputs: they keep accumulating in f32.
bool accumulates(linalg::GenericOp op) {
  return op.getNumReductionLoops() > 0 &&
         llvm::any_of(op.getDpsInits(),
                      [](Value init) { return isF32Tensor(init.getType()); });
}

/// Ops evaluated in f32 on rounded inputs: math functions (accuracy, and
/// the GPU's approximations are f32) and bit casts (their width is fixed).
bool staysF32(Operation *op) {
  return isa<math::MathDialect>(op->getDialect()) || isa<arith::BitcastOp>(op);
}

struct LowerPrecisionPass
    : ds::impl::LowerPrecisionPassBase<LowerPrecisionPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (elementType != "f16" && elementType != "bf16")
      return emitError(UnknownLoc::get(ctx))
             << "ds-lower-precision: element-type must be f16 or bf16, not '"
             << elementType << "'";
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    OpBuilder b(&getContext());
    FloatType low = elementType == "bf16" ? FloatType(b.getBF16Type())
                                          : FloatType(b.getF16Type());
    FloatType f32 = b.getF32Type();
    IRRewriter rewriter(&getContext());

    // One form for every structured op: generic bodies are what gets
    // retyped below.
    SmallVector<linalg::LinalgOp> named;
    func.walk([&](linalg::LinalgOp op) {
      if (!isa<linalg::GenericOp>(op))
        named.push_back(op);
    });
    for (linalg::LinalgOp op : named) {
      rewriter.setInsertionPoint(op);
      if (failed(linalg::generalizeNamedOp(rewriter, op))) {
        op.emitError("cannot lower the precision of this op");
        return signalPassFailure();
      }
    }

    SmallVector<linalg::GenericOp> accumulating;
    func.walk([&](linalg::GenericOp op) {
      if (accumulates(op))
        accumulating.push_back(op);
    });
    auto insideAccumulating = [&](Operation *op) {
      for (linalg::GenericOp acc : accumulating)
        if (acc->isProperAncestor(op))
          return true;
      return false;
    };

    // Retype every f32 value, except in and out of accumulating ops: their
    // bodies and results stay f32, their inputs are rounded.
    func.walk([&](Operation *op) {
      if (op == func || insideAccumulating(op))
        return;
      auto acc = dyn_cast<linalg::GenericOp>(op);
      bool isAccumulating = acc && llvm::is_contained(accumulating, acc);
      if (!isAccumulating)
        for (Value result : op->getResults())
          result.setType(lowered(result.getType(), low));
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument arg : block.getArguments()) {
            if (isAccumulating && arg.getArgNumber() >= acc.getNumDpsInputs())
              continue;
            arg.setType(lowered(arg.getType(), low));
          }
    });

    // Constants whose type changed: their values are rounded.
    func.walk([&](arith::ConstantOp constant) {
      if (constant.getType() != constant.getValue().getType())
        constant.setValueAttr(
            cast<TypedAttr>(loweredConstant(constant.getValue(), low)));
    });

    // Float casts whose ends changed are rebuilt.
    SmallVector<Operation *> casts;
    func.walk([&](Operation *op) {
      if (isa<arith::ExtFOp, arith::TruncFOp>(op))
        casts.push_back(op);
    });
    for (Operation *op : casts) {
      b.setInsertionPoint(op);
      Value rebuilt = castScalar(b, op->getLoc(), op->getOperand(0),
                                 cast<FloatType>(op->getResult(0).getType()));
      op->getResult(0).replaceAllUsesWith(rebuilt);
      op->erase();
    }

    // Math functions and bit casts compute in f32 on rounded values.
    SmallVector<Operation *> wide;
    func.walk([&](Operation *op) {
      if (staysF32(op) && !insideAccumulating(op) &&
          llvm::any_of(op->getResultTypes(), [&](Type t) { return t == low; }))
        wide.push_back(op);
    });
    for (Operation *op : wide) {
      b.setInsertionPoint(op);
      for (OpOperand &operand : op->getOpOperands())
        if (operand.get().getType() == low)
          operand.set(castScalar(b, op->getLoc(), operand.get(), f32));
      b.setInsertionPointAfter(op);
      for (Value result : op->getResults()) {
        if (result.getType() != low)
          continue;
        result.setType(f32);
        Value rounded = castScalar(b, op->getLoc(), result, low);
        result.replaceAllUsesExcept(rounded, rounded.getDefiningOp());
      }
    }

    // Accumulating ops: inputs and captured values widened inside the
    // body, f32 inits, results rounded for their users.
    for (linalg::GenericOp acc : accumulating) {
      Block *body = acc.getBody();
      b.setInsertionPointToStart(body);
      for (BlockArgument arg :
           body->getArguments().take_front(acc.getNumDpsInputs()))
        if (arg.getType() == low) {
          Value wideArg = castScalar(b, acc.getLoc(), arg, f32);
          arg.replaceAllUsesExcept(wideArg, wideArg.getDefiningOp());
        }
      body->walk([&](Operation *inner) {
        for (OpOperand &operand : inner->getOpOperands()) {
          Value v = operand.get();
          if (v.getType() == low &&
              !acc.getRegion().isAncestor(v.getParentRegion()))
            operand.set(castScalar(b, acc.getLoc(), v, f32));
        }
      });
      b.setInsertionPoint(acc);
      for (OpOperand &init : acc.getDpsInitsMutable())
        if (cast<RankedTensorType>(init.get().getType()).getElementType() ==
            low)
          init.set(castTensor(b, acc.getLoc(), init.get(), f32));
      b.setInsertionPointAfter(acc);
      for (Value result : acc->getResults()) {
        if (!isF32Tensor(result.getType()))
          continue;
        Value rounded = castTensor(b, acc.getLoc(), result, low);
        result.replaceAllUsesExcept(rounded, rounded.getDefiningOp());
      }
    }

    // The interface stays f32: arguments are rounded on entry (after the
    // retyping above, which must not touch these casts).
    Block &entry = func.front();
    b.setInsertionPointToStart(&entry);
    for (BlockArgument arg : entry.getArguments()) {
      if (!isF32Tensor(arg.getType()))
        continue;
      Value rounded = castTensor(b, func.getLoc(), arg, low);
      SmallPtrSet<Operation *, 4> rounding;
      for (Operation &op : entry) {
        rounding.insert(&op);
        if (&op == rounded.getDefiningOp())
          break;
      }
      arg.replaceUsesWithIf(rounded, [&](OpOperand &use) {
        return !rounding.contains(use.getOwner());
      });
    }

    // Results are widened back to the f32 the signature promises.
    func.walk([&](func::ReturnOp ret) {
      b.setInsertionPoint(ret);
      for (auto [operand, type] :
           llvm::zip(ret->getOpOperands(), func.getResultTypes()))
        if (operand.get().getType() != type && isF32Tensor(type))
          operand.set(castFloat(b, ret.getLoc(), operand.get(), f32));
    });

    if (failed(verify(func))) {
      func.emitError("lowering the precision to ")
          << elementType << " left invalid IR";
      signalPassFailure();
    }
  }
};

} // namespace
