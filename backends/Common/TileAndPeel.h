//===- TileAndPeel.h - tiling shared by the vectorizing passes -*- C++ -*-===//
#ifndef DS_BACKENDS_COMMON_TILEANDPEEL_H
#define DS_BACKENDS_COMMON_TILEANDPEEL_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"

namespace mlir::ds {

/// Tiles `op` with the given size per loop (0 = untiled), loops nested in
/// `order` (empty: loop order), and replaces it with the tiled loops.
FailureOr<scf::SCFTilingResult>
tileOp(RewriterBase &rewriter, TilingInterface op, ArrayRef<int64_t> sizes,
       ArrayRef<int64_t> order,
       scf::SCFTilingOptions::LoopType loopType =
           scf::SCFTilingOptions::LoopType::ForOp);

/// Canonicalization patterns of every loaded dialect and registered op.
FrozenRewritePatternSet canonicalizationPatterns(MLIRContext *ctx);

/// Tiles loop `dim` of each op by `size` and peels the tile loop; returns
/// the ops of the full tiles and of the remainder, with their shapes folded
/// static where they are (a static remainder runs once, from its lower
/// bound). Ops whose static extent is at most `size` are returned whole,
/// and with `unevenOnly` also those whose extent is a multiple of `size`.
SmallVector<Operation *> tileAndPeel(RewriterBase &rewriter,
                                     ArrayRef<Operation *> ops, unsigned dim,
                                     int64_t size, bool unevenOnly,
                                     const FrozenRewritePatternSet &canonical);

/// Whether `op` reduces over its innermost loop and no other (softmax's
/// and layer normalization's row maxima and sums).
bool reducesInnermostOnly(linalg::LinalgOp op);

/// Splits a large op whose loops are all parallel (elementwise ops, copies,
/// fills, im2col gathers, pooling over taps), or all but an innermost
/// reduction, among threads: an scf.forall over its first parallel loop of
/// at least 8 iterations (else its longest), in
/// about 16 chunks; ops of fewer than 32K elements or of dynamic shape are
/// left alone. Returns the tiled op, or null when nothing was split.
Operation *splitAmongThreads(RewriterBase &rewriter, TilingInterface op);

/// Pads per thread tile: where an input of `tiled` (an op in an scf.forall
/// that splits one dimension) is a view (slices and reshapes) of a
/// tensor.pad that does not pad the split dimension, each task pads its
/// own chunk of the pad's source and takes the same view of that. The
/// whole padded tensor (MobileNetV2: 96 x 114 x 114 floats, filled then
/// copied into, past L2) is never built; a task's chunk stays in L2 for
/// the taps that read it. Returns whether any input changed.
bool padPerThreadTile(RewriterBase &rewriter, Operation *tiled);

/// Drops per thread tile the padding columns of a windowed op computed
/// over flattened padded rows (`tiled`, the op of an scf.forall that
/// splits a dimension other than the flat one, whose result the forall's
/// only use reshapes into rows and slices down to the output's columns):
/// each task reshapes and cuts its own tile, still in cache, and inserts
/// that into the output, computing the flat tile in a buffer of its own.
/// Otherwise the cut, a strided view, is copied whole, on one thread, for
/// the contiguous consumer (a 1x1 convolution). Returns whether it did.
bool unflattenPerThreadTile(RewriterBase &rewriter, Operation *tiled);

} // namespace mlir::ds

#endif
