//===- CopyAliasedResults.cpp - one buffer per returned tensor ------------===//
#include "backends/Common/Passes.h"

#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::ds {
#define GEN_PASS_DEF_COPYALIASEDRESULTSPASS
#include "backends/Common/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {
struct CopyAliasedResultsPass
    : ds::impl::CopyAliasedResultsPassBase<CopyAliasedResultsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      OpBuilder b(ret);
      llvm::SmallPtrSet<Value, 8> seen;
      for (OpOperand &operand : ret->getOpOperands()) {
        Value v = operand.get();
        auto type = llvm::dyn_cast<RankedTensorType>(v.getType());
        if (!type || (!llvm::isa<BlockArgument>(v) && seen.insert(v).second))
          continue;
        // alloc_tensor, unlike tensor.empty, is never merged by CSE, so the
        // copy cannot be folded back onto the buffer it copies.
        SmallVector<Value> sizes;
        for (int64_t d = 0; d < type.getRank(); ++d)
          if (type.isDynamicDim(d))
            sizes.push_back(b.create<tensor::DimOp>(ret.getLoc(), v, d));
        Value dest = b.create<bufferization::AllocTensorOp>(ret.getLoc(), type,
                                                            sizes);
        operand.set(
            b.create<linalg::CopyOp>(ret.getLoc(), v, dest).getResult(0));
      }
    });
  }
};
} // namespace
