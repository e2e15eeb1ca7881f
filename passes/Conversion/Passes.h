//===- Passes.h - dsg lowering passes ---------------------------*- C++ -*-===//
#ifndef DS_PASSES_CONVERSION_PASSES_H
#define DS_PASSES_CONVERSION_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class OpBuilder;
class RewritePatternSet;
class TypeConverter;
namespace ds {

#define GEN_PASS_DECL
#include "passes/Conversion/Passes.h.inc"

/// The multiply-adds per output element of one cache tile of the CPU
/// GEMM blocking (ds-vectorize-contractions kc, set from this by the CPU
/// pipeline), which windowed convolutions' channel blocks are sized to.
constexpr int64_t kCacheTileDepth = 256;

/// Patterns lowering every dsg op to linalg/tensor/arith/math; weight
/// panels and convolution columns sized to `registerTileColumns`, dense
/// 3x3 convolutions through Winograd where `winograd` (see the
/// ds-convert-graph-to-linalg options).
void populateGraphToLinalgPatterns(TypeConverter &converter,
                                   RewritePatternSet &patterns,
                                   int64_t registerTileColumns = 64,
                                   bool winograd = true);

/// Patterns lowering every dsq op to linalg/tensor/arith/math; with
/// `groupTiles`, the weight-only product over many rows as tiles of
/// unpacked groups; int8 products in dot-product groups when their
/// weights are within `int8DotLimit` (see the ds-convert-graph-to-linalg
/// options).
void populateQuantToLinalgPatterns(TypeConverter &converter,
                                   RewritePatternSet &patterns,
                                   bool groupTiles, int64_t int8DotLimit);

/// Marks a linalg op that reduces but whose innermost loop is parallel and
/// contiguous, for ds-vectorize-elementwise to vectorize along that loop
/// (the weight-only product, whose body unpacks codes).
constexpr llvm::StringLiteral kVectorizeInnermostAttr =
    "ds.vectorize_innermost";

/// A float scalar converted to `to`: widened, narrowed, or between the two
/// 16-bit formats (f16 and bf16) through f32.
Value convertFloat(OpBuilder &b, Location loc, Value value, FloatType to);

#define GEN_PASS_REGISTRATION
#include "passes/Conversion/Passes.h.inc"

} // namespace ds
} // namespace mlir

#endif
