//===- TileAndPeel.cpp - tiling helpers shared by the vectorizing passes --===//
#include "backends/Common/TileAndPeel.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

FailureOr<scf::SCFTilingResult>
ds::tileOp(RewriterBase &rewriter, TilingInterface op, ArrayRef<int64_t> sizes,
           ArrayRef<int64_t> order, scf::SCFTilingOptions::LoopType loopType) {
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes));
  options.setInterchange(order);
  options.setLoopType(loopType);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, op, options);
  if (failed(tiled))
    return failure();
  rewriter.replaceOp(op, tiled->replacements);
  return tiled;
}

FrozenRewritePatternSet ds::canonicalizationPatterns(MLIRContext *ctx) {
  RewritePatternSet patterns(ctx);
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName name : ctx->getRegisteredOperations())
    name.getCanonicalizationPatterns(patterns, ctx);
  return FrozenRewritePatternSet(std::move(patterns));
}

SmallVector<Operation *>
ds::tileAndPeel(RewriterBase &rewriter, ArrayRef<Operation *> ops, unsigned dim,
                int64_t size, bool unevenOnly,
                const FrozenRewritePatternSet &canonical) {
  SmallVector<Operation *> result;
  for (Operation *op : ops) {
    auto linalgOp = cast<linalg::LinalgOp>(op);
    int64_t extent = linalgOp.getStaticLoopRanges()[dim];
    bool isStatic = !ShapedType::isDynamic(extent);
    if ((isStatic && extent <= size) ||
        (unevenOnly && (!isStatic || extent % size == 0))) {
      result.push_back(op);
      continue;
    }
    SmallVector<int64_t> sizes(linalgOp.getNumLoops(), 0);
    sizes[dim] = size;
    FailureOr<scf::SCFTilingResult> tiled =
        tileOp(rewriter, cast<TilingInterface>(op), sizes, {});
    if (failed(tiled)) {
      result.push_back(op);
      continue;
    }
    auto loop = cast<scf::ForOp>(tiled->loops.front().getOperation());
    scf::ForOp remainder;
    rewriter.setInsertionPoint(loop);
    bool peeled =
        succeeded(scf::peelForLoopAndSimplifyBounds(rewriter, loop, remainder));
    SmallVector<scf::ForOp> loops = {loop};
    if (peeled) {
      loops.push_back(remainder);
      // A remainder of static size runs once, from its lower bound: with
      // that substituted its tile becomes static too.
      std::optional<int64_t> trips =
          constantTripCount(remainder.getLowerBound(),
                            remainder.getUpperBound(), remainder.getStep());
      if (trips && *trips == 1)
        rewriter.replaceAllUsesWith(remainder.getInductionVar(),
                                    remainder.getLowerBound());
    }
    for (scf::ForOp l : loops) {
      // Fold the peeled bounds into the tile's types. Only the body is
      // rewritten: a one-trip remainder loop must not be folded away while
      // it is being walked.
      SmallVector<Operation *> body;
      l.getBody()->walk([&](Operation *nested) { body.push_back(nested); });
      GreedyRewriteConfig config;
      config.strictMode = GreedyRewriteStrictness::ExistingAndNewOps;
      (void)applyOpPatternsAndFold(body, canonical, config);
      l.walk([&](linalg::LinalgOp inner) { result.push_back(inner); });
    }
  }
  return result;
}

Operation *ds::splitAmongThreads(RewriterBase &rewriter, TilingInterface op) {
  constexpr int64_t kMinElements = 1 << 15, kChunks = 16;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op.getOperation());
  if (!linalgOp || linalgOp.getNumLoops() != linalgOp.getNumParallelLoops())
    return nullptr;
  SmallVector<int64_t> extents = linalgOp.getStaticLoopRanges();
  int64_t elements = 1;
  for (int64_t e : extents) {
    if (ShapedType::isDynamic(e))
      return nullptr;
    elements *= e;
  }
  if (elements < kMinElements || extents.empty())
    return nullptr;
  auto dim = llvm::find_if(extents, [](int64_t e) { return e >= 8; });
  unsigned d = dim != extents.end()
                   ? dim - extents.begin()
                   : llvm::max_element(extents) - extents.begin();
  if (extents[d] < 2)
    return nullptr;
  SmallVector<int64_t> sizes(extents.size(), 0);
  sizes[d] = llvm::divideCeil(extents[d], kChunks);
  FailureOr<scf::SCFTilingResult> tiled =
      tileOp(rewriter, op, sizes, {}, scf::SCFTilingOptions::LoopType::ForallOp);
  if (failed(tiled))
    return nullptr;
  return tiled->tiledOps.back();
}
