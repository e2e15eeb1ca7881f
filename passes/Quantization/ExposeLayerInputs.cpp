//===- ExposeLayerInputs.cpp - layer inputs as results, for calibration ---===//
#include "passes/Quantization/Passes.h"

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
      // Bias correction is for MatMul and Gemm only.
      if (isa<g::ConvOp>(op))
        return;
      // Each input feature's mean over everything else (bias correction).
      auto type = llvm::cast<RankedTensorType>(input.getType());
      if (type.getRank() < 1 || !type.hasStaticShape())
        return;
      OpBuilder b(op);
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
