//===- VectorizeContractions.cpp - thread, cache and register tiling ------===//
//
// The blocking of a BLAS GEMM, expressed with upstream MLIR: TilingInterface
// for the thread-level forall (with the epilogue fused into it), the cache
// and the register loops, the linalg vectorizer for the register tile,
// subset hoisting to keep the accumulator in registers across the reduction
// loop, and the vector dialect's contraction lowering to FMAs.
//
//===----------------------------------------------------------------------===//
#include "backends/Common/Passes.h"
#include "backends/Common/TileAndPeel.h"

#include "llvm/ADT/SetVector.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::ds {
#define GEN_PASS_DEF_VECTORIZECONTRACTIONSPASS
#include "backends/Common/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;
using ds::tileOp;

namespace {

/// Which loop of a contraction plays which GEMM role.
struct GemmLoops {
  unsigned m, n, k;
  /// Every other loop (batch dims, extra m/n/k dims): tiled by 1.
  SmallVector<unsigned> unit;
  /// The unit loops that are outer n dims (a packed weight's panel loop,
  /// see lowerPanelProduct), which panelGroup may group at the thread and
  /// cache levels.
  SmallVector<unsigned> outerN;
  /// The unit loops that are reductions (a windowed convolution's channel
  /// blocks), which no thread-level loop may split.
  SmallVector<unsigned> outerK;
  /// The innermost reduction of an int8 contraction in dot-product groups
  /// (k % 4, see dsq.matmul_integer's lowering): kept whole at every level,
  /// so that each register tile is one dot-product instruction deep.
  std::optional<unsigned> dotGroup;
  /// The tap loops of a windowed contraction (see windowLoops): whole
  /// at the cache level, by 1 inside each register tile, around the k loop.
  SmallVector<unsigned> window;
};

/// Whether `op` reads 8-bit integers and its innermost reduction loop has
/// `kDotGroupWidth` iterations.
constexpr int64_t kDotGroupWidth = 4;
bool isDotGroupLoop(linalg::LinalgOp op, unsigned loop) {
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  return extents[loop] == kDotGroupWidth &&
         llvm::all_of(op.getDpsInputOperands(), [](OpOperand *operand) {
           return getElementTypeOrSelf(operand->get().getType()).isInteger(8);
         });
}

/// `map` with the loops in `loops` replaced by 0 in its results that are
/// not plain loop dims: a windowed operand's map read at the window's first
/// tap.
AffineMap atFirstTap(AffineMap map, ArrayRef<unsigned> loops) {
  MLIRContext *ctx = map.getContext();
  DenseMap<AffineExpr, AffineExpr> zeros;
  for (unsigned loop : loops)
    zeros[getAffineDimExpr(loop, ctx)] = getAffineConstantExpr(0, ctx);
  SmallVector<AffineExpr> results;
  for (AffineExpr e : map.getResults())
    results.push_back(isa<AffineDimExpr>(e) ? e : e.replace(zeros));
  return simplifyAffineMap(
      AffineMap::get(map.getNumDims(), map.getNumSymbols(), results, ctx));
}

/// Whether `body` is acc + a * b over its arguments (a, b, acc), floats.
/// (linalg::detail::isContractionBody assumes a body it can walk: it
/// crashes on a pooling window's max.)
bool isMulAddBody(Block &body) {
  if (body.getNumArguments() != 3 || body.getOperations().size() != 3)
    return false;
  auto add = body.getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body.getArgument(2);
  Value product = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul || (add.getLhs() != acc && add.getRhs() != acc))
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1);
  return (mul.getLhs() == a && mul.getRhs() == b) ||
         (mul.getLhs() == b && mul.getRhs() == a);
}

/// A windowed contraction: a float multiply-add of two operands, one of
/// which reads some result as n + sum_t c_t * w_t, with n a parallel loop
/// of the output and the w_t reduction loops (a stride-1 convolution over
/// flattened rows, see the Conv lowering). At each tap it is a plain
/// contraction; returns the tap loops, in loop order, or nothing.
std::optional<SmallVector<unsigned>> windowLoops(linalg::LinalgOp op) {
  if (!isa<linalg::GenericOp>(op.getOperation()) ||
      op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !isMulAddBody(*op.getBlock()))
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  AffineMap outMap = op.getIndexingMapMatchingResult(op->getResult(0));
  if (!outMap.isProjectedPermutation())
    return std::nullopt;
  llvm::SmallSetVector<unsigned, 4> taps;
  for (AffineMap map : op.getIndexingMapsArray())
    for (AffineExpr e : map.getResults()) {
      if (isa<AffineDimExpr>(e))
        continue;
      if (!e.isPureAffine())
        return std::nullopt;
      SmallVector<unsigned> reductions;
      for (unsigned loop = 0; loop < map.getNumDims(); ++loop)
        if (e.isFunctionOfDim(loop) &&
            iterators[loop] == utils::IteratorType::reduction)
          reductions.push_back(loop);
      auto rest = dyn_cast<AffineDimExpr>(
          atFirstTap(AffineMap::get(map.getNumDims(), 0, e), reductions)
              .getResult(0));
      if (!rest || reductions.empty() ||
          iterators[rest.getPosition()] != utils::IteratorType::parallel)
        return std::nullopt;
      taps.insert(reductions.begin(), reductions.end());
    }
  if (taps.empty())
    return std::nullopt;
  SmallVector<unsigned> sorted(taps.begin(), taps.end());
  llvm::sort(sorted);
  return sorted;
}

std::optional<GemmLoops> classify(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics())
    return std::nullopt;
  SmallVector<unsigned> window;
  FailureOr<linalg::ContractionDimensions> dims = failure();
  if (linalg::isaContractionOpInterface(op)) {
    dims = linalg::inferContractionDims(op);
  } else if (std::optional<SmallVector<unsigned>> taps = windowLoops(op)) {
    window = *taps;
    SmallVector<AffineMap> maps;
    for (AffineMap map : op.getIndexingMapsArray())
      maps.push_back(atFirstTap(map, window));
    dims = linalg::inferContractionDims(maps);
  }
  if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty())
    return std::nullopt;
  // The innermost of each role is the one that is contiguous in memory for
  // row-major operands.
  GemmLoops loops{dims->m.back(), dims->n.back(), dims->k.back()};
  loops.window = window;
  if (dims->k.size() >= 2 && isDotGroupLoop(op, dims->k.back())) {
    loops.dotGroup = dims->k.back();
    loops.k = dims->k[dims->k.size() - 2];
  }
  for (unsigned i = 0, e = op.getNumLoops(); i < e; ++i)
    if (i != loops.m && i != loops.n && i != loops.k && i != loops.dotGroup &&
        !llvm::is_contained(window, i))
      loops.unit.push_back(i);
  loops.outerN.assign(dims->n.begin(), dims->n.end() - 1);
  for (unsigned k : dims->k)
    if (k != loops.k && k != loops.dotGroup)
      loops.outerK.push_back(k);
  return loops;
}

/// Each row's four codes of `lhs` (an i8 vector whose non-unit dims are
/// the row dim `m` of `lhsMap` and the group, last) as one i32. When the
/// rows come from a transfer_read, each word is read on its own from the
/// operand (one vpbroadcastd from memory per row); gathering the rows into
/// a vector first and extracting them again costs a dozen shuffles per
/// step.
SmallVector<Value> lhsWords(PatternRewriter &rewriter, Location loc, Value lhs,
                            AffineMap lhsMap, std::optional<AffineExpr> m,
                            int64_t rows) {
  Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type();
  auto wordType = VectorType::get({1}, i32);
  auto groupType = VectorType::get({kDotGroupWidth}, i8);
  SmallVector<Value> words;
  auto read = lhs.getDefiningOp<vector::TransferReadOp>();
  AffineMap perm = read ? read.getPermutationMap() : AffineMap();
  auto sourceDim = [&](unsigned vectorDim) -> std::optional<unsigned> {
    if (auto dim = dyn_cast<AffineDimExpr>(perm.getResult(vectorDim)))
      return dim.getPosition();
    return std::nullopt;
  };
  std::optional<unsigned> rowDim;
  if (read && m)
    if (auto it = llvm::find(lhsMap.getResults(), *m);
        it != lhsMap.getResults().end())
      rowDim = sourceDim(it - lhsMap.getResults().begin());
  bool direct =
      read && !read.getMask() &&
      llvm::all_of(read.getInBoundsValues(), [](bool b) { return b; }) &&
      perm.getNumResults() == lhsMap.getNumResults() &&
      sourceDim(perm.getNumResults() - 1) == perm.getNumDims() - 1 &&
      (!m || rowDim);
  if (direct) {
    for (int64_t row = 0; row < rows; ++row) {
      SmallVector<Value> indices(read.getIndices());
      if (rowDim && row > 0)
        indices[*rowDim] = rewriter.create<arith::AddIOp>(
            loc, indices[*rowDim],
            rewriter.create<arith::ConstantIndexOp>(loc, row));
      Value codes = rewriter.create<vector::TransferReadOp>(
          loc, groupType, read.getSource(), indices, read.getPadding(),
          ArrayRef<bool>{true});
      words.push_back(rewriter.create<vector::ExtractOp>(
          loc, rewriter.create<vector::BitCastOp>(loc, wordType, codes), 0));
    }
    return words;
  }
  Value lhsRows = rewriter.create<vector::ShapeCastOp>(
      loc, VectorType::get({rows, kDotGroupWidth}, i8), lhs);
  for (int64_t row = 0; row < rows; ++row) {
    Value codes = rewriter.create<vector::ExtractOp>(loc, lhsRows, row);
    words.push_back(rewriter.create<vector::ExtractOp>(
        loc, rewriter.create<vector::BitCastOp>(loc, wordType, codes), 0));
  }
  return words;
}

/// The weight codes of a register tile as one flat vector of `bytes`. A
/// tile read whole from its own slice (the repacked weights' [1, N, 4]
/// block is contiguous) is read flat, as a few full-width loads; left
/// N-d, its read is later unrolled into a 4-byte load per column.
Value rhsFlat(PatternRewriter &rewriter, Location loc, Value rhs,
              int64_t bytes) {
  auto flatType = VectorType::get({bytes}, rewriter.getI8Type());
  auto read = rhs.getDefiningOp<vector::TransferReadOp>();
  auto source = read ? dyn_cast<RankedTensorType>(read.getSource().getType())
                     : RankedTensorType();
  bool whole = source && source.hasStaticShape() && !read.getMask() &&
               read.getPermutationMap().isMinorIdentity() &&
               source.getShape() == read.getVectorType().getShape() &&
               llvm::all_of(read.getIndices(), [](Value index) {
                 return isConstantIntValue(index, 0);
               });
  // Leading unit dims stay (their strides are arbitrary, which would make
  // bufferization copy the block); the [N, 4] that follows collapses.
  int64_t rank = source ? source.getRank() : 0;
  whole = whole && rank >= 2 &&
          llvm::all_of(source.getShape().drop_back(2),
                       [](int64_t size) { return size == 1; });
  if (!whole)
    return rewriter.create<vector::ShapeCastOp>(loc, flatType, rhs);
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d < rank - 2; ++d)
    groups.push_back({d});
  groups.push_back({rank - 2, rank - 1});
  Value collapsed =
      rewriter.create<tensor::CollapseShapeOp>(loc, read.getSource(), groups);
  Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
  return rewriter.create<vector::TransferReadOp>(
      loc, flatType, collapsed, SmallVector<Value>(rank - 1, zero),
      read.getPadding(), ArrayRef<bool>{true});
}

/// An int8 dot-product instruction: each 32-bit lane of the accumulator
/// adds the dot product of four codes of one operand with four of the
/// other.
struct DotInstruction {
  llvm::StringLiteral intrinsic;
  /// 32-bit lanes per instruction.
  int64_t lanes;
  /// Whether the code operands are i8 vectors (else i32 words).
  bool byteOperands;
  /// Whether it multiplies int8 by int8 (else uint8 by int8).
  bool signedBySigned;
  /// For a pair of instructions: `intrinsic` multiplies the bytes and sums
  /// adjacent products into 16-bit lanes (without the accumulator), and
  /// this one sums adjacent 16-bit lanes into 32 bits, times 1s.
  llvm::StringLiteral pairSum = "";
};
/// AVX-512 VNNI vpdpbusd: uint8 x int8, 16 lanes.
constexpr DotInstruction kVNNI = {"llvm.x86.avx512.vpdpbusd.512", 16, false,
                                  false};
/// Armv8.2 dotprod sdot: int8 x int8, 4 lanes.
constexpr DotInstruction kSDot = {"llvm.aarch64.neon.sdot.v4i32.v16i8", 4, true,
                                  true};
/// x86 without VNNI: vpmaddubsw (uint8 x int8, pairs summed to 16 bits,
/// saturating: weights must stay within 63, see
/// TargetBackend::int8WeightLimit) then vpmaddwd with 1s; AVX2's ymm, 8
/// lanes, and AVX-512BW's zmm, 16.
constexpr DotInstruction kAVX2Pairs = {"llvm.x86.avx2.pmadd.ub.sw", 8, true,
                                       false, "llvm.x86.avx2.pmadd.wd"};
constexpr DotInstruction kAVX512Pairs = {"llvm.x86.avx512.pmaddubs.w.512", 16,
                                         true, false,
                                         "llvm.x86.avx512.pmaddw.d.512"};

/// A register tile of an int8 contraction in dot-product groups, uint8
/// rows [(1, ...) M, (1,) 4] times int8 columns [(1,) N, 4] into an i32
/// [(1, ...) M, N] accumulator, as one dot-product instruction per row and
/// `lanes` columns: the row's four codes are broadcast to every lane, and
/// each lane adds the dot product of them with its column's four codes.
/// An int8 x int8 instruction takes the row's codes less 128 (flipping
/// their top bit), and adds back 128 times each column's code sum, which
/// the same instruction computes once per column block for every row.
struct ContractToDotProduct : OpRewritePattern<vector::ContractionOp> {
  ContractToDotProduct(MLIRContext *ctx, DotInstruction instruction)
      : OpRewritePattern(ctx), instruction(instruction) {}
  DotInstruction instruction;

  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &rewriter) const override {
    const int64_t lanes = instruction.lanes;
    // The accumulator is [..., N] with at most one other non-unit dim, M
    // (batch dims, and an n split as heads by a folded reshape, are unit
    // in a register tile).
    auto accType = llvm::dyn_cast<VectorType>(op.getAccType());
    if (!accType || accType.getRank() < 2 ||
        !accType.getElementType().isInteger(32) ||
        accType.getShape().back() % lanes != 0)
      return failure();
    int64_t rank = accType.getRank();
    int64_t columns = accType.getDimSize(rank - 1);
    int64_t rows = accType.getNumElements() / columns;
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    std::optional<AffineExpr> m;
    for (int64_t d = 0; d < rank - 1; ++d)
      if (accType.getDimSize(d) != 1) {
        if (m)
          return failure();
        m = maps[2].getResult(d);
      }
    AffineExpr n = maps[2].getResult(rank - 1);
    auto lhsExt = op.getLhs().getDefiningOp<arith::ExtUIOp>();
    auto rhsExt = op.getRhs().getDefiningOp<arith::ExtSIOp>();
    if (!lhsExt || !rhsExt)
      return failure();
    auto lhsType = cast<VectorType>(lhsExt.getIn().getType());
    auto rhsType = cast<VectorType>(rhsExt.getIn().getType());
    // Operands whose only non-unit dims are m (n) and the group, last; the
    // maps must read the group last in both and m, n as the result does.
    if (lhsType.getShape().back() != kDotGroupWidth ||
        lhsType.getNumElements() != rows * kDotGroupWidth ||
        rhsType.getShape().back() != kDotGroupWidth ||
        rhsType.getNumElements() != columns * kDotGroupWidth)
      return failure();
    AffineExpr group = maps[0].getResults().back();
    if (maps[1].getResults().back() != group ||
        (m && !llvm::is_contained(maps[0].getResults(), *m)) ||
        !llvm::is_contained(maps[1].getResults(), n))
      return failure();

    Location loc = op.getLoc();
    Type i32 = rewriter.getI32Type(), i8 = rewriter.getI8Type();
    auto laneType = VectorType::get({lanes}, i32);
    auto codeType = instruction.byteOperands
                        ? VectorType::get({lanes * kDotGroupWidth}, i8)
                        : laneType;
    auto asCodes = [&](Value v) -> Value {
      return v.getType() == codeType
                 ? v
                 : rewriter.create<vector::BitCastOp>(loc, codeType, v);
    };
    auto call = [&](Type type, StringRef name, ValueRange args) {
      return rewriter
          .create<LLVM::CallIntrinsicOp>(loc, type,
                                         rewriter.getStringAttr(name), args)
          .getResult(0);
    };
    auto pairType = VectorType::get({2 * lanes}, rewriter.getI16Type());
    Value ones16;
    if (!instruction.pairSum.empty())
      ones16 = rewriter.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(pairType, rewriter.getI16IntegerAttr(1)));
    auto dot = [&](Value acc, Value a, Value b) -> Value {
      if (instruction.pairSum.empty())
        return call(laneType, instruction.intrinsic, ValueRange{acc, a, b});
      Value pairs = call(pairType, instruction.intrinsic, ValueRange{a, b});
      Value quads =
          call(laneType, instruction.pairSum, ValueRange{pairs, ones16});
      return rewriter.create<arith::AddIOp>(loc, acc, quads);
    };
    SmallVector<Value> rowWords =
        lhsWords(rewriter, loc, lhsExt.getIn(), maps[0], m, rows);
    Value rhsBytes =
        rhsFlat(rewriter, loc, rhsExt.getIn(), columns * kDotGroupWidth);
    SmallVector<Value> columnBlocks, columnBias;
    for (int64_t j = 0; j < columns / lanes; ++j) {
      Value bytes = rewriter.create<vector::ExtractStridedSliceOp>(
          loc, rhsBytes, ArrayRef<int64_t>{j * lanes * kDotGroupWidth},
          ArrayRef<int64_t>{lanes * kDotGroupWidth}, ArrayRef<int64_t>{1});
      columnBlocks.push_back(asCodes(bytes));
    }
    Value zero = rewriter.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(laneType, rewriter.getI32IntegerAttr(0)));
    if (instruction.signedBySigned) {
      // -128 x the column's codes, to subtract: (a - 128) w + 128 w = a w.
      Value minus128 = rewriter.create<arith::ConstantOp>(
          loc,
          DenseElementsAttr::get(codeType, rewriter.getI8IntegerAttr(-128)));
      for (Value block : columnBlocks)
        columnBias.push_back(dot(zero, minus128, block));
      Value flip = rewriter.create<arith::ConstantOp>(
          loc, rewriter.getI32IntegerAttr(static_cast<int32_t>(0x80808080u)));
      for (Value &word : rowWords)
        word = rewriter.create<arith::XOrIOp>(loc, word, flip);
    }
    auto matrixType = VectorType::get({rows, columns}, i32);
    Value accMatrix =
        rewriter.create<vector::ShapeCastOp>(loc, matrixType, op.getAcc());
    Value result = accMatrix;
    for (int64_t row = 0; row < rows; ++row) {
      Value broadcast = asCodes(
          rewriter.create<vector::BroadcastOp>(loc, laneType, rowWords[row]));
      Value accRow = rewriter.create<vector::ExtractOp>(loc, accMatrix, row);
      for (int64_t j = 0; j < columns / lanes; ++j) {
        Value acc = rewriter.create<vector::ExtractStridedSliceOp>(
            loc, accRow, ArrayRef<int64_t>{j * lanes}, ArrayRef<int64_t>{lanes},
            ArrayRef<int64_t>{1});
        Value sum = dot(acc, broadcast, columnBlocks[j]);
        if (instruction.signedBySigned)
          sum = rewriter.create<arith::SubIOp>(loc, sum, columnBias[j]);
        accRow = rewriter.create<vector::InsertStridedSliceOp>(
            loc, sum, accRow, ArrayRef<int64_t>{j * lanes},
            ArrayRef<int64_t>{1});
      }
      result = rewriter.create<vector::InsertOp>(loc, accRow, result, row);
    }
    rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(op, accType, result);
    return success();
  }
};

/// Memory effects of llvm.call_intrinsic, which declares none (so
/// bufferization refuses it): none for the arithmetic intrinsics this pass
/// emits, everything for any other intrinsic.
struct IntrinsicEffects
    : MemoryEffectOpInterface::ExternalModel<IntrinsicEffects,
                                             LLVM::CallIntrinsicOp> {
  void
  getEffects(Operation *op,
             SmallVectorImpl<MemoryEffects::EffectInstance> &effects) const {
    llvm::StringRef name = cast<LLVM::CallIntrinsicOp>(op).getIntrin();
    if (llvm::is_contained(
            {kVNNI.intrinsic, kSDot.intrinsic, kAVX2Pairs.intrinsic,
             kAVX2Pairs.pairSum, kAVX512Pairs.intrinsic, kAVX512Pairs.pairSum},
            name))
      return;
    effects.emplace_back(MemoryEffects::Read::get());
    effects.emplace_back(MemoryEffects::Write::get());
    effects.emplace_back(MemoryEffects::Allocate::get());
    effects.emplace_back(MemoryEffects::Free::get());
  }
};

/// Marks a statically shaped register tile, to be vectorized whole.
constexpr llvm::StringLiteral kRegisterTileAttr = "ds.register_tile";

struct VectorizeContractionsPass
    : ds::impl::VectorizeContractionsPassBase<VectorizeContractionsPass> {
  using VectorizeContractionsPassBase::VectorizeContractionsPassBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    VectorizeContractionsPassBase::getDependentDialects(registry);
    registry.addExtension(+[](MLIRContext *ctx, LLVM::LLVMDialect *) {
      LLVM::CallIntrinsicOp::attachInterface<IntrinsicEffects>(*ctx);
    });
  }

  /// `wanted` for a loop of `extent`; 0 (no loop) when one tile covers it.
  static int64_t clampTile(int64_t wanted, int64_t extent) {
    if (ShapedType::isDynamic(extent) || extent > wanted)
      return wanted;
    return 0;
  }

  /// A tile size for an outer (thread or cache) loop over m, n or k that
  /// divides a static `extent` evenly, so that every tile has a static
  /// shape: a tile size that does not divide leaves a last tile of dynamic
  /// size, whose register tiles can only be 1 wide (784 columns in tiles of
  /// 256 left 16 columns to scalar code, a quarter of the time). The
  /// largest divisor of at most `wanted` and at least `wanted`/4 that is a
  /// multiple of `granule`, else of `granule`/4, else any (its register
  /// tiles peel into static pieces: a classifier's 1000 columns as 4 x 250
  /// took its GEMV from 0.6 to ms, where 256-wide tiles left 232 columns
  /// to scalar code), else `wanted`; 0 when one tile covers the extent.
  static int64_t evenTile(int64_t wanted, int64_t extent, int64_t granule) {
    int64_t size = clampTile(wanted, extent);
    if (size == 0 || ShapedType::isDynamic(extent))
      return size;
    for (int64_t step :
         {granule, std::max<int64_t>(1, granule / 4), int64_t(1)})
      for (int64_t t = wanted / step * step;
           t >= std::max<int64_t>(step, wanted / 4); t -= step)
        if (extent % t == 0)
          return t;
    return wanted;
  }

  /// How many panels (iterations of the outer n loop `loop`) make one
  /// thread or cache tile. Where a panel is one register tile wide (BLIS's
  /// micro-panel, which stays in L1 while the rows of the cache tile pass
  /// by), about `nc` columns of them in at least `minTiles` tiles, so that
  /// the left-hand block, in L2, serves all of them (fp32 GEMM 1024 on
  /// AVX2: 32.1 -> 28.7 ms); otherwise one panel (grouping 64-wide panels
  /// under 16-wide tiles was slower). 0 when one tile covers the loop.
  int64_t panelGroup(ArrayRef<int64_t> extents, const GemmLoops &roles,
                     unsigned loop, int64_t minTiles = 1) const {
    int64_t width = extents[roles.n], panels = extents[loop];
    if (width != nr || ShapedType::isDynamic(panels))
      return 1;
    int64_t group = std::min(nc / width, panels / minTiles);
    return group <= 1 ? 1 : evenTile(group, panels, 1);
  }

  /// Enough thread-level tasks over panels for the pool to balance them.
  static constexpr int64_t kMinThreadTiles = 4;

  /// The thread-level tiles of a contraction: one loop over the outermost
  /// dim with several tiles (a batch dim by 1, else n by `nc`, else m by
  /// `mc`, else m in kMinThreadTiles if there is work enough); 0 for the
  /// loops not split. The runtime splits its iterations
  /// among its threads; each output tile is computed by one thread in a
  /// fixed order, so results do not depend on the thread count.
  SmallVector<int64_t> threadTiles(ArrayRef<int64_t> extents,
                                   const GemmLoops &roles) const {
    SmallVector<int64_t> sizes(extents.size(), 0);
    auto several = [](int64_t extent, int64_t tileSize) {
      return ShapedType::isDynamic(extent) || extent > tileSize;
    };
    auto batch = llvm::find_if(roles.unit, [&](unsigned u) {
      return several(extents[u], 1) && !llvm::is_contained(roles.outerK, u);
    });
    if (batch != roles.unit.end()) {
      sizes[*batch] = llvm::is_contained(roles.outerN, *batch)
                          ? panelGroup(extents, roles, *batch,
                                       kMinThreadTiles)
                          : 1;
      // Iterations too small to be a task each (a convolution's output
      // rows, 112 pixels by 32 channels of 27 taps) go several to a task,
      // leaving at least kMinThreadTiles tasks.
      int64_t each =
          multiplyAdds(extents) / std::max<int64_t>(1, extents[*batch]);
      if (sizes[*batch] == 1 && each > 0 && each < kMinSplitMultiplyAdds &&
          extents[*batch] >= 2 * kMinThreadTiles)
        sizes[*batch] = evenTile(
            std::min<int64_t>(llvm::divideCeil(kMinSplitMultiplyAdds, each),
                              extents[*batch] / kMinThreadTiles),
            extents[*batch], 1);
    } else if (several(extents[roles.n], nc))
      sizes[roles.n] = evenTile(nc, extents[roles.n], 2 * nr);
    else if (several(extents[roles.m], mc))
      sizes[roles.m] = evenTile(mc, extents[roles.m], mr);
    else if (extents[roles.m] >= 2 * mr &&
             multiplyAdds(extents) >= kMinSplitMultiplyAdds)
      // One cache tile of output but much work (a 1x1 convolution of 384
      // channels down to 64 at 14x14): rows for several tasks, else it
      // ran on one thread whatever the pool had.
      sizes[roles.m] = evenTile(
          llvm::divideCeil(extents[roles.m], kMinThreadTiles),
          extents[roles.m], mr);
    return sizes;
  }

  /// Below this, a contraction whose output is one cache tile stays one
  /// thread-pool task (about 5 us of one core's FMAs).
  static constexpr int64_t kMinSplitMultiplyAdds = int64_t(1) << 18;

  /// The multiply-adds of a contraction of static `extents`; 0 if dynamic.
  static int64_t multiplyAdds(ArrayRef<int64_t> extents) {
    if (llvm::any_of(extents, ShapedType::isDynamic))
      return 0;
    int64_t product = 1;
    for (int64_t extent : extents)
      product *= extent;
    return product;
  }

  /// An elementwise consumer of the contraction (its activation epilogue)
  /// is tiled with the contraction's thread-level tiles and the contraction
  /// fused into it, so each thread applies the epilogue to the output tile
  /// it has just computed, while the tile is still in cache, instead of in
  /// a separate pass over the whole output. Returns the contraction's tile,
  /// or the contraction itself when there is nothing to fuse.
  linalg::LinalgOp fuseEpilogue(RewriterBase &rewriter, linalg::LinalgOp op,
                                const GemmLoops &roles) {
    if (!op->hasOneUse())
      return op;
    auto epilogue = dyn_cast<linalg::GenericOp>(*op->getUsers().begin());
    if (!epilogue || !epilogue.hasPureTensorSemantics() ||
        epilogue.getNumLoops() != epilogue.getNumParallelLoops())
      return op;
    OpOperand *use = &*op->getUses().begin();
    if (!epilogue.isDpsInput(use) ||
        !epilogue.getMatchingIndexingMap(use).isIdentity())
      return op;
    SmallVector<int64_t> sizes = threadTiles(op.getStaticLoopRanges(), roles);
    AffineMap outMap = op.getIndexingMapMatchingResult(op->getResult(0));
    SmallVector<int64_t> epilogueSizes;
    for (unsigned d = 0; d < outMap.getNumResults(); ++d)
      epilogueSizes.push_back(sizes[outMap.getDimPosition(d)]);
    if (llvm::all_of(epilogueSizes, [](int64_t s) { return s == 0; }))
      return op;
    scf::SCFTileAndFuseOptions options;
    scf::SCFTilingOptions tiling;
    tiling.setTileSizes(
        getAsIndexOpFoldResult(rewriter.getContext(), epilogueSizes));
    tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    options.setTilingOptions(tiling);
    // Fuse the contraction and its accumulator's initialization (the bias
    // broadcast or zero fill), never its operands: an m-split would
    // recompute them per tile.
    Operation *contraction = op;
    options.setFusionControlFn([contraction](tensor::ExtractSliceOp slice,
                                             OpResult producer, bool) {
      bool initializesAccumulator =
          llvm::any_of(slice->getUses(), [](OpOperand &use) {
            auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
            return dps && dps.isDpsInit(&use);
          });
      return std::make_tuple(
          producer.getOwner() == contraction || initializesAccumulator, false);
    });
    rewriter.setInsertionPoint(epilogue);
    FailureOr<scf::SCFTileAndFuseResult> fused =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(epilogue.getOperation()), options);
    if (failed(fused))
      return op;
    for (OpResult result : epilogue->getResults())
      rewriter.replaceAllUsesWith(result, fused->replacements.lookup(result));
    rewriter.eraseOp(epilogue);
    linalg::LinalgOp tiled;
    for (Operation *candidate : fused->tiledAndFusedOps)
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(candidate))
        if (classify(linalgOp))
          tiled = linalgOp;
    // (The fusion leaves the slice of `op` that its tile replaced.)
    for (Operation *user : llvm::make_early_inc_range(op->getUsers()))
      if (isa<tensor::ExtractSliceOp>(user) && user->use_empty())
        rewriter.eraseOp(user);
    if (op->use_empty())
      rewriter.eraseOp(op);
    return tiled;
  }

  /// Splits `op` among threads (unless its epilogue's loop already does),
  /// blocks it for caches and registers and tags the static register tiles
  /// for vectorization. Register loops over m and n are peeled so that
  /// every tile is static and needs no masks.
  LogicalResult blockForRegisters(RewriterBase &rewriter, linalg::LinalgOp op,
                                  const GemmLoops &roles) {
    SmallVector<int64_t> extents = op.getStaticLoopRanges();
    unsigned numLoops = extents.size();

    // Thread level, unless the op already sits in its epilogue's forall.
    SmallVector<int64_t> threadSizes = threadTiles(extents, roles);
    if (!op->getParentOfType<scf::ForallOp>() &&
        llvm::any_of(threadSizes, [](int64_t s) { return s != 0; })) {
      Operation *scope = op->getParentOp();
      FailureOr<scf::SCFTilingResult> split =
          tileOp(rewriter, cast<TilingInterface>(op.getOperation()),
                 threadSizes, {}, scf::SCFTilingOptions::LoopType::ForallOp);
      if (failed(split))
        return failure();
      op = cast<linalg::LinalgOp>(split->tiledOps.back());
      fuseAccumulatorInit(rewriter, op, scope);
      extents = op.getStaticLoopRanges();
    }
    if (auto forall = op->getParentOfType<scf::ForallOp>())
      fuseGatherProducers(rewriter, op, forall);

    // Cache level: n, k, m outermost-first after the unit loops.
    SmallVector<int64_t> cacheSizes(numLoops, 1);
    cacheSizes[roles.m] = evenTile(mc, extents[roles.m], mr);
    cacheSizes[roles.n] = evenTile(nc, extents[roles.n], 2 * nr);
    // Depth in equal blocks where a divisor near kc exists: a last block
    // of 64 after two of 256 (576 = 64 channels x 9 taps) reloads and
    // stores its accumulators for a quarter of the work (3x3 stride 2,
    // 64 -> 128 channels at 56 -> 28: 1.40 -> 1.36 ms; 128 -> 256 at
    // 28 -> 14, 1152 deep: 1.48 -> 1.41 ms).
    cacheSizes[roles.k] = evenTile(kc, extents[roles.k], /*granule=*/8);
    for (unsigned u : roles.unit)
      if (extents[u] == 1)
        cacheSizes[u] = 0;
    for (unsigned u : roles.outerN)
      if (extents[u] != 1)
        cacheSizes[u] = panelGroup(extents, roles, u);
    if (roles.dotGroup)
      cacheSizes[*roles.dotGroup] = 0;
    for (unsigned tap : roles.window)
      cacheSizes[tap] = 0;
    SmallVector<int64_t> order;
    for (unsigned u : roles.unit)
      if (!llvm::is_contained(roles.outerN, u))
        order.push_back(u);
    order.append(roles.outerN.begin(), roles.outerN.end());
    order.append({roles.n, roles.k, roles.m});
    if (roles.dotGroup)
      order.push_back(*roles.dotGroup);
    order.append(roles.window.begin(), roles.window.end());
    Operation *scope = op->getParentOp();
    linalg::GenericOp epilogue = registerEpilogue(op);
    FailureOr<scf::SCFTilingResult> block = tileOp(
        rewriter, cast<TilingInterface>(op.getOperation()), cacheSizes, order);
    if (failed(block))
      return failure();
    // With every reduction whole in a cache block, each block starts from
    // the initial value, and can compute it itself.
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    bool reductionsWhole =
        llvm::all_of(llvm::seq<unsigned>(0, numLoops), [&](unsigned dim) {
          return iterators[dim] != utils::IteratorType::reduction ||
                 cacheSizes[dim] == 0;
        });
    if (reductionsWhole)
      fuseAccumulatorInit(
          rewriter, cast<linalg::LinalgOp>(block->tiledOps.back()), scope);

    // Register level, one role at a time so that each edge gets a tile
    // shape of its own: n by `nr`, then m by `mr`, each peeled into full
    // tiles and one remainder; the remainders are tiled by 1 instead of
    // being masked. The reduction goes innermost so the accumulator tile
    // lives in registers across it.
    SmallVector<Operation *> pieces = {block->tiledOps.back()};
    Operation *blockScope = pieces.front()->getParentOp();
    // With fewer rows than `mr` (a GEMV has one), widen the tile instead, so
    // that there are still enough independent accumulators to hide the FMA
    // latency.
    int64_t rows = extents[roles.m], columns = extents[roles.n];
    int64_t width = nr, height = mr;
    if (!ShapedType::isDynamic(rows) && rows < mr) {
      width = std::min<int64_t>(nr * (mr / rows), nc);
    } else if (wideTiles && !ShapedType::isDynamic(columns) &&
               columns % (2 * nr) == 0 && 2 * nr <= nc) {
      // When the columns divide evenly into twice the width, 3/4 of the
      // rows by twice the columns loads less per FMA (6x64: 10 loads for
      // 24 FMAs, against 10 for 16) and leaves no remainder tiles.
      width = 2 * nr;
      height = std::max<int64_t>(1, mr * 3 / 4);
    }
    pieces = ds::tileAndPeel(rewriter, pieces, roles.n, width,
                             /*unevenOnly=*/false, canonical);
    // A strip of `width` columns of the cache block initializes itself.
    if (reductionsWhole)
      for (Operation *piece : pieces)
        fuseAccumulatorInit(rewriter, cast<linalg::LinalgOp>(piece),
                            blockScope);
    // A row remainder like 17 becomes 16 + 1: LLVM splits a vector whose
    // width is not a power of two into shuffles and spills.
    for (int64_t part = llvm::PowerOf2Ceil(width) / 2; part > 1; part /= 2)
      pieces = ds::tileAndPeel(rewriter, pieces, roles.n, part,
                               /*unevenOnly=*/true, canonical);
    SmallVector<Operation *> rowPieces;
    for (Operation *piece : pieces) {
      int64_t pieceRows =
          cast<linalg::LinalgOp>(piece).getStaticLoopRanges()[roles.m];
      llvm::append_range(rowPieces,
                         ds::tileAndPeel(rewriter, {piece}, roles.m,
                                         rowTile(pieceRows, height, width),
                                         /*unevenOnly=*/false, canonical));
    }
    pieces = std::move(rowPieces);
    // And a register tile its own, vectorized with it, so that its
    // accumulators start from the bias in registers instead of loading
    // what the strip stored (row loops without a remainder only).
    if (reductionsWhole)
      for (Operation *piece : pieces)
        if (Operation *init = fuseAccumulatorInit(
                rewriter, cast<linalg::LinalgOp>(piece), blockScope))
          if (!cast<linalg::LinalgOp>(init).hasDynamicShape())
            init->setAttr(kRegisterTileAttr, rewriter.getUnitAttr());
    SmallVector<Value> registerTiles;
    for (Operation *piece : pieces) {
      FailureOr<Value> tile =
          tileToRegisters(rewriter, cast<linalg::LinalgOp>(piece), roles);
      if (failed(tile))
        return failure();
      registerTiles.push_back(*tile);
    }
    if (reductionsWhole && epilogue)
      applyEpilogueInRegisters(rewriter, epilogue, registerTiles);
    return success();
  }

  /// Moves into `forall` the computation of the slices of `op`'s inputs
  /// that its task reads, where an input is gathered by an all-parallel op
  /// used only there (a convolution's columns, see the Conv lowering's
  /// pixelRows) and the slices of different tasks are disjoint (the
  /// input's map holds each loop the forall splits as a plain dim): each
  /// task gathers its own columns into cache just before its product reads
  /// them. A collapse_shape between the gather and the slice is moved
  /// below the slice where the slice takes the collapsed dims whole.
  void fuseGatherProducers(RewriterBase &rewriter, linalg::LinalgOp op,
                           scf::ForallOp forall) {
    for (OpOperand *input : op.getDpsInputOperands()) {
      auto slice = input->get().getDefiningOp<tensor::ExtractSliceOp>();
      if (!slice || slice->getParentOp() != forall.getOperation() ||
          !slice->hasOneUse() || !disjointPerTask(op, input, slice, forall))
        continue;
      if (auto collapse =
              slice.getSource().getDefiningOp<tensor::CollapseShapeOp>()) {
        slice = sliceBeforeCollapse(rewriter, slice, collapse);
        if (!slice)
          continue;
      }
      auto gather = slice.getSource().getDefiningOp<linalg::GenericOp>();
      if (!gather || !gather->hasOneUse() || !gather.hasPureTensorSemantics() ||
          gather.getNumLoops() != gather.getNumParallelLoops() ||
          gather->getNumResults() != 1)
        continue;
      SmallVector<LoopLikeOpInterface> loops = {
          cast<LoopLikeOpInterface>(forall.getOperation())};
      if (scf::tileAndFuseProducerOfSlice(rewriter, slice, loops) &&
          gather->use_empty())
        rewriter.eraseOp(gather);
    }
  }

  /// `slice` of the result of `collapse` as a collapse_shape of a slice of
  /// its source, where `slice` takes each group of collapsed dims whole
  /// (offset 0, full size, stride 1); returns the new slice, or null.
  static tensor::ExtractSliceOp
  sliceBeforeCollapse(RewriterBase &rewriter, tensor::ExtractSliceOp slice,
                      tensor::CollapseShapeOp collapse) {
    if (!collapse->hasOneUse() ||
        slice.getSourceType().getRank() != slice.getResultType().getRank())
      return nullptr;
    ArrayRef<int64_t> sourceShape = collapse.getSrcType().getShape();
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (auto [dim, group] :
         llvm::enumerate(collapse.getReassociationIndices())) {
      OpFoldResult offset = slice.getMixedOffsets()[dim];
      OpFoldResult size = slice.getMixedSizes()[dim];
      OpFoldResult stride = slice.getMixedStrides()[dim];
      if (group.size() > 1) {
        if (!isConstantIntValue(offset, 0) || !isConstantIntValue(stride, 1) ||
            getConstantIntValue(size) !=
                std::optional<int64_t>(slice.getSourceType().getDimSize(dim)))
          return nullptr;
        for (int64_t source : group) {
          offsets.push_back(rewriter.getIndexAttr(0));
          sizes.push_back(rewriter.getIndexAttr(sourceShape[source]));
          strides.push_back(rewriter.getIndexAttr(1));
        }
        continue;
      }
      offsets.push_back(offset);
      sizes.push_back(size);
      strides.push_back(stride);
    }
    rewriter.setInsertionPoint(slice);
    auto sourceSlice = rewriter.create<tensor::ExtractSliceOp>(
        slice.getLoc(), collapse.getSrc(), offsets, sizes, strides);
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        slice, slice.getResultType(), sourceSlice,
        collapse.getReassociationIndices());
    rewriter.eraseOp(collapse);
    return sourceSlice;
  }

  /// Whether the tasks of `forall` read disjoint slices of `input` (of
  /// `op`, their tile), `slice` being its slice: every induction variable
  /// of the forall moves the slice along a dim that the input's map reads
  /// as a plain loop dim.
  static bool disjointPerTask(linalg::LinalgOp op, OpOperand *input,
                              tensor::ExtractSliceOp slice,
                              scf::ForallOp forall) {
    AffineMap map = op.getMatchingIndexingMap(input);
    auto movedBy = [](OpFoldResult offset, Value iv) {
      auto value = dyn_cast<Value>(offset);
      if (!value)
        return false;
      Operation *def = value.getDefiningOp();
      return value == iv || (def && isa<affine::AffineApplyOp>(def) &&
                             llvm::is_contained(def->getOperands(), iv));
    };
    return llvm::all_of(forall.getInductionVars(), [&](Value iv) {
      return llvm::any_of(
          llvm::enumerate(slice.getMixedOffsets()), [&](auto offset) {
            return movedBy(offset.value(), iv) &&
                   isa<AffineDimExpr>(map.getResult(offset.index()));
          });
    });
  }

  /// The elementwise epilogue of the thread tile `op` (fused into its
  /// forall by fuseEpilogue) that can be applied to each register tile
  /// instead: an all-parallel generic of identity maps whose one input is
  /// `op`'s result and whose output it only writes; null if there is none.
  static linalg::GenericOp registerEpilogue(linalg::LinalgOp op) {
    if (!op->hasOneUse() || !op->getParentOfType<scf::ForallOp>())
      return nullptr;
    auto epilogue = dyn_cast<linalg::GenericOp>(*op->getUsers().begin());
    if (!epilogue || epilogue->getBlock() != op->getBlock() ||
        !epilogue.hasPureTensorSemantics() || epilogue.getNumDpsInputs() != 1 ||
        epilogue.getNumDpsInits() != 1 ||
        epilogue.getNumLoops() != epilogue.getNumParallelLoops() ||
        !llvm::all_of(epilogue.getIndexingMapsArray(),
                      [](AffineMap map) { return map.isIdentity(); }) ||
        epilogue.payloadUsesValueFromOperand(epilogue.getDpsInitOperand(0)) ||
        epilogue.getResult(0).getType() != op->getResult(0).getType())
      return nullptr;
    return epilogue;
  }

  /// Applies `epilogue` (see registerEpilogue) to each register tile of
  /// the contraction, on its accumulators before they are stored, instead
  /// of in a pass over the stored thread tile (a load, the activation and
  /// a store per element: with 16 input channels, a fifth of the layer).
  /// The contraction then computes into the epilogue's output, and its
  /// result (the loop nest's) replaces the epilogue's.
  void applyEpilogueInRegisters(RewriterBase &rewriter,
                                linalg::GenericOp epilogue,
                                ArrayRef<Value> registerTiles) {
    for (Value accumulator : registerTiles) {
      auto type = cast<RankedTensorType>(accumulator.getType());
      rewriter.setInsertionPointAfterValue(accumulator);
      SmallVector<AffineMap> maps(
          2, rewriter.getMultiDimIdentityMap(type.getRank()));
      SmallVector<utils::IteratorType> iterators(type.getRank(),
                                                 utils::IteratorType::parallel);
      auto applied = rewriter.create<linalg::GenericOp>(
          epilogue.getLoc(), TypeRange{type}, ValueRange{accumulator},
          ValueRange{accumulator}, maps, iterators);
      rewriter.cloneRegionBefore(epilogue.getRegion(), applied.getRegion(),
                                 applied.getRegion().begin());
      rewriter.replaceAllUsesExcept(accumulator, applied.getResult(0), applied);
      if (!type.hasStaticShape())
        continue;
      applied->setAttr(kRegisterTileAttr, rewriter.getUnitAttr());
    }
    // The nest's outermost accumulator, traced back through the ops that
    // initialize it to the slice of an empty tensor it starts from, starts
    // from the epilogue's output instead, so that bufferization computes
    // it there rather than in a buffer of its own copied over.
    // (A register tile may be the whole nest, its result the epilogue's
    // input until now.)
    Value result = epilogue.getDpsInputOperand(0)->get();
    Value dest = epilogue.getDpsInitOperand(0)->get();
    OpOperand *root = nullptr;
    for (Value v = result; v;) {
      Operation *def = v.getDefiningOp();
      auto dps = dyn_cast_or_null<DestinationStyleOpInterface>(def);
      auto loop = dyn_cast_or_null<LoopLikeOpInterface>(def);
      OpOperand *init = nullptr;
      if (loop && loop.getTiedLoopInit(cast<OpResult>(v)))
        init = loop.getTiedLoopInit(cast<OpResult>(v));
      else if (dps && dps.getNumDpsInits() == 1)
        init = dps.getDpsInitOperand(0);
      if (!init)
        break;
      auto slice = init->get().getDefiningOp<tensor::ExtractSliceOp>();
      if (slice && slice.getSource().getDefiningOp<tensor::EmptyOp>()) {
        root = init;
        break;
      }
      v = init->get();
    }
    if (root && root->get().getType() == dest.getType()) {
      // The destination (a slice of the forall's output) may be made after
      // the nest; it moves before it when its operands allow.
      Operation *user = root->getOwner(), *destDef = dest.getDefiningOp();
      DominanceInfo dominance;
      auto available = [&](Value v) {
        return dominance.properlyDominates(v, user);
      };
      if (!available(dest) && destDef &&
          llvm::all_of(destDef->getOperands(), available))
        rewriter.moveOpBefore(destDef, user);
      if (available(dest))
        rewriter.modifyOpInPlace(user, [&] { root->set(dest); });
    }
    rewriter.replaceOp(epilogue, result);
  }

  /// Moves the computation of `tile`'s initial accumulator (the bias
  /// broadcast or zero fill: an all-parallel op used only as its
  /// destination) into the loops `tile` was just tiled by, those inside
  /// `scope` (where the untiled op was), so that each tile initializes its
  /// own slice while it is in cache, instead of a pass over the whole
  /// output before (a 1x1 convolution of 16 input channels on 112 x 112,
  /// AVX2: 0.76 -> 0.74 ms). The caller makes sure that those loops split
  /// no reduction; loops around `scope` (a weight-only product's loop
  /// over groups) are not crossed, and a loop whose result a peeled
  /// remainder loop starts from stops the fusion (the remainder would find
  /// the main loop's slices uninitialized). Returns the fused tile of the
  /// initialization, or null, leaving the IR as it is, where it does not
  /// apply.
  static Operation *fuseAccumulatorInit(RewriterBase &rewriter,
                                        linalg::LinalgOp tile,
                                        Operation *scope) {
    if (tile.getNumDpsInits() != 1)
      return nullptr;
    auto slice =
        tile.getDpsInitOperand(0)->get().getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice)
      return nullptr;
    SmallVector<LoopLikeOpInterface> loops;
    Value source = slice.getSource();
    while (auto arg = dyn_cast<BlockArgument>(source)) {
      auto loop = dyn_cast<LoopLikeOpInterface>(arg.getOwner()->getParentOp());
      if (!loop || !scope->isProperAncestor(loop) ||
          !loop.getTiedLoopInit(arg))
        return nullptr;
      // (scf.forall gives no getTiedLoopResult; its results, like
      // scf.for's, are its iteration arguments' in order.)
      Block::BlockArgListType iterArgs = loop.getRegionIterArgs();
      OpResult result =
          loop->getResult(llvm::find(iterArgs, arg) - iterArgs.begin());
      if (llvm::any_of(result.getUsers(),
                       [](Operation *user) { return isa<scf::ForOp>(user); }))
        return nullptr;
      loops.insert(loops.begin(), loop);
      source = loop.getTiedLoopInit(arg)->get();
    }
    auto init = source.getDefiningOp<linalg::LinalgOp>();
    if (loops.empty() || !init || !init.hasPureTensorSemantics() ||
        init.getNumLoops() != init.getNumParallelLoops() || !source.hasOneUse())
      return nullptr;
    std::optional<scf::SCFFuseProducerOfSliceResult> fused =
        scf::tileAndFuseProducerOfSlice(rewriter, slice, loops);
    return fused ? fused->tiledAndFusedProducer.getDefiningOp() : nullptr;
  }

  /// The rows of the register tiles over `rows` rows of `width` columns:
  /// `height`, or up to two fewer where that leaves no remainder or one of
  /// enough rows while `height` leaves a smaller one. A tile needs about
  /// 8 accumulator vectors to cover the FMA latency (2 pipes x 4 cycles):
  /// 4 rows of `nr` (two vectors), 2 of twice that. A 1-row remainder of
  /// 16 columns ran at a quarter of the rate; 7x7 pixels as rows are now
  /// 9 x 5 + 4 instead of 8 x 6 + 1 (3x3, 512 channels, AVX2: 3.07 -> 2.92
  /// ms).
  int64_t rowTile(int64_t rows, int64_t height, int64_t width) const {
    int64_t minRows = std::max<int64_t>(1, 4 * nr / width);
    auto fits = [&](int64_t h) { return rows % h == 0 || rows % h >= minRows; };
    if (ShapedType::isDynamic(rows) || rows <= height || fits(height))
      return height;
    for (int64_t h = height - 1; h >= std::max<int64_t>(minRows, height - 2);
         --h)
      if (fits(h))
        return h;
    return height;
  }

  /// The last tiling level: every unit loop, the reduction and any m or n
  /// loop of dynamic (remainder) size by 1, the rest whole; tags the
  /// resulting static tile.
  static FailureOr<Value> tileToRegisters(RewriterBase &rewriter,
                                          linalg::LinalgOp op,
                                          const GemmLoops &roles) {
    SmallVector<int64_t> extents = op.getStaticLoopRanges();
    SmallVector<int64_t> sizes(extents.size(), 1);
    for (unsigned dim : {roles.m, roles.n})
      if (!ShapedType::isDynamic(extents[dim]))
        sizes[dim] = 0;
    for (unsigned dim = 0; dim < extents.size(); ++dim)
      if (extents[dim] == 1)
        sizes[dim] = 0;
    if (roles.dotGroup)
      sizes[*roles.dotGroup] = 0;
    // The taps go between the tile and the k loop: the accumulators stay
    // in registers across all of them.
    SmallVector<int64_t> order(roles.unit.begin(), roles.unit.end());
    order.append({roles.n, roles.m});
    order.append(roles.window.begin(), roles.window.end());
    order.push_back(roles.k);
    if (roles.dotGroup)
      order.push_back(*roles.dotGroup);
    Operation *registerTile = op;
    Value result = op->getResult(0);
    if (llvm::any_of(sizes, [](int64_t s) { return s != 0; })) {
      FailureOr<scf::SCFTilingResult> tiled = tileOp(
          rewriter, cast<TilingInterface>(op.getOperation()), sizes, order);
      if (failed(tiled))
        return failure();
      registerTile = tiled->tiledOps.back();
      result = tiled->replacements.front();
    }
    // One tap of a window: its maps read as plain projected permutations,
    // which the linalg vectorizer takes.
    if (!roles.window.empty()) {
      auto tile = cast<linalg::GenericOp>(registerTile);
      SmallVector<AffineMap> maps;
      for (AffineMap map : tile.getIndexingMapsArray())
        maps.push_back(atFirstTap(map, roles.window));
      tile.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
    }
    // An outer reduction loop (a block of channels) has one iteration
    // here; dropped, the vector contraction keeps the one reduction that
    // both sides share, which its outer-product lowering needs (else the
    // tile is unrolled to scalars).
    SmallVector<int64_t> tileExtents =
        cast<linalg::LinalgOp>(registerTile).getStaticLoopRanges();
    SmallVector<unsigned> single;
    for (unsigned loop : roles.outerK)
      if (tileExtents[loop] == 1)
        single.push_back(loop);
    if (!single.empty()) {
      struct NewGeneric : RewriterBase::Listener {
        linalg::GenericOp op;
        void notifyOperationInserted(Operation *inserted,
                                     OpBuilder::InsertPoint) override {
          if (auto generic = dyn_cast<linalg::GenericOp>(inserted))
            op = generic;
        }
      } created;
      linalg::ControlDropUnitDims drop;
      drop.rankReductionStrategy = linalg::ControlDropUnitDims::
          RankReductionStrategy::ExtractInsertSlice;
      drop.controlFn = [&](Operation *) { return single; };
      OpBuilder::Listener *previous = rewriter.getListener();
      rewriter.setListener(&created);
      rewriter.setInsertionPoint(registerTile);
      LogicalResult dropped = linalg::dropUnitDims(
          rewriter, cast<linalg::GenericOp>(registerTile), drop);
      rewriter.setListener(previous);
      if (failed(dropped) || !created.op)
        return failure();
      if (registerTile == op.getOperation())
        result = created.op->getResult(0);
      registerTile = created.op;
    }
    registerTile->setAttr(kRegisterTileAttr, rewriter.getUnitAttr());
    return result;
  }

  LogicalResult initialize(MLIRContext *ctx) override {
    canonical = ds::canonicalizationPatterns(ctx);
    return success();
  }

  /// Canonicalization patterns of the context, built once.
  FrozenRewritePatternSet canonical;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    std::vector<std::pair<linalg::LinalgOp, GemmLoops>> targets;
    func.walk([&](linalg::LinalgOp op) {
      if (std::optional<GemmLoops> roles = classify(op))
        targets.push_back({op, *roles});
    });
    IRRewriter rewriter(ctx);
    for (auto &[op, roles] : targets) {
      linalg::LinalgOp tile = fuseEpilogue(rewriter, op, roles);
      // A contraction that cannot be blocked keeps its scalar loops; that
      // is slower, never wrong.
      if (tile)
        (void)blockForRegisters(rewriter, tile, roles);
    }
    // Then the other big parallel ops not already in a thread-level loop.
    SmallVector<linalg::GenericOp> parallelOps;
    func.walk([&](linalg::GenericOp op) {
      if (op.hasPureTensorSemantics() &&
          op.getNumLoops() == op.getNumParallelLoops() &&
          !op->hasAttr(kRegisterTileAttr) &&
          !op->getParentOfType<scf::ForallOp>())
        parallelOps.push_back(op);
    });
    for (linalg::GenericOp op : parallelOps)
      if (Operation *tiled = ds::splitAmongThreads(
              rewriter, cast<TilingInterface>(op.getOperation()))) {
        ds::padPerThreadTile(rewriter, tiled);
        ds::unflattenPerThreadTile(rewriter, tiled);
      }
    if (targets.empty())
      return;

    SmallVector<linalg::LinalgOp> registerTiles;
    func.walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(kRegisterTileAttr))
        registerTiles.push_back(op);
    });
    for (linalg::LinalgOp op : registerTiles) {
      op->removeAttr(kRegisterTileAttr);
      rewriter.setInsertionPoint(op);
      if (!op.hasDynamicShape())
        (void)linalg::vectorize(rewriter, op);
    }

    // multi_reduction(mul(broadcast)) -> contract, before canonicalization
    // folds the unit reduction away or any broadcast is lowered.
    RewritePatternSet toContract(ctx);
    vector::populateVectorTransferPermutationMapLoweringPatterns(toContract);
    vector::populateVectorReductionToContractPatterns(toContract);
    if (failed(applyPatternsAndFoldGreedily(func, std::move(toContract))))
      return signalPassFailure();

    // Carry each accumulator in registers across its reduction loop.
    if (failed(applyPatternsAndFoldGreedily(func, canonical)))
      return signalPassFailure();
    func.walk([&](scf::ForOp loop) {
      moveLoopInvariantCode(loop);
      (void)hoistLoopInvariantSubsets(rewriter, loop);
    });

    // int8 dot-product groups -> the target's dot-product instruction.
    if (vnni || sdot || !pairDots.empty()) {
      RewritePatternSet dots(ctx);
      dots.add<ContractToDotProduct>(ctx, vnni                   ? kVNNI
                                          : sdot                 ? kSDot
                                          : pairDots == "avx2"   ? kAVX2Pairs
                                                                 : kAVX512Pairs);
      if (failed(applyPatternsAndFoldGreedily(func, std::move(dots))))
        return signalPassFailure();
    }

    // contract -> outer products -> FMAs.
    RewritePatternSet lowering(ctx);
    // (no leading-unit-dim casting: it fights the contract lowering on 1x1)
    vector::populateVectorContractLoweringPatterns(
        lowering, vector::VectorTransformsOptions().setVectorTransformsOptions(
                      vector::VectorContractLowering::OuterProduct));
    vector::populateVectorOuterProductLoweringPatterns(lowering);
    vector::populateVectorMultiReductionLoweringPatterns(
        lowering, vector::VectorMultiReductionLowering::InnerParallel);
    vector::populateVectorBroadcastLoweringPatterns(lowering);
    vector::populateVectorTransposeLoweringPatterns(
        lowering, vector::VectorTransformsOptions());
    vector::populateVectorShapeCastLoweringPatterns(lowering);
    if (failed(applyPatternsAndFoldGreedily(func, std::move(lowering))))
      return signalPassFailure();
    if (failed(applyPatternsAndFoldGreedily(func, canonical)))
      return signalPassFailure();
  }
};
} // namespace
