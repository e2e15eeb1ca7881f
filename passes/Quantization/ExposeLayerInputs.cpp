//===- ExposeLayerInputs.cpp - layer inputs as results, for calibration ---===//
#include "passes/Quantization/Passes.h"

#include "dialects/Quant/IR/QuantOps.h"

namespace mlir::ds::quant {
#define GEN_PASS_DEF_EXPOSELAYERINPUTSPASS
#include "passes/Quantization/Passes.h.inc"
} // namespace mlir::ds::quant

using namespace mlir;
using namespace mlir::ds;
namespace g = mlir::ds::graph;

namespace {

struct ExposeLayerInputsPass
    : quant::impl::ExposeLayerInputsPassBase<ExposeLayerInputsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    SmallVector<std::pair<std::string, Value>> exposed;
    func.walk([&](Operation *op) {
      if (!isa<g::MatMulOp, g::GemmOp, g::ConvOp>(op))
        return;
      Value input = op->getOperand(0);
      exposed.push_back({g::nodeName(op) + ":input", input});
      // Each input feature's mean over everything else (bias correction);
      // a convolution's features are the columns of its windows' rows
      // (dsq.im2col, zero padding included), one per weight of a filter.
      auto type = llvm::cast<RankedTensorType>(input.getType());
      if (type.getRank() < 1 || !type.hasStaticShape())
        return;
      OpBuilder b(op);
      if (auto conv = dyn_cast<g::ConvOp>(op)) {
        auto result = llvm::cast<RankedTensorType>(conv.getType());
        auto weight = llvm::cast<RankedTensorType>(conv.getWeight().getType());
        if (conv.getGroup() != 1 || !result.hasStaticShape() ||
            !weight.hasStaticShape() || !type.getElementType().isF32())
          return;
        int64_t pixels =
            ShapedType::getNumElements(result.getShape().drop_front(2));
        int64_t taps = weight.getNumElements() / weight.getDimSize(0);
        Value zero = b.create<g::ConstantOp>(
            op->getLoc(), DenseElementsAttr::get(
                              RankedTensorType::get({}, b.getF32Type()), 0.0f));
        input = b.create<quant::Im2ColOp>(
            op->getLoc(),
            RankedTensorType::get({type.getDimSize(0), pixels, taps},
                                  b.getF32Type()),
            input, zero, weight.getShape().drop_front(2), conv.getStrides(),
            conv.getPads(), conv.getDilations());
        type = llvm::cast<RankedTensorType>(input.getType());
      }
      auto axes = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank() - 1));
      Value mean = b.create<g::ReduceMeanOp>(
          op->getLoc(),
          RankedTensorType::get({type.getShape().back()},
                                type.getElementType()),
          input, b.getDenseI64ArrayAttr(axes), b.getBoolAttr(false));
      exposed.push_back({g::nodeName(op) + ":input_mean", mean});
    });
    if (exposed.empty())
      return;
    MLIRContext *ctx = &getContext();
    auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
    SmallVector<Value> results(ret.getOperands());
    SmallVector<Type> types(func.getResultTypes());
    SmallVector<DictionaryAttr> resultAttrs;
    func.getAllResultAttrs(resultAttrs);
    for (auto &[name, value] : exposed) {
      results.push_back(value);
      types.push_back(value.getType());
      resultAttrs.push_back(DictionaryAttr::get(
          ctx, {NamedAttribute(StringAttr::get(ctx, "ds.name"),
                               StringAttr::get(ctx, name))}));
    }
    OpBuilder b(ret);
    b.create<func::ReturnOp>(ret.getLoc(), results);
    ret.erase();
    func.setFunctionType(
        FunctionType::get(ctx, func.getArgumentTypes(), types));
    func.setAllResultAttrs(resultAttrs);
  }
};

} // namespace
