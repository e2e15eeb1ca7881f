//===- VectorizeElementwise.cpp - vector code for parallel ops on buffers -===//
//
// After bufferization, the linalg ops left outside the contraction kernels
// (elementwise chains, copies of padded and sliced buffers, fills) would
// reach LLVM as scalar loops, and its loop vectorizer gives up on them
// where it matters most: short rows (a 14-wide feature map row is below one
// 16-lane vector) and loops over many buffers (run-time alias checks).
// Here they are vectorized in MLIR instead: each op is tiled by 1 over its
// outer loops and by kVectorElements over its innermost loop, peeled into
// full tiles and one remainder, and each tile of static shape becomes vector
// transfers and vector arithmetic.
//
//===----------------------------------------------------------------------===//
#include "backends/Common/Passes.h"
#include "backends/Common/TileAndPeel.h"
#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ds {
#define GEN_PASS_DEF_VECTORIZEELEMENTWISEPASS
#include "backends/Common/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {

/// Elements per tile of the innermost loop: four 512-bit vectors of f32,
/// enough independent operations per iteration to hide their latency.
constexpr int64_t kVectorElements = 64;
/// Rows of a marked reduction's first loop per tile, and columns of its
/// innermost loop per thread-pool task.
constexpr int64_t kMarkedRows = 4, kMarkedColumnsPerTask = 512;

/// The largest innermost stride of an input that is read as whole vectors
/// (see StridedReadAsShuffle): a stride-2 window of pooling or of a
/// depthwise convolution reads every other element, and loading twice the
/// elements then shuffling costs far less than a scalar loop.
constexpr int64_t kMaxReadStride = 4;

/// The static innermost stride of a memref, or nothing.
std::optional<int64_t> innermostStride(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (type.getRank() == 0 ||
      failed(getStridesAndOffset(type, strides, offset)) ||
      ShapedType::isDynamic(strides.back()))
    return std::nullopt;
  return strides.back();
}

/// Whether every operand reads or writes the op's innermost loop as its own
/// innermost dim (or not at all, as a broadcast), with unit stride (inputs:
/// up to kMaxReadStride), in a type that packs into vectors byte for byte:
/// then each tile's transfers are plain vector loads and stores.
bool hasContiguousInnermostLoop(linalg::LinalgOp op) {
  unsigned inner = op.getNumLoops() - 1;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type) {
      if (!operand.get().getType().isIntOrIndexOrFloat())
        return false;
      continue;
    }
    Type elt = type.getElementType();
    if (!elt.isIntOrFloat() || elt.getIntOrFloatBitWidth() % 8 != 0)
      return false;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/true))
      return false;
    if (!map.isFunctionOfDim(inner))
      continue;
    if (map.getNumResults() == 0 ||
        map.getResults().back() != getAffineDimExpr(inner, op.getContext()))
      return false;
    std::optional<int64_t> stride = innermostStride(type);
    int64_t maxStride = op.isDpsInput(&operand) ? kMaxReadStride : 1;
    if (!stride || *stride < 1 || *stride > maxStride)
      return false;
  }
  return true;
}

/// A 1-D read along a strided innermost dim (stride s in 2..kMaxReadStride)
/// as one contiguous masked load of the span it covers, then a shuffle that
/// keeps every s-th element: on x86 a few vector loads and vpermt2ps
/// instead of one scalar load and insert per element. The mask stops at
/// the last element read, so nothing past the strided view is touched.
struct StridedReadAsShuffle : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    auto source = dyn_cast<MemRefType>(read.getSource().getType());
    VectorType vectorType = read.getVectorType();
    if (!source || vectorType.getRank() != 1 || vectorType.isScalable() ||
        read.getMask() || !read.getPermutationMap().isMinorIdentity() ||
        !read.getInBoundsValues()[0])
      return failure();
    std::optional<int64_t> stride = innermostStride(source);
    if (!stride || *stride < 2 || *stride > kMaxReadStride)
      return failure();
    Location loc = read.getLoc();
    int64_t lanes = vectorType.getDimSize(0), s = *stride;
    int64_t span = lanes * s, used = (lanes - 1) * s + 1;
    // The element offset of the first element read, in the base buffer.
    auto metadata = rewriter.create<memref::ExtractStridedMetadataOp>(
        loc, read.getSource());
    Value offset = metadata.getOffset();
    for (auto [index, dimStride] :
         llvm::zip(read.getIndices(), metadata.getStrides()))
      offset = rewriter.create<arith::AddIOp>(
          loc, offset, rewriter.create<arith::MulIOp>(loc, index, dimStride));
    auto flatType = MemRefType::get(
        {span}, source.getElementType(),
        StridedLayoutAttr::get(rewriter.getContext(), ShapedType::kDynamic,
                               {1}),
        source.getMemorySpace());
    Value flat = rewriter.create<memref::ReinterpretCastOp>(
        loc, flatType, metadata.getBaseBuffer(), OpFoldResult(offset),
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(span)},
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)});
    auto wideType = VectorType::get({span}, source.getElementType());
    Value mask = rewriter.create<vector::ConstantMaskOp>(
        loc, VectorType::get({span}, rewriter.getI1Type()),
        rewriter.getI64ArrayAttr({used}));
    Value passThrough = rewriter.create<vector::SplatOp>(loc, wideType,
                                                         read.getPadding());
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value wide = rewriter.create<vector::MaskedLoadOp>(
        loc, wideType, flat, ValueRange{zero}, mask, passThrough);
    SmallVector<int64_t> every;
    for (int64_t i = 0; i < lanes; ++i)
      every.push_back(i * s);
    rewriter.replaceOpWithNewOp<vector::ShuffleOp>(read, wide, wide, every);
    return success();
  }
};

/// The longest innermost output dim of a transpose that interleaveRows
/// rewrites, and the shortest input rows it interleaves.
constexpr int64_t kMaxInterleavedRows = 8, kMinInterleavedWidth = 4;

/// `rows` (equal 1-D vectors, a power of two of them) interleaved element
/// by element: [r0[0], r1[0], ..., r0[1], r1[1], ...]. Pairs by
/// vector.interleave, the even rows' result with the odd rows'.
Value interleaveVectors(OpBuilder &b, Location loc, ArrayRef<Value> rows) {
  if (rows.size() == 1)
    return rows.front();
  SmallVector<Value> even, odd;
  for (size_t i = 0; i < rows.size(); ++i)
    (i % 2 ? odd : even).push_back(rows[i]);
  return b.create<vector::InterleaveOp>(loc, interleaveVectors(b, loc, even),
                                        interleaveVectors(b, loc, odd));
}

/// A transpose whose output's innermost dim (m <= kMaxInterleavedRows long,
/// a power of two) comes from an outer input dim, and whose second
/// innermost is the input's innermost: Winograd's output tiles put back
/// into rows ([n, a, b, f, th, tw] -> [n, f, th, a, tw, b]). No loop is
/// innermost on both sides, so it would be a scalar loop; here each output
/// row of m x tw elements is m contiguous input rows interleaved by vector
/// shuffles. Failure (nothing changed) for other transposes.
LogicalResult interleaveRows(RewriterBase &rewriter, linalg::TransposeOp op) {
  auto inType = dyn_cast<MemRefType>(op.getInput().getType());
  auto outType = dyn_cast<MemRefType>(op.getInit().getType());
  if (!inType || !outType || !inType.hasStaticShape() ||
      !outType.hasStaticShape() || outType.getRank() < 2 ||
      !inType.getElementType().isIntOrFloat())
    return failure();
  ArrayRef<int64_t> perm = op.getPermutation();
  int64_t rank = outType.getRank(), m = outType.getShape().back(),
          width = outType.getDimSize(rank - 2);
  if (perm[rank - 2] != rank - 1 || perm[rank - 1] == rank - 1 || m < 2 ||
      m > kMaxInterleavedRows || !llvm::isPowerOf2_64(m) ||
      width < kMinInterleavedWidth || innermostStride(inType) != 1)
    return failure();
  SmallVector<ReassociationIndices> rowsOfOutput;
  for (int64_t d = 0; d < rank - 2; ++d)
    rowsOfOutput.push_back({d});
  rowsOfOutput.push_back({rank - 2, rank - 1});
  if (!memref::CollapseShapeOp::isGuaranteedCollapsible(outType,
                                                        rowsOfOutput))
    return failure();
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value rowsOut = rewriter.create<memref::CollapseShapeOp>(loc, op.getInit(),
                                                           rowsOfOutput);
  auto indices = [&](ArrayRef<int64_t> values) {
    return llvm::to_vector(llvm::map_range(values, [&](int64_t v) -> Value {
      return rewriter.create<arith::ConstantIndexOp>(loc, v);
    }));
  };
  Type elt = inType.getElementType();
  Value padding =
      rewriter.create<arith::ConstantOp>(loc, elt, rewriter.getZeroAttr(elt));
  SmallVector<Value> rowNumbers = indices(llvm::to_vector(llvm::seq(m)));
  Value zero = rowNumbers[0];
  // A loop per output dim but the last two, then one output row.
  ArrayRef<int64_t> outer = outType.getShape().drop_back(2);
  scf::buildLoopNest(
      rewriter, loc, indices(SmallVector<int64_t>(outer.size(), 0)),
      indices(outer), indices(SmallVector<int64_t>(outer.size(), 1)),
      [&](OpBuilder &b, Location l, ValueRange outIndices) {
        SmallVector<Value> rows;
        for (Value r : rowNumbers) {
          // Input index of each dim: the output index it moves to.
          SmallVector<Value> inIndices(rank);
          for (int64_t d = 0; d < rank - 2; ++d)
            inIndices[perm[d]] = outIndices[d];
          inIndices[perm[rank - 2]] = zero;
          inIndices[perm[rank - 1]] = r;
          rows.push_back(b.create<vector::TransferReadOp>(
              l, VectorType::get({width}, elt), op.getInput(), inIndices,
              padding, ArrayRef<bool>{true}));
        }
        SmallVector<Value> rowIndex(outIndices);
        rowIndex.push_back(zero);
        b.create<vector::TransferWriteOp>(l, interleaveVectors(b, l, rows),
                                          rowsOut, rowIndex,
                                          ArrayRef<bool>{true});
      });
  rewriter.eraseOp(op);
  return success();
}

/// All-parallel ops, reductions whose lowering marked them (their
/// innermost loop parallel): tiled by 1, a reduction loop reads and writes
/// its accumulator row at each step, which stays in cache; and reductions
/// over the innermost loop alone (softmax's row maxima and sums, layer
/// normalization's means), whose vector tiles each reduce into the row's
/// accumulator (BERT-base layer, one thread: its softmax 1.39 -> 0.22 ms
/// in the per-layer profile, from scalar maxima and sums).
bool isCandidate(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0 ||
      !hasContiguousInnermostLoop(op))
    return false;
  if (op.getNumLoops() == op.getNumParallelLoops() ||
      ds::reducesInnermostOnly(op))
    return true;
  return op->hasAttr(ds::kVectorizeInnermostAttr) &&
         op.getIteratorTypesArray().back() == utils::IteratorType::parallel;
}

struct VectorizeElementwisePass
    : ds::impl::VectorizeElementwisePassBase<VectorizeElementwisePass> {
  LogicalResult initialize(MLIRContext *ctx) override {
    canonical = ds::canonicalizationPatterns(ctx);
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());
    // What bufferization made of pads, slices and reshapes (fills and
    // copies), and transposes, would run on one thread between the layers'
    // parallel loops: a fifth of MobileNetV2's time at one thread, most of
    // it at two. Large ones not already in a thread-level loop get one.
    SmallVector<linalg::LinalgOp> serial;
    func.walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() &&
          !op->hasAttr(ds::kVectorizeInnermostAttr) &&
          !op->getParentOfType<scf::ForallOp>())
        serial.push_back(op);
    });
    for (linalg::LinalgOp op : serial)
      ds::splitAmongThreads(rewriter, cast<TilingInterface>(op.getOperation()));
    SmallVector<linalg::TransposeOp> transposes;
    func.walk([&](linalg::TransposeOp op) { transposes.push_back(op); });
    for (linalg::TransposeOp op : transposes)
      (void)interleaveRows(rewriter, op);
    SmallVector<linalg::LinalgOp> candidates;
    func.walk([&](linalg::LinalgOp op) {
      if (isCandidate(op))
        candidates.push_back(op);
    });
    SmallVector<linalg::LinalgOp> tiles;
    for (linalg::LinalgOp candidate : candidates) {
      // A marked reduction (see isCandidate) takes kMarkedRows rows of its
      // first loop per tile when that loop is static, so that what its body
      // computes from the other operands alone (unpacked weights) serves
      // all of them.
      SmallVector<int64_t> extents = candidate.getStaticLoopRanges();
      bool marked = candidate->hasAttr(ds::kVectorizeInnermostAttr);
      bool rowBlocks = marked && extents.size() > 1 &&
                       !ShapedType::isDynamic(extents[0]) && extents[0] > 1;
      // A marked reduction is a whole layer's product: its columns are
      // split into tasks for the thread pool (an scf.forall, outlined
      // later), each task's columns walked as below.
      if (marked && !ShapedType::isDynamic(extents.back()) &&
          extents.back() >= 2 * kMarkedColumnsPerTask) {
        SmallVector<int64_t> sizes(extents.size(), 0);
        sizes.back() = kMarkedColumnsPerTask;
        FailureOr<scf::SCFTilingResult> tasks = ds::tileOp(
            rewriter, cast<TilingInterface>(candidate.getOperation()), sizes,
            {}, scf::SCFTilingOptions::LoopType::ForallOp);
        if (succeeded(tasks))
          candidate = cast<linalg::LinalgOp>(tasks->tiledOps.back());
      }
      SmallVector<Operation *> blocks = {candidate};
      if (rowBlocks)
        blocks = ds::tileAndPeel(rewriter, blocks, 0, kMarkedRows,
                                 /*unevenOnly=*/false, canonical);
      for (Operation *block : blocks) {
        auto op = cast<linalg::LinalgOp>(block);
        // Outer loops by 1 (outermost first, so rows are walked in order),
        // then the innermost one in full vectors and a static remainder.
        extents = op.getStaticLoopRanges();
        unsigned inner = extents.size() - 1;
        SmallVector<int64_t> sizes(extents.size(), 1);
        sizes[inner] = 0;
        for (unsigned d = 0; d < inner; ++d)
          if (extents[d] == 1 || (rowBlocks && d == 0))
            sizes[d] = 0;
        Operation *rows = op;
        if (llvm::any_of(sizes, [](int64_t s) { return s != 0; })) {
          FailureOr<scf::SCFTilingResult> tiled = ds::tileOp(
              rewriter, cast<TilingInterface>(op.getOperation()), sizes, {});
          if (failed(tiled))
            continue;
          rows = tiled->tiledOps.back();
        }
        for (Operation *piece :
             ds::tileAndPeel(rewriter, {rows}, inner, kVectorElements,
                             /*unevenOnly=*/false, canonical))
          tiles.push_back(cast<linalg::LinalgOp>(piece));
      }
    }
    // Only the ops made here are reshaped below: the contraction kernels'
    // transfers must keep their shapes.
    struct Recorder : RewriterBase::Listener {
      void notifyOperationInserted(Operation *op,
                                   OpBuilder::InsertPoint) override {
        created.insert(op);
      }
      void notifyOperationErased(Operation *op) override { created.remove(op); }
      llvm::SetVector<Operation *> created;
    } recorder;
    rewriter.setListener(&recorder);
    for (linalg::LinalgOp tile : tiles) {
      // A dynamic remainder stays a scalar loop: slower, never wrong.
      if (tile.hasDynamicShape())
        continue;
      rewriter.setInsertionPoint(tile);
      (void)linalg::vectorize(rewriter, tile);
    }
    rewriter.setListener(nullptr);
    // vector<1x1x64xf32> -> vector<64xf32>: 1-D transfers and arithmetic.
    RewritePatternSet patterns(&getContext());
    vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
    vector::populateVectorTransferDropUnitDimsPatterns(patterns);
    // A marked reduction's tile reduces over unit dims only: a plain add;
    // and what it computes from operands broadcast over its rows is
    // computed once, before the broadcast.
    vector::MultiDimReductionOp::getCanonicalizationPatterns(patterns,
                                                             &getContext());
    vector::populateSinkVectorBroadcastPatterns(patterns);
    // A row reduction's tile: one horizontal reduction into the row's
    // accumulator.
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerReduction);
    patterns.add<StridedReadAsShuffle>(&getContext());
    GreedyRewriteConfig config;
    config.strictMode = GreedyRewriteStrictness::ExistingAndNewOps;
    (void)applyOpPatternsAndFold(recorder.created.getArrayRef(),
                                 std::move(patterns), config);
  }

  FrozenRewritePatternSet canonical;
};
} // namespace
