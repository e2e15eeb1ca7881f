//===- FillPadBorders.cpp - tensor.pad as a copy and border fills ---------===//
#include "backends/Common/Passes.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ds {
#define GEN_PASS_DEF_FILLPADBORDERSPASS
#include "backends/Common/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {

struct PadAsBorderFills : OpRewritePattern<tensor::PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::PadOp pad,
                                PatternRewriter &b) const override {
    RankedTensorType type = pad.getResultType();
    Value padValue = pad.getConstantPaddingValue();
    if (!type.hasStaticShape() || !pad.getSourceType().hasStaticShape() ||
        !padValue)
      return failure();
    ArrayRef<int64_t> low = pad.getStaticLow(), high = pad.getStaticHigh();
    if (llvm::any_of(low, ShapedType::isDynamic) ||
        llvm::any_of(high, ShapedType::isDynamic))
      return failure();
    ArrayRef<int64_t> data = pad.getSourceType().getShape(),
                      shape = type.getShape();
    int64_t rank = type.getRank();
    Location loc = pad.getLoc();
    auto indices = [&](ArrayRef<int64_t> values) {
      return getAsIndexOpFoldResult(b.getContext(), values);
    };
    SmallVector<OpFoldResult> ones = indices(SmallVector<int64_t>(rank, 1));

    Value padded = b.create<tensor::EmptyOp>(loc, shape, type.getElementType());
    padded = b.create<tensor::InsertSliceOp>(loc, pad.getSource(), padded,
                                             indices(low), indices(data), ones);
    // Slab of dimension d: [0, low) or [low + data, size) in d, the data's
    // range in the dimensions before d (their slabs cover the rest), all of
    // the later ones.
    auto fillSlab = [&](int64_t d, int64_t begin, int64_t extent) {
      SmallVector<int64_t> offsets(rank, 0), sizes(shape);
      for (int64_t j = 0; j < d; ++j) {
        offsets[j] = low[j];
        sizes[j] = data[j];
      }
      offsets[d] = begin;
      sizes[d] = extent;
      Value slab = b.create<tensor::ExtractSliceOp>(
          loc, padded, indices(offsets), indices(sizes), ones);
      Value filled =
          b.create<linalg::FillOp>(loc, padValue, slab).getResult(0);
      padded = b.create<tensor::InsertSliceOp>(
          loc, filled, padded, indices(offsets), indices(sizes), ones);
    };
    for (int64_t d = 0; d < rank; ++d) {
      if (low[d] > 0)
        fillSlab(d, 0, low[d]);
      if (high[d] > 0)
        fillSlab(d, low[d] + data[d], high[d]);
    }
    b.replaceOp(pad, padded);
    return success();
  }
};

struct FillPadBordersPass
    : ds::impl::FillPadBordersPassBase<FillPadBordersPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<PadAsBorderFills>(&getContext());
    GreedyRewriteConfig config;
    config.strictMode = GreedyRewriteStrictness::ExistingOps;
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
