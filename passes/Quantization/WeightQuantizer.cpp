//===- WeightQuantizer.cpp - compile-time weight quantization -------------===//
#include "passes/Quantization/WeightQuantizer.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cmath>

using namespace ds::quant;

// Range shrink factors tried per group: 1.0, 0.95, ..., 0.65.
static constexpr int kClipSteps = 8;
static constexpr float kClipStride = 0.05f;
// Least-squares refits of a group's scale after the range search.
static constexpr int kRefitRounds = 4;

int64_t ds::quant::quantizeValue(float x, float scale, int64_t zeroPoint,
                                 int64_t lo, int64_t hi) {
  if (scale == 0.0f || !std::isfinite(scale) || std::isnan(x))
    return zeroPoint;
  // nearbyint rounds half to even in the default rounding mode; the
  // clamp happens in double, before any conversion could overflow.
  double q = std::nearbyint((double)(x / scale)) + (double)zeroPoint;
  return (int64_t)std::clamp(q, (double)lo, (double)hi);
}

Int8Columns ds::quant::quantizeInt8PerColumn(llvm::ArrayRef<float> weight,
                                             int64_t k, int64_t n,
                                             int64_t limit) {
  Int8Columns out;
  out.codes.resize(k * n);
  out.scales.assign(n, 0.0f);
  out.columnSums.assign(n, 0);
  for (int64_t row = 0; row < k; ++row)
    for (int64_t col = 0; col < n; ++col)
      // fmax drops NaNs from the range.
      out.scales[col] =
          std::fmax(out.scales[col], std::fabs(weight[row * n + col]));
  for (float &s : out.scales)
    s /= (float)limit;
  for (int64_t row = 0; row < k; ++row)
    for (int64_t col = 0; col < n; ++col)
      out.codes[row * n + col] = (int8_t)quantizeValue(
          weight[row * n + col], out.scales[col], 0, -limit, limit);
  return int8Columns(std::move(out.codes), std::move(out.scales), k, n);
}

Int8Columns ds::quant::int8Columns(std::vector<int8_t> codes,
                                   std::vector<float> scales, int64_t k,
                                   int64_t n) {
  Int8Columns out;
  out.codes = std::move(codes);
  out.scales = std::move(scales);
  out.columnSums.assign(n, 0);
  for (int64_t row = 0; row < k; ++row)
    for (int64_t col = 0; col < n; ++col) {
      int8_t q = out.codes[row * n + col];
      out.columnSums[col] += q;
      out.zeroCodes += q == 0;
    }
  return out;
}

ds::quant::ActivationParams ds::quant::uint8ActivationParams(float min,
                                                             float max) {
  float lo = std::isfinite(min) ? std::min(min, 0.0f) : 0.0f;
  float hi = std::isfinite(max) ? std::max(max, 0.0f) : 0.0f;
  ActivationParams params;
  params.scale = (hi - lo) / 255.0f;
  if (params.scale > 0.0f && std::isfinite(params.scale))
    params.zeroPoint = (uint8_t)quantizeValue(-lo, params.scale, 0, 0, 255);
  else
    params.scale = 0.0f;
  return params;
}

int64_t ds::quant::effectiveGroupSize(int64_t k, int bits, int64_t requested,
                                      int64_t multiple) {
  if (multiple <= 0)
    multiple = 8 / bits;
  // As few groups as groups of `requested` would need, made equal: rows
  // are stored in whole groups, and K = 160 in groups of 128 would store
  // 96 codes of padding (60% more bytes) where two groups of 80 store none.
  int64_t groups = std::max<int64_t>(1, (k + requested - 1) / requested);
  int64_t size = (k + groups - 1) / groups;
  return (size + multiple - 1) / multiple * multiple;
}

PackedGroups ds::quant::quantizeGroupwise(llvm::ArrayRef<float> rows, int64_t n,
                                          int64_t k, int bits,
                                          int64_t groupSize, int64_t multiple) {
  PackedGroups out;
  out.groupSize = effectiveGroupSize(k, bits, groupSize, multiple);
  out.groups = (k + out.groupSize - 1) / out.groupSize;
  out.rowBytes = out.groups * out.groupSize * bits / 8;
  out.bytes.assign(n * out.rowBytes, 0);
  out.scales.resize(n * out.groups);
  out.zeroPoints.resize(n * out.groups);
  int64_t maxCode = (1 << bits) - 1;
  for (int64_t row = 0; row < n; ++row) {
    for (int64_t g = 0; g < out.groups; ++g) {
      int64_t begin = g * out.groupSize;
      int64_t end = std::min(k, begin + out.groupSize);
      float lo = 0.0f, hi = 0.0f;
      for (int64_t i = begin; i < end; ++i) {
        lo = std::fmin(lo, rows[row * k + i]);
        hi = std::fmax(hi, rows[row * k + i]);
      }
      // The full range wastes codes on rare outliers: shrink it while that
      // lowers the group's squared error (a few codes of clipping buy
      // finer steps for all the others).
      llvm::ArrayRef<float> group = rows.slice(row * k + begin, end - begin);
      auto squaredError = [&](float s, int64_t zp) {
        double error = 0;
        for (float w : group) {
          float back = (float)(quantizeValue(w, s, zp, 0, maxCode) - zp) * s;
          error += (double)(w - back) * (w - back);
        }
        return error;
      };
      float scale = 0.0f;
      int64_t zeroPoint = 0;
      double bestError = INFINITY;
      for (int step = 0; step < kClipSteps; ++step) {
        float shrink = 1.0f - step * kClipStride;
        float s = (hi - lo) * shrink / (float)maxCode;
        int64_t zp = quantizeValue(-lo * shrink, s, 0, 0, maxCode);
        double error = squaredError(s, zp);
        if (error < bestError) {
          bestError = error;
          scale = s;
          zeroPoint = zp;
        }
      }
      // Then refit the scale to the codes chosen (least squares with the
      // zero point fixed) while that helps: the grid's scale is only a
      // good guess for the codes it produces.
      for (int round = 0; round < kRefitRounds && scale > 0.0f; ++round) {
        double dot = 0, norm = 0;
        for (float w : group) {
          double c = (double)(quantizeValue(w, scale, zeroPoint, 0, maxCode) -
                              zeroPoint);
          dot += c * w;
          norm += c * c;
        }
        if (norm == 0)
          break;
        float refit = (float)(dot / norm);
        double error = refit > 0.0f && std::isfinite(refit)
                           ? squaredError(refit, zeroPoint)
                           : INFINITY;
        if (!(error < bestError))
          break;
        bestError = error;
        scale = refit;
      }
      out.scales[row * out.groups + g] = std::isfinite(scale) ? scale : 0.0f;
      out.zeroPoints[row * out.groups + g] = (uint8_t)zeroPoint;
    }
  }
  // Scales are stored in float16 when every one is a normal float16 (or
  // 0): 2 bytes a group instead of 4, and each moves by at most 2^-11 of
  // itself, far below the codes' rounding. The codes are made with the
  // stored scale.
  out.halfScales = llvm::all_of(out.scales, [](float s) {
    return s == 0.0f || (s >= kHalfMinNormal && s <= kHalfMax);
  });
  if (out.halfScales)
    for (float &s : out.scales)
      s = toHalfPrecision(s);
  for (int64_t row = 0; row < n; ++row)
    for (int64_t g = 0; g < out.groups; ++g) {
      float scale = out.scales[row * out.groups + g];
      int64_t zeroPoint = out.zeroPoints[row * out.groups + g];
      int64_t begin = g * out.groupSize;
      int64_t end = std::min(k, begin + out.groupSize);
      for (int64_t i = begin; i < begin + out.groupSize; ++i) {
        int64_t code = i < end ? quantizeValue(rows[row * k + i], scale,
                                               zeroPoint, 0, maxCode)
                               : zeroPoint;
        out.zeroCodes += i < end && code == zeroPoint;
        int64_t bit = i * bits;
        out.bytes[row * out.rowBytes + bit / 8] |= (uint8_t)(code << (bit % 8));
      }
    }
  return out;
}

float ds::quant::toHalfPrecision(float value) {
  llvm::APFloat half(value);
  bool lost = false;
  half.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven,
               &lost);
  half.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
               &lost);
  return half.convertToFloat();
}

std::vector<float> ds::quant::dequantize(const Int8Columns &columns, int64_t k,
                                         int64_t n) {
  std::vector<float> out(k * n);
  for (int64_t row = 0; row < k; ++row)
    for (int64_t col = 0; col < n; ++col)
      out[row * n + col] = columns.codes[row * n + col] * columns.scales[col];
  return out;
}

std::vector<float> ds::quant::dequantize(const PackedGroups &groups, int bits,
                                         int64_t n, int64_t k) {
  std::vector<float> out(n * k);
  int64_t mask = (1 << bits) - 1;
  for (int64_t row = 0; row < n; ++row)
    for (int64_t i = 0; i < k; ++i) {
      int64_t bit = i * bits,
              group = row * groups.groups + i / groups.groupSize;
      int64_t code =
          (groups.bytes[row * groups.rowBytes + bit / 8] >> (bit % 8)) & mask;
      out[row * k + i] =
          (float)(code - groups.zeroPoints[group]) * groups.scales[group];
    }
  return out;
}

std::vector<float> ds::quant::biasCorrection(llvm::ArrayRef<float> weight,
                                             llvm::ArrayRef<float> quantized,
                                             llvm::ArrayRef<float> inputMean,
                                             int64_t k, int64_t n) {
  std::vector<double> shift(n, 0.0);
  for (int64_t row = 0; row < k; ++row) {
    double mean = inputMean[row];
    if (!std::isfinite(mean))
      continue;
    for (int64_t col = 0; col < n; ++col) {
      double error = (double)quantized[row * n + col] - weight[row * n + col];
      if (std::isfinite(error))
        shift[col] += mean * error;
    }
  }
  std::vector<float> out(n);
  for (int64_t col = 0; col < n; ++col)
    out[col] = std::isfinite(shift[col]) ? (float)(0.0 - shift[col]) : 0.0f;
  return out;
}
