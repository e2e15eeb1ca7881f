//===- WeightQuantizer.h - compile-time weight quantization -----*- C++ -*-===//
//
// The arithmetic of quantizing float weights, kept free of IR so that its
// edge cases (rounding, saturation, zero and non-finite scales) are unit
// tested directly.
//
//===----------------------------------------------------------------------===//
#ifndef DS_PASSES_QUANTIZATION_WEIGHTQUANTIZER_H
#define DS_PASSES_QUANTIZATION_WEIGHTQUANTIZER_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace ds::quant {

/// saturate(round_half_even(x / scale) + zeroPoint) into [lo, hi]. A zero,
/// NaN or infinite scale, or a NaN x, gives the zero point: nothing divides
/// by zero and no NaN becomes an arbitrary integer.
int64_t quantizeValue(float x, float scale, int64_t zeroPoint, int64_t lo,
                      int64_t hi);

/// A [K, N] weight as int8, symmetric, one scale per column (output
/// channel): scale = max|w| / limit over the column, codes in [-limit,
/// limit] (127; 63 for dot products that sum pairs in 16 bits, x86's
/// vpmaddubsw without VNNI, which 127 x 255 x 2 would overflow).
struct Int8Columns {
  std::vector<int8_t> codes;       // [K, N]
  std::vector<float> scales;       // [N]
  std::vector<int32_t> columnSums; // [N], sum of the codes of each column
  int64_t zeroCodes = 0;           // weights that dequantize to exactly 0
};
Int8Columns quantizeInt8PerColumn(llvm::ArrayRef<float> weight, int64_t k,
                                  int64_t n, int64_t limit = 127);
/// Codes a model already holds ([K, N]) with their column scales ([N]):
/// the sums and zero count filled in.
Int8Columns int8Columns(std::vector<int8_t> codes, std::vector<float> scales,
                        int64_t k, int64_t n);

/// The uint8 scale and zero point of an activation observed in [min, max],
/// as DynamicQuantizeLinear computes them at run time: the range is widened
/// to include 0 (so 0 is exact), scale = (max - min) / 255 and the zero
/// point is -min / scale rounded; an empty range gives scale 0 (every value
/// quantizes to the zero point) and a non-finite bound is taken as 0.
struct ActivationParams {
  float scale = 0;
  uint8_t zeroPoint = 0;
};
ActivationParams uint8ActivationParams(float min, float max);

/// Rows of an [N, K] weight cut into groups of `groupSize`, each stored as
/// unsigned `bits`-wide codes with its own scale and zero point
/// (asymmetric; the range includes 0, so 0 is exact, and is shrunk where
/// clipping outliers lowers the squared error). Codes are
/// packed low bits first, rows padded to whole groups with the zero point.
struct PackedGroups {
  int64_t groupSize = 0, groups = 0, rowBytes = 0;
  std::vector<uint8_t> bytes;      // [N, rowBytes]
  std::vector<float> scales;       // [N, groups]
  std::vector<uint8_t> zeroPoints; // [N, groups]
  int64_t zeroCodes = 0; // weights (padding not counted) coded as 0 exactly
  /// Every scale is a float16 value, to be stored as float16 (true unless
  /// some scale is outside float16's normal range).
  bool halfScales = false;
};

/// The smallest normal and the largest finite float16.
constexpr float kHalfMinNormal = 6.103515625e-05f, kHalfMax = 65504.0f;
/// `value` rounded to the nearest float16, as a float.
float toHalfPrecision(float value);
PackedGroups quantizeGroupwise(llvm::ArrayRef<float> rows, int64_t n, int64_t k,
                               int bits, int64_t groupSize,
                               int64_t multiple = 0);

/// The group size used for a row of `k` weights when `requested` is asked
/// for: the row cut into as few groups as groups of `requested` would
/// make, of equal size rounded up to a `multiple` of codes (0: whole bytes
/// of codes; dsq.weight_matmul_integer wants whole 32-bit words of four
/// codes per column, 4 * 8 / bits), so that little of a row is padding.
int64_t effectiveGroupSize(int64_t k, int bits, int64_t requested,
                           int64_t multiple = 0);

/// The weights the codes stand for, as the kernels compute them:
/// `columns` as [K, N], `groups` as rows of W^T, [N, K].
std::vector<float> dequantize(const Int8Columns &columns, int64_t k, int64_t n);
std::vector<float> dequantize(const PackedGroups &groups, int bits, int64_t n,
                              int64_t k);

/// Bias correction: for y = x W over inputs whose features average
/// `inputMean` ([K]), quantizing W ([K, N]) to `quantized` shifts y's mean
/// by inputMean · (quantized - W); this returns the negation, one value per
/// output column, to add back. A non-finite product counts 0.
std::vector<float> biasCorrection(llvm::ArrayRef<float> weight,
                                  llvm::ArrayRef<float> quantized,
                                  llvm::ArrayRef<float> inputMean, int64_t k,
                                  int64_t n);

} // namespace ds::quant

#endif
