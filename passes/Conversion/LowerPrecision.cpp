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
            nested.create<linalg::YieldOp>(
                at, ds::convertFloat(nested, at, args[0], to));
          })
      .getResult(0);
}

Value castFloat(OpBuilder &b, Location loc, Value value, FloatType to) {
  return isa<FloatType>(value.getType()) ? ds::convertFloat(b, loc, value, to)
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

    // Reductions accumulate in f32, and their results stay f32 up to the
    // ops that consume them (through reshapes and slices): a sum of
    // squares overflows f16 long before the mean or the norm taken of it.
    // Those consumers compute in f32 too and round what they produce.
    SetVector<linalg::GenericOp> accumulating;
    func.walk([&](linalg::GenericOp op) {
      if (accumulates(op))
        accumulating.insert(op);
    });
    llvm::SetVector<Value> wideValues;
    for (linalg::GenericOp acc : accumulating)
      for (Value result : acc->getResults())
        if (isF32Tensor(result.getType()))
          wideValues.insert(result);
    SetVector<Operation *> reshapes; // keep f32, between the two
    for (size_t i = 0; i < wideValues.size(); ++i)
      for (Operation *user : wideValues[i].getUsers())
        if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp,
                tensor::ExtractSliceOp, tensor::CastOp>(user) &&
            user->getOperand(0) == wideValues[i]) {
          reshapes.insert(user);
          wideValues.insert(user->getResult(0));
        }
    // Generics whose bodies compute in f32.
    SetVector<linalg::GenericOp> wideOps(accumulating.begin(),
                                         accumulating.end());
    for (Value v : wideValues)
      for (Operation *user : v.getUsers())
        if (auto consumer = dyn_cast<linalg::GenericOp>(user))
          wideOps.insert(consumer);
    // Generics do not nest: the one around an op is the only candidate.
    auto insideWideOp = [&](Operation *op) {
      auto around = op->getParentOfType<linalg::GenericOp>();
      return around && wideOps.contains(around);
    };
    auto isAccumulating = [&](Operation *op) {
      auto generic = dyn_cast<linalg::GenericOp>(op);
      return generic && accumulating.contains(generic);
    };

    // Retype every f32 value but those: accumulators, their reshapes, and
    // the bodies of f32 generics (whose inputs and outputs of the lower
    // type are widened and rounded below).
    func.walk([&](Operation *op) {
      if (op == func || insideWideOp(op))
        return;
      if (!isAccumulating(op) && !reshapes.contains(op))
        for (Value result : op->getResults())
          result.setType(lowered(result.getType(), low));
      auto generic = dyn_cast<linalg::GenericOp>(op);
      bool wide = generic && wideOps.contains(generic);
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument arg : block.getArguments()) {
            if (wide) {
              OpOperand *operand = generic.getMatchingOpOperand(arg);
              if (wideValues.contains(operand->get()) ||
                  (isAccumulating(op) && generic.isDpsInit(operand)))
                continue;
            }
            arg.setType(lowered(arg.getType(), low));
          }
    });

    // The interface stays f32: arguments are rounded on entry (after the
    // retyping above, which must not touch these casts, and before the
    // f32 bodies below look at what their operands have become).
    Block &entry = func.front();
    b.setInsertionPointToStart(&entry);
    for (BlockArgument arg : entry.getArguments()) {
      if (!isF32Tensor(arg.getType()) && !arg.getType().isF32())
        continue;
      Value rounded = castFloat(b, func.getLoc(), arg, low);
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
      Value rebuilt =
          ds::convertFloat(b, op->getLoc(), op->getOperand(0),
                           cast<FloatType>(op->getResult(0).getType()));
      op->getResult(0).replaceAllUsesWith(rebuilt);
      op->erase();
    }

    // Math functions and bit casts compute in f32 on rounded values.
    auto isLow = [&](Value v) { return v.getType() == low; };
    SmallVector<Operation *> wide;
    func.walk([&](Operation *op) {
      if (staysF32(op) && !insideWideOp(op) &&
          (llvm::any_of(op->getOperands(), isLow) ||
           llvm::any_of(op->getResults(), isLow)))
        wide.push_back(op);
    });
    for (Operation *op : wide) {
      b.setInsertionPoint(op);
      for (OpOperand &operand : op->getOpOperands())
        if (isLow(operand.get()))
          operand.set(ds::convertFloat(b, op->getLoc(), operand.get(), f32));
      b.setInsertionPointAfter(op);
      for (Value result : op->getResults()) {
        if (!isLow(result))
          continue;
        result.setType(f32);
        Value rounded = ds::convertFloat(b, op->getLoc(), result, low);
        result.replaceAllUsesExcept(rounded, rounded.getDefiningOp());
      }
    }

    // f32 generics: arguments and captured values of the lower type are
    // widened in the body; accumulators get f32 inits, other outputs are
    // rounded where they are yielded.
    for (linalg::GenericOp op : wideOps) {
      Block *body = op.getBody();
      b.setInsertionPointToStart(body);
      for (BlockArgument arg : body->getArguments())
        if (isLow(arg) && !arg.use_empty()) {
          Value wideArg = ds::convertFloat(b, op.getLoc(), arg, f32);
          arg.replaceAllUsesExcept(wideArg, wideArg.getDefiningOp());
        }
      body->walk([&](Operation *inner) {
        // An element read from a tensor outside that is now in the lower
        // type comes out in that type, then is widened.
        if (auto extract = dyn_cast<tensor::ExtractOp>(inner)) {
          Type element = extract.getTensor().getType().getElementType();
          if (element == low && extract.getType() == f32) {
            OpBuilder after(inner->getContext());
            after.setInsertionPointAfter(inner);
            extract.getResult().setType(low);
            Value widened = ds::convertFloat(after, op.getLoc(), extract, f32);
            extract.getResult().replaceAllUsesExcept(widened,
                                                     widened.getDefiningOp());
          }
          return;
        }
        for (OpOperand &operand : inner->getOpOperands()) {
          Value v = operand.get();
          if (isLow(v) && !op.getRegion().isAncestor(v.getParentRegion()))
            operand.set(ds::convertFloat(b, op.getLoc(), v, f32));
        }
      });
      if (isAccumulating(op)) {
        b.setInsertionPoint(op);
        for (OpOperand &init : op.getDpsInitsMutable())
          if (cast<RankedTensorType>(init.get().getType()).getElementType() ==
              low)
            init.set(castTensor(b, op.getLoc(), init.get(), f32));
        continue;
      }
      Operation *yield = body->getTerminator();
      b.setInsertionPoint(yield);
      for (OpOperand &yielded : yield->getOpOperands()) {
        Type want =
            body->getArgument(op.getNumDpsInputs() + yielded.getOperandNumber())
                .getType();
        if (auto target = dyn_cast<FloatType>(want))
          yielded.set(ds::convertFloat(b, op.getLoc(), yielded.get(), target));
      }
    }

    // Anything else that reads an f32 accumulator reads it rounded.
    for (Value v : wideValues) {
      Value rounded;
      for (OpOperand &use : llvm::make_early_inc_range(v.getUses())) {
        Operation *user = use.getOwner();
        auto generic = dyn_cast<linalg::GenericOp>(user);
        if (reshapes.contains(user) || (generic && wideOps.contains(generic)))
          continue;
        if (!rounded) {
          b.setInsertionPointAfterValue(v);
          rounded = castTensor(b, v.getLoc(), v, low);
        }
        use.set(rounded);
      }
    }

    // Results are widened back to the f32 the signature promises.
    func.walk([&](func::ReturnOp ret) {
      b.setInsertionPoint(ret);
      for (auto [operand, type] :
           llvm::zip(ret->getOpOperands(), func.getResultTypes()))
        if (operand.get().getType() != type &&
            (isF32Tensor(type) || type.isF32()))
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
