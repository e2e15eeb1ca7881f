//===- CalibrationTest.cpp - activation ranges from observed values -------===//

#include "compiler/Driver/Calibration.h"

#include <catch2/catch.hpp>

#include <cmath>

using mlir::ds::observedRange;

TEST_CASE("minmax takes the extremes and skips non-finite values",
          "[calibration]") {
  std::vector<float> values = {0.5f, -2.0f, NAN, 7.0f, INFINITY, -INFINITY};
  auto [lo, hi] = observedRange(values, "minmax", 99.99);
  CHECK(lo == -2.0f);
  CHECK(hi == 7.0f);
}

TEST_CASE("percentile drops the outliers beyond it", "[calibration]") {
  // 0..100 and one outlier at each end.
  std::vector<float> values;
  for (int i = 0; i <= 100; ++i)
    values.push_back((float)i);
  values.push_back(-1000.0f);
  values.push_back(1000.0f);
  auto [lo, hi] = observedRange(values, "percentile", 99.0);
  // 103 values: ranks round(0.01 * 102) = 1 and round(0.99 * 102) = 101.
  CHECK(lo == 0.0f);
  CHECK(hi == 100.0f);
  auto [all, everything] = observedRange(values, "percentile", 100.0);
  CHECK(all == -1000.0f);
  CHECK(everything == 1000.0f);
}

TEST_CASE("no finite value gives an empty range", "[calibration]") {
  auto [lo, hi] = observedRange({NAN, INFINITY}, "minmax", 99.99);
  CHECK(lo == 0.0);
  CHECK(hi == 0.0);
  auto [plo, phi] = observedRange({}, "percentile", 99.99);
  CHECK(plo == 0.0);
  CHECK(phi == 0.0);
}
