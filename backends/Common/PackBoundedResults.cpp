//===- PackBoundedResults.cpp - data-dependent results into their bound ---===//
#include "backends/Common/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace mlir::ds {
#define GEN_PASS_DEF_PACKBOUNDEDRESULTSPASS
#include "backends/Common/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {
struct PackBoundedResultsPass
    : ds::impl::PackBoundedResultsPassBase<PackBoundedResultsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      pack(func);
  }

  static void pack(func::FuncOp func) {
    unsigned numResults = func.getNumResults();
    SmallVector<DenseI64ArrayAttr> bounds;
    for (unsigned i = 0; i < numResults; ++i)
      bounds.push_back(func.getResultAttrOfType<DenseI64ArrayAttr>(i, "ds.bounds"));
    if (llvm::all_of(bounds, [](DenseI64ArrayAttr a) { return !a; }))
      return;
    SmallVector<Type> types(func.getResultTypes());
    SmallVector<DictionaryAttr> attrs;
    func.getAllResultAttrs(attrs);
    func.walk([&](func::ReturnOp ret) {
      OpBuilder b(ret);
      Location loc = ret.getLoc();
      SmallVector<Value> operands(ret.getOperands()), sizes;
      for (unsigned i = 0; i < numResults; ++i) {
        if (!bounds[i])
          continue;
        Value v = operands[i];
        auto type = llvm::cast<RankedTensorType>(v.getType());
        int64_t capacity = 1;
        Value count = b.create<arith::ConstantIndexOp>(loc, 1);
        for (int64_t d = 0; d < type.getRank(); ++d) {
          capacity *= type.isDynamicDim(d) ? bounds[i][d] : type.getDimSize(d);
          Value size = b.create<tensor::DimOp>(loc, v, d);
          count = b.create<arith::MulIOp>(loc, count, size);
          if (type.isDynamicDim(d))
            sizes.push_back(b.create<tensor::FromElementsOp>(
                loc, RankedTensorType::get({}, b.getI64Type()),
                ValueRange{b.create<arith::IndexCastOp>(loc, b.getI64Type(),
                                                        size)}));
        }
        ReassociationIndices all;
        for (int64_t d = 0; d < type.getRank(); ++d)
          all.push_back(d);
        auto flatType = RankedTensorType::get({ShapedType::kDynamic},
                                              type.getElementType());
        Value flat = b.create<tensor::CollapseShapeOp>(
            loc, flatType, v, ArrayRef<ReassociationIndices>{all});
        auto packedType =
            RankedTensorType::get({capacity}, type.getElementType());
        Value room = b.create<tensor::EmptyOp>(loc, packedType, ValueRange{});
        SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0)},
                                  strides = {b.getIndexAttr(1)};
        operands[i] = b.create<tensor::InsertSliceOp>(
            loc, flat, room, offsets, SmallVector<OpFoldResult>{count},
            strides);
        types[i] = packedType;
      }
      for (Value size : sizes) {
        operands.push_back(size);
        types.push_back(size.getType());
      }
      b.create<func::ReturnOp>(loc, operands);
      ret.erase();
    });
    func.setFunctionType(
        FunctionType::get(func.getContext(), func.getArgumentTypes(), types));
    attrs.resize(types.size(), DictionaryAttr::get(func.getContext()));
    func.setAllResultAttrs(attrs);
  }
};
} // namespace
