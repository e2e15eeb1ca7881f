//===- TileAndPeel.cpp - tiling helpers shared by the vectorizing passes --===//
#include "backends/Common/TileAndPeel.h"

#include "llvm/ADT/SetVector.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
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
  if (!linalgOp || !(linalgOp.getNumLoops() == linalgOp.getNumParallelLoops() ||
                     ds::reducesInnermostOnly(linalgOp)))
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
  // Over a parallel loop: the first of 8 iterations or more, else the
  // longest.
  SmallVector<int64_t> parallel(extents);
  if (linalgOp.getNumReductionLoops() != 0)
    parallel.pop_back();
  if (parallel.empty())
    return nullptr;
  auto dim = llvm::find_if(parallel, [](int64_t e) { return e >= 8; });
  unsigned d = dim != parallel.end()
                   ? dim - parallel.begin()
                   : llvm::max_element(parallel) - parallel.begin();
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

/// The dimension of `view`'s source (a slice or reshape) that its result
/// dimension `dim` is, whole and unchanged, or nullopt.
static std::optional<int64_t> sourceDimOf(Operation *view, int64_t dim) {
  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(view)) {
    if (slice.getSourceType().getRank() != slice.getResultType().getRank() ||
        slice.getStaticOffsets()[dim] != 0 ||
        slice.getStaticStrides()[dim] != 1 ||
        slice.getStaticSizes()[dim] != slice.getSourceType().getDimSize(dim))
      return std::nullopt;
    return dim;
  }
  // Reshapes only where the dimension's group holds no other non-unit one.
  auto wholeIn = [](ArrayRef<int64_t> group, ArrayRef<int64_t> shape,
                    int64_t dim) {
    return llvm::all_of(group, [&](int64_t d) {
      return d == dim || shape[d] == 1;
    });
  };
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(view)) {
    for (auto [source, group] :
         llvm::enumerate(expand.getReassociationIndices()))
      if (llvm::is_contained(group, dim))
        return wholeIn(group, expand.getResultType().getShape(), dim)
                   ? std::optional<int64_t>(source)
                   : std::nullopt;
    return std::nullopt;
  }
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(view)) {
    ReassociationIndices group = collapse.getReassociationIndices()[dim];
    ArrayRef<int64_t> shape = collapse.getSrcType().getShape();
    for (int64_t d : group)
      if (shape[d] != 1)
        return wholeIn(group, shape, d) ? std::optional<int64_t>(d)
                                        : std::nullopt;
  }
  return std::nullopt;
}

/// `view` again, on `source`, whose dimension `sourceDim` has shrunk to
/// `chunk` elements.
static Value replayView(RewriterBase &rewriter, Operation *view, Value source,
                        int64_t resultDim, int64_t chunk) {
  Location loc = view->getLoc();
  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(view)) {
    SmallVector<OpFoldResult> sizes = slice.getMixedSizes();
    sizes[resultDim] = rewriter.getIndexAttr(chunk);
    return rewriter.create<tensor::ExtractSliceOp>(
        loc, source, slice.getMixedOffsets(), sizes, slice.getMixedStrides());
  }
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(view)) {
    SmallVector<int64_t> shape(expand.getResultType().getShape());
    shape[resultDim] = chunk;
    return rewriter.create<tensor::ExpandShapeOp>(
        loc, expand.getResultType().clone(shape), source,
        expand.getReassociationIndices());
  }
  auto collapse = cast<tensor::CollapseShapeOp>(view);
  return rewriter.create<tensor::CollapseShapeOp>(
      loc, source, collapse.getReassociationIndices());
}

bool ds::padPerThreadTile(RewriterBase &rewriter, Operation *tiled) {
  auto dps = dyn_cast<DestinationStyleOpInterface>(tiled);
  auto forall = tiled->getParentOfType<scf::ForallOp>();
  if (!dps || !forall)
    return false;
  // The chunk of each pad's source made in this tile, shared by its views.
  DenseMap<Operation *, std::pair<OpFoldResult, Value>> chunks;
  // Ops made or bypassed here, each after those it uses.
  llvm::SetVector<Operation *> unused;
  bool changed = false;
  for (OpOperand *input : dps.getDpsInputOperands()) {
    auto tileSlice = input->get().getDefiningOp<tensor::ExtractSliceOp>();
    if (!tileSlice || !forall->isProperAncestor(tileSlice))
      continue;
    // The tile takes one dimension in part, stride 1, and the rest whole.
    RankedTensorType sourceType = tileSlice.getSourceType();
    ArrayRef<int64_t> offsets = tileSlice.getStaticOffsets(),
                      sizes = tileSlice.getStaticSizes(),
                      strides = tileSlice.getStaticStrides();
    if (!sourceType.hasStaticShape() ||
        tileSlice.getResultType().getRank() != sourceType.getRank())
      continue;
    std::optional<int64_t> split;
    bool tileShaped = true;
    for (int64_t d = 0; d < sourceType.getRank(); ++d) {
      if (sizes[d] == sourceType.getDimSize(d) && offsets[d] == 0 &&
          strides[d] == 1)
        continue;
      tileShaped &= !split && strides[d] == 1 && !ShapedType::isDynamic(sizes[d]);
      split = d;
    }
    if (!tileShaped || !split)
      continue;
    int64_t chunk = sizes[*split];

    // Views from the tile's source back to a tensor.pad outside the loop,
    // the split dimension carried whole through each.
    SmallVector<std::pair<Operation *, int64_t>> views;
    Value value = tileSlice.getSource();
    int64_t dim = *split;
    tensor::PadOp pad;
    while (Operation *def = value.getDefiningOp()) {
      if (forall->isAncestor(def))
        break;
      if ((pad = dyn_cast<tensor::PadOp>(def)))
        break;
      std::optional<int64_t> sourceDim = sourceDimOf(def, dim);
      if (!sourceDim)
        break;
      views.push_back({def, dim});
      dim = *sourceDim;
      value = def->getOperand(0);
    }
    if (!pad || !pad.getResultType().hasStaticShape() ||
        !pad.getConstantPaddingValue() || pad.getStaticLow()[dim] != 0 ||
        pad.getStaticHigh()[dim] != 0)
      continue;

    unused.insert(pad);
    for (auto [op, resultDim] : llvm::reverse(views))
      unused.insert(op);
    rewriter.setInsertionPoint(tileSlice);
    OpFoldResult offset = tileSlice.getMixedOffsets()[*split];
    auto [known, padded] = chunks.lookup(pad);
    if (!padded || !isEqualConstantIntOrValue(known, offset)) {
      Value source = pad.getSource();
      auto type = cast<RankedTensorType>(source.getType());
      MLIRContext *ctx = rewriter.getContext();
      SmallVector<OpFoldResult> chunkOffsets(type.getRank(),
                                             rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> chunkSizes =
          getAsIndexOpFoldResult(ctx, type.getShape());
      chunkOffsets[dim] = offset;
      chunkSizes[dim] = rewriter.getIndexAttr(chunk);
      Value part = rewriter.create<tensor::ExtractSliceOp>(
          pad.getLoc(), source, chunkOffsets, chunkSizes,
          SmallVector<OpFoldResult>(type.getRank(), rewriter.getIndexAttr(1)));
      SmallVector<int64_t> paddedShape(pad.getResultType().getShape());
      paddedShape[dim] = chunk;
      padded = rewriter.create<tensor::PadOp>(
          pad.getLoc(), pad.getResultType().clone(paddedShape), part,
          pad.getMixedLowPad(), pad.getMixedHighPad(),
          pad.getConstantPaddingValue(), pad.getNofold());
      chunks[pad] = {offset, padded};
      unused.insert(part.getDefiningOp());
      unused.insert(padded.getDefiningOp());
    }
    Value view = padded;
    for (auto [op, resultDim] : llvm::reverse(views)) {
      view = replayView(rewriter, op, view, resultDim, chunk);
      unused.insert(view.getDefiningOp());
    }
    if (view.getType() != tileSlice.getType())
      continue;
    rewriter.replaceOp(tileSlice, view);
    changed = true;
  }
  // What lost its last use goes, users first: the whole pad and its views
  // (left for bufferization, it would still be built), and a chunk's views
  // whose type did not match.
  for (Operation *op : llvm::reverse(unused))
    if (op->use_empty())
      rewriter.eraseOp(op);
  return changed;
}

bool ds::unflattenPerThreadTile(RewriterBase &rewriter, Operation *tiled) {
  auto forall = dyn_cast_or_null<scf::ForallOp>(tiled->getParentOp());
  auto op = dyn_cast<linalg::LinalgOp>(tiled);
  if (!forall || !op || forall.getNumResults() != 1 ||
      tiled->getNumResults() != 1 || !forall.getResult(0).hasOneUse())
    return false;
  // [.., L] -> [.., H, Wp], whose [.., H, W] is the result.
  auto rows =
      dyn_cast<tensor::ExpandShapeOp>(*forall.getResult(0).getUsers().begin());
  if (!rows || !rows->hasOneUse())
    return false;
  auto cut = dyn_cast<tensor::ExtractSliceOp>(*rows->getUsers().begin());
  RankedTensorType flatType = rows.getSrcType();
  int64_t rank = flatType.getRank();
  if (!cut || !flatType.hasStaticShape() ||
      rows.getResultType().getRank() != rank + 1 ||
      cut.getResultType().getRank() != rank + 1 || !cut.hasUnitStride() ||
      !cut.getResultType().hasStaticShape())
    return false;
  SmallVector<ReassociationIndices> groups = rows.getReassociationIndices();
  for (int64_t d = 0; d + 1 < rank; ++d)
    if (groups[d].size() != 1)
      return false;
  for (int64_t d = 0; d <= rank; ++d)
    if (cut.getStaticOffsets()[d] != 0 ||
        (d < rank &&
         cut.getStaticSizes()[d] != rows.getResultType().getDimSize(d)))
      return false;

  // The task computes its tile into a slice of the shared output (not read:
  // all loops parallel) and inserts it there, the flat dim whole.
  if (op.getNumDpsInits() != 1)
    return false;
  OpOperand *init = op.getDpsInitOperand(0);
  auto initSlice = init->get().getDefiningOp<tensor::ExtractSliceOp>();
  BlockArgument shared = forall.getRegionOutArgs()[0];
  auto yielding = forall.getTerminator().getYieldingOps();
  if (op.payloadUsesValueFromOperand(init) || !initSlice ||
      initSlice.getSource() != shared || !initSlice->hasOneUse() ||
      !llvm::hasSingleElement(yielding))
    return false;
  auto insert = dyn_cast<tensor::ParallelInsertSliceOp>(*yielding.begin());
  if (!insert || insert.getSource() != tiled->getResult(0) ||
      !insert.hasUnitStride() || insert.getStaticOffsets()[rank - 1] != 0 ||
      insert.getStaticSizes()[rank - 1] != flatType.getDimSize(rank - 1) ||
      !llvm::hasNItems(shared.getUses(), 2))
    return false;

  Location loc = forall.getLoc();
  RankedTensorType tileType = initSlice.getResultType();
  rewriter.setInsertionPoint(initSlice);
  rewriter.replaceOpWithNewOp<tensor::EmptyOp>(initSlice, tileType.getShape(),
                                               tileType.getElementType());
  rewriter.setInsertionPoint(forall);
  Value output = rewriter.create<tensor::EmptyOp>(
      loc, cut.getResultType().getShape(), flatType.getElementType());
  auto split = rewriter.create<scf::ForallOp>(
      loc, forall.getMixedLowerBound(), forall.getMixedUpperBound(),
      forall.getMixedStep(), ValueRange{output}, forall.getMapping());
  rewriter.eraseOp(split.getTerminator());
  // (The old shared output has no use left but the insertion rebuilt below.)
  rewriter.mergeBlocks(forall.getBody(), split.getBody(),
                       split.getBody()->getArguments());

  // The tile as rows (all of them: checked above), cut to the output's
  // columns, inserted at the tile's offsets in the other dims.
  rewriter.setInsertionPoint(split.getTerminator());
  SmallVector<int64_t> tileRows(tileType.getShape().drop_back());
  tileRows.append({rows.getResultType().getDimSize(rank - 1),
                   rows.getResultType().getDimSize(rank)});
  Value tileAsRows = rewriter.create<tensor::ExpandShapeOp>(
      loc, tileType.clone(tileRows), tiled->getResult(0), groups);
  SmallVector<int64_t> tileCut(tileRows);
  tileCut[rank] = cut.getResultType().getDimSize(rank);
  SmallVector<OpFoldResult> zeros(rank + 1, rewriter.getIndexAttr(0)),
      ones(rank + 1, rewriter.getIndexAttr(1));
  Value tileCutValue = rewriter.create<tensor::ExtractSliceOp>(
      loc, tileType.clone(tileCut), tileAsRows, zeros,
      getAsIndexOpFoldResult(rewriter.getContext(), tileCut), ones);
  SmallVector<OpFoldResult> offsets(insert.getMixedOffsets());
  offsets.back() = rewriter.getIndexAttr(0);
  offsets.push_back(rewriter.getIndexAttr(0));
  rewriter.setInsertionPoint(insert);
  rewriter.replaceOpWithNewOp<tensor::ParallelInsertSliceOp>(
      insert, tileCutValue, split.getRegionOutArgs()[0], offsets,
      getAsIndexOpFoldResult(rewriter.getContext(), tileCut), ones);
  rewriter.replaceOp(cut, split.getResult(0));
  rewriter.eraseOp(rows);
  rewriter.eraseOp(forall);
  return true;
}

bool ds::reducesInnermostOnly(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  return op.getNumReductionLoops() == 1 && !iterators.empty() &&
         iterators.back() == utils::IteratorType::reduction;
}
