//===- WeightQuantizerTest.cpp - compile-time weight quantization ---------===//

#include "passes/Quantization/WeightQuantizer.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace ds::quant;

TEST_CASE("quantizeValue rounds half to even", "[quant]") {
  CHECK(quantizeValue(0.5f, 1.0f, 0, -128, 127) == 0);
  CHECK(quantizeValue(1.5f, 1.0f, 0, -128, 127) == 2);
  CHECK(quantizeValue(2.5f, 1.0f, 0, -128, 127) == 2);
  CHECK(quantizeValue(-0.5f, 1.0f, 0, -128, 127) == 0);
  CHECK(quantizeValue(-1.5f, 1.0f, 0, -128, 127) == -2);
  // The zero point is added after rounding.
  CHECK(quantizeValue(2.5f, 1.0f, 10, 0, 255) == 12);
}

TEST_CASE("quantizeValue saturates to the range", "[quant]") {
  CHECK(quantizeValue(1000.0f, 1.0f, 0, -128, 127) == 127);
  CHECK(quantizeValue(-1000.0f, 1.0f, 0, -128, 127) == -128);
  CHECK(quantizeValue(300.0f, 1.0f, 0, 0, 255) == 255);
  CHECK(quantizeValue(-3.0f, 1.0f, 0, 0, 255) == 0);
  float inf = std::numeric_limits<float>::infinity();
  CHECK(quantizeValue(inf, 1.0f, 3, 0, 15) == 15);
  CHECK(quantizeValue(-inf, 1.0f, 3, 0, 15) == 0);
}

TEST_CASE("quantizeValue never divides by a bad scale", "[quant]") {
  float inf = std::numeric_limits<float>::infinity();
  float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(quantizeValue(5.0f, 0.0f, 7, 0, 255) == 7);
  CHECK(quantizeValue(5.0f, nan, 7, 0, 255) == 7);
  CHECK(quantizeValue(5.0f, inf, 7, 0, 255) == 7);
  CHECK(quantizeValue(nan, 1.0f, 7, 0, 255) == 7);
  // A subnormal scale overflows the quotient, which then saturates.
  float subnormal = std::numeric_limits<float>::denorm_min();
  CHECK(quantizeValue(1.0f, subnormal, 0, -128, 127) == 127);
}

TEST_CASE("int8 columns: symmetric scales, sums, zero columns", "[quant]") {
  // K = 3, N = 3: column 0 spans [-1, 2], column 1 is all zero, column 2
  // holds a NaN that must not reach the scale.
  float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> w = {-1.0f, 0.0f, 0.5f, //
                          2.0f,  0.0f, nan,  //
                          0.5f,  0.0f, -1.0f};
  Int8Columns q = quantizeInt8PerColumn(w, 3, 3);
  CHECK(q.scales[0] == Approx(2.0f / 127));
  CHECK(q.scales[1] == 0.0f);
  CHECK(q.scales[2] == Approx(1.0f / 127));
  CHECK(q.codes[3] == 127); // 2.0 at full scale
  CHECK(q.codes[0] == -64); // -1.0 / (2/127) = -63.5, to even
  CHECK(q.codes[6] == 32);  // 0.5 / (2/127) = 31.75
  CHECK(q.codes[1] == 0);   // zero column: zero codes, no division
  CHECK(q.codes[5] == 0);   // NaN weight: the zero point
  CHECK(q.columnSums[0] == 127 - 64 + 32);
  CHECK(q.columnSums[1] == 0);
  CHECK(q.columnSums[2] == 64 + 0 - 127);
  // Within 63 (x86 dot products without VNNI sum pairs in 16 bits).
  Int8Columns seven = quantizeInt8PerColumn(w, 3, 3, 63);
  CHECK(seven.scales[0] == Approx(2.0f / 63));
  CHECK(seven.codes[3] == 63);
  CHECK(seven.codes[6] == 16); // 0.5 / (2/63) = 15.75
}

TEST_CASE("group-wise codes pack low bits first", "[quant]") {
  // One row of 8 weights, int4, one group: codes are in [0, 15] and a
  // weight that equals the range's low end is code 0.
  std::vector<float> row = {-1.0f, 0.0f, 1.0f, 2.0f, -1.0f, 0.0f, 1.0f, 2.0f};
  PackedGroups p = quantizeGroupwise(row, 1, 8, 4, 8);
  REQUIRE(p.groups == 1);
  REQUIRE(p.rowBytes == 4);
  REQUIRE(p.bytes.size() == 4);
  float scale = p.scales[0];
  int zp = p.zeroPoints[0];
  auto code = [&](int i) { return (p.bytes[i / 2] >> (4 * (i % 2))) & 15; };
  for (int i = 0; i < 8; ++i)
    CHECK((code(i) - zp) * scale == Approx(row[i]).margin(scale / 2 + 1e-6));
  CHECK(code(1) == zp); // 0 is exact
}

TEST_CASE("group-wise handles constant and partial groups", "[quant]") {
  // min == max == 0: scale 0, every code is the zero point.
  std::vector<float> zeros(16, 0.0f);
  PackedGroups z = quantizeGroupwise(zeros, 1, 16, 2, 8);
  CHECK(z.scales[0] == 0.0f);
  CHECK(z.scales[1] == 0.0f);
  // K = 10 with groups of at most 8: two equal groups of 6 (whole bytes of
  // 4-bit codes), the second padded with its zero point.
  std::vector<float> row = {1, 2, 3, 4, 5, 6, 7, 8, -3, 3};
  PackedGroups p = quantizeGroupwise(row, 1, 10, 4, 8);
  REQUIRE(p.groups == 2);
  REQUIRE(p.groupSize == 6);
  REQUIRE(p.rowBytes == 6);
  int zp = p.zeroPoints[1];
  for (int i = 10; i < 12; ++i)
    CHECK(((p.bytes[i / 2] >> (4 * (i % 2))) & 15) == zp);
  // A group longer than the row shrinks to the row.
  CHECK(effectiveGroupSize(10, 4, 128) == 10);
  CHECK(effectiveGroupSize(30, 2, 128) == 32);
  CHECK(effectiveGroupSize(4096, 4, 128) == 128);
  // A row that groups of 128 do not fill is cut into as many equal groups
  // (160: two of 80, no padding; 320: three of 107, rounded to 108).
  CHECK(effectiveGroupSize(160, 4, 128) == 80);
  CHECK(effectiveGroupSize(320, 4, 128) == 108);
  // Integer products (w4a8, w2a8) want whole 32-bit words of four codes
  // per column: 8 codes for 4 bits, 16 for 2.
  CHECK(effectiveGroupSize(10, 4, 128, 8) == 16);
  CHECK(effectiveGroupSize(30, 2, 128, 16) == 32);
  CHECK(effectiveGroupSize(100, 4, 64, 8) == 56);
  CHECK(effectiveGroupSize(320, 4, 128, 8) == 112);
}

TEST_CASE("uint8 activation parameters include zero and survive bad ranges",
          "[quant]") {
  using ds::quant::uint8ActivationParams;
  auto both = uint8ActivationParams(-1.0f, 3.0f);
  CHECK(both.scale == Approx(4.0f / 255.0f));
  CHECK(both.zeroPoint == 64); // 63.75 rounded
  auto positive = uint8ActivationParams(2.0f, 5.0f);
  CHECK(positive.scale == Approx(5.0f / 255.0f));
  CHECK(positive.zeroPoint == 0);
  auto negative = uint8ActivationParams(-4.0f, -1.0f);
  CHECK(negative.scale == Approx(4.0f / 255.0f));
  CHECK(negative.zeroPoint == 255);
  // min == max == 0, and non-finite bounds: no division by zero.
  auto empty = uint8ActivationParams(0.0f, 0.0f);
  CHECK(empty.scale == 0.0f);
  CHECK(empty.zeroPoint == 0);
  auto infinite = uint8ActivationParams(-INFINITY, INFINITY);
  CHECK(infinite.scale == 0.0f);
  auto nan = uint8ActivationParams(NAN, 2.0f);
  CHECK(nan.scale == Approx(2.0f / 255.0f));
  CHECK(nan.zeroPoint == 0);
}

TEST_CASE("group-wise codes err less than the plain min-max quantizer",
          "[quant]") {
  // Gaussian weights with an outlier per group: the range search and the
  // scale refit must beat codes spread evenly over [min, max].
  std::vector<float> row(256);
  uint32_t state = 12345;
  auto uniform = [&] {
    state = state * 1664525u + 1013904223u;
    return (state >> 8) * (1.0f / 16777216.0f);
  };
  for (float &w : row)
    w = std::sqrt(-2.0f * std::log(uniform() + 1e-7f)) *
        std::cos(6.2831853f * uniform());
  row[5] = 6.0f;
  row[200] = -5.0f;
  PackedGroups p = quantizeGroupwise(row, 1, 256, 4, 128);
  double searched = 0, plain = 0;
  for (int g = 0; g < 2; ++g) {
    float lo = 0, hi = 0;
    for (int i = g * 128; i < (g + 1) * 128; ++i) {
      lo = std::min(lo, row[i]);
      hi = std::max(hi, row[i]);
    }
    float s = (hi - lo) / 15.0f;
    int64_t zp = quantizeValue(-lo, s, 0, 0, 15);
    for (int i = g * 128; i < (g + 1) * 128; ++i) {
      int code = (p.bytes[i / 2] >> (4 * (i % 2))) & 15;
      float back = (code - p.zeroPoints[g]) * p.scales[g];
      searched += (row[i] - back) * (row[i] - back);
      float even = (quantizeValue(row[i], s, zp, 0, 15) - zp) * s;
      plain += (row[i] - even) * (row[i] - even);
    }
  }
  CHECK(searched < 0.9 * plain);
}

TEST_CASE("dequantize gives back the weights the codes stand for", "[quant]") {
  // 4-bit codes 0..15 of one row, group 8: (code - zp) * scale.
  std::vector<float> row = {-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 2.5f};
  PackedGroups p = quantizeGroupwise(row, 1, 8, 4, 8);
  std::vector<float> back = dequantize(p, 4, 1, 8);
  REQUIRE(back.size() == 8);
  for (int i = 0; i < 8; ++i) {
    int code = (p.bytes[i / 2] >> (4 * (i % 2))) & 15;
    CHECK(back[i] == (code - p.zeroPoints[0]) * p.scales[0]);
    CHECK(std::fabs(back[i] - row[i]) <= 0.5f * p.scales[0] + 1e-6f);
  }
  Int8Columns c = quantizeInt8PerColumn({1.0f, -2.0f, 0.5f, 4.0f}, 2, 2);
  std::vector<float> w = dequantize(c, 2, 2);
  CHECK(w[1] == c.codes[1] * c.scales[1]);
  CHECK(w[3] == Approx(4.0f));
}

TEST_CASE("bias correction takes back the output shift of quantized weights",
          "[quant]") {
  // W [K=2, N=2]; the quantized copy errs by +0.1 and -0.2 in column 0 and
  // by +0.3 in column 1; inputs average (2, -1).
  std::vector<float> weight = {1.0f, 2.0f, 3.0f, 4.0f};
  std::vector<float> quantized = {1.1f, 2.3f, 2.8f, 4.0f};
  std::vector<float> correction =
      biasCorrection(weight, quantized, {2.0f, -1.0f}, 2, 2);
  REQUIRE(correction.size() == 2);
  // Column 0: -(2 * 0.1 + -1 * -0.2) = -0.4; column 1: -(2 * 0.3) = -0.6.
  CHECK(correction[0] == Approx(-0.4).margin(1e-6));
  CHECK(correction[1] == Approx(-0.6).margin(1e-6));
  // Non-finite means and errors count nothing.
  std::vector<float> odd =
      biasCorrection(weight, {1.1f, NAN, 3.0f, 4.0f}, {2.0f, INFINITY}, 2, 2);
  CHECK(odd[0] == Approx(-0.2).margin(1e-6));
  CHECK(odd[1] == 0.0f);
}

TEST_CASE("group-wise scales are float16 when they all fit", "[quant]") {
  // Ordinary weights: every scale is a normal float16, stored as such, and
  // the codes are made with the rounded scale.
  std::vector<float> row = {0.1f, -0.2f, 0.3f, 0.7f, -0.5f, 0.05f, 0.9f, 0.0f};
  PackedGroups p = quantizeGroupwise(row, 1, 8, 4, 8);
  REQUIRE(p.halfScales);
  CHECK(p.scales[0] == toHalfPrecision(p.scales[0]));
  std::vector<float> back = dequantize(p, 4, 1, 8);
  for (int i = 0; i < 8; ++i)
    CHECK(std::fabs(back[i] - row[i]) <= p.scales[0]);
  // Weights so small that a scale falls below float16's normal range keep
  // float32 scales (a subnormal float16 would lose their precision).
  std::vector<float> tiny(8, 1e-6f);
  tiny[0] = -1e-6f;
  PackedGroups t = quantizeGroupwise(tiny, 1, 8, 4, 8);
  CHECK_FALSE(t.halfScales);
  CHECK(t.scales[0] < kHalfMinNormal);
  CHECK(t.scales[0] > 0.0f);
}
