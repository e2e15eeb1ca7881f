//===- TensorFileTest.cpp - TensorProto reading, writing, comparing -------===//

#include "compiler/Support/TensorFile.h"

#include "TempDir.h"

#include <onnx/onnx_pb.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

using namespace ds::support;
using onnx::TensorProto;

namespace {

const char *kAbsData =
    "/usr/include/onnx/backend/test/data/node/test_abs/test_data_set_0/";

template <typename T>
Tensor makeTensor(const std::string &name, int32_t dtype,
                  std::vector<int64_t> shape, const std::vector<T> &values) {
  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.resize(values.size() * sizeof(T));
  if (!values.empty())
    std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

template <typename T> T element(const Tensor &t, size_t i) {
  T v;
  std::memcpy(&v, t.data.data() + i * sizeof(T), sizeof(T));
  return v;
}

void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeProto(const std::string &path, const TensorProto &proto) {
  std::string bytes;
  REQUIRE(proto.SerializeToString(&bytes));
  writeBytes(path, bytes);
}

void checkRoundTrip(const Tensor &t) {
  TempDir dir;
  std::string error;
  REQUIRE(writeTensorFile(dir / "t.pb", t, error));
  Tensor back;
  REQUIRE(readTensorFile(dir / "t.pb", back, error));
  CHECK(back.name == t.name);
  CHECK(back.dtype == t.dtype);
  CHECK(back.shape == t.shape);
  CHECK(back.data == t.data);
}

} // namespace

TEST_CASE("tensor files round-trip through raw_data", "[TensorFile]") {
  checkRoundTrip(makeTensor<float>("f", TensorProto::FLOAT, {2, 3},
                                   {0.f, -1.5f, 2.25f, 1e-30f, 3e38f, -0.f}));
  checkRoundTrip(makeTensor<int64_t>(
      "i", TensorProto::INT64, {3},
      {std::numeric_limits<int64_t>::min(), 0, 1234567890123LL}));
  checkRoundTrip(makeTensor<uint8_t>("b", TensorProto::BOOL, {2, 2},
                                     {1, 0, 0, 1}));
  checkRoundTrip(makeTensor<uint8_t>("u", TensorProto::UINT8, {4},
                                     {0, 1, 128, 255}));
  checkRoundTrip(makeTensor<uint16_t>("h", TensorProto::FLOAT16, {1, 3},
                                      {0x3c00, 0xc000, 0x7c00}));
  checkRoundTrip(makeTensor<double>("scalar", TensorProto::DOUBLE, {}, {2.5}));
  checkRoundTrip(makeTensor<float>("empty", TensorProto::FLOAT, {0, 7}, {}));
}

TEST_CASE("writeTensorFile rejects inconsistent tensors", "[TensorFile]") {
  TempDir dir;
  std::string error;
  Tensor bad = makeTensor<float>("x", TensorProto::FLOAT, {2, 2}, {1, 2, 3});
  CHECK_FALSE(writeTensorFile(dir / "x.pb", bad, error));
  CHECK(error.find("needs 16 bytes, got 12") != std::string::npos);
  Tensor str = makeTensor<uint8_t>("s", TensorProto::STRING, {1}, {0});
  CHECK_FALSE(writeTensorFile(dir / "s.pb", str, error));
  CHECK_FALSE(std::filesystem::exists(dir / "x.pb"));
}

TEST_CASE("reads the ONNX backend test data", "[TensorFile]") {
  Tensor input, output;
  std::string error;
  REQUIRE(readTensorFile(std::string(kAbsData) + "input_0.pb", input, error));
  CHECK(input.dtype == TensorProto::FLOAT);
  CHECK(input.shape == std::vector<int64_t>{3, 4, 5});
  CHECK(input.numElements() == 60);
  REQUIRE(input.data.size() == 60 * sizeof(float));

  REQUIRE(readTensorFile(std::string(kAbsData) + "output_0.pb", output, error));
  REQUIRE(output.shape == input.shape);
  for (size_t i = 0; i < 60; ++i)
    CHECK(element<float>(output, i) == std::fabs(element<float>(input, i)));
}

TEST_CASE("reads the typed data fields", "[TensorFile]") {
  TempDir dir;
  std::string error;
  Tensor t;

  SECTION("float_data") {
    TensorProto p;
    p.set_name("f");
    p.set_data_type(TensorProto::FLOAT);
    p.add_dims(2);
    p.add_dims(2);
    for (float v : {1.f, -2.f, 0.5f, 8.f})
      p.add_float_data(v);
    writeProto(dir / "f.pb", p);
    REQUIRE(readTensorFile(dir / "f.pb", t, error));
    CHECK(t.name == "f");
    CHECK(t.shape == std::vector<int64_t>{2, 2});
    CHECK(element<float>(t, 1) == -2.f);
    CHECK(element<float>(t, 3) == 8.f);
  }
  SECTION("int64_data") {
    TensorProto p;
    p.set_data_type(TensorProto::INT64);
    p.add_dims(3);
    for (int64_t v : {-5LL, 0LL, 1LL << 40})
      p.add_int64_data(v);
    writeProto(dir / "i.pb", p);
    REQUIRE(readTensorFile(dir / "i.pb", t, error));
    CHECK(t.data.size() == 24);
    CHECK(element<int64_t>(t, 0) == -5);
    CHECK(element<int64_t>(t, 2) == (1LL << 40));
  }
  SECTION("int8 packed in int32_data") {
    TensorProto p;
    p.set_data_type(TensorProto::INT8);
    p.add_dims(4);
    for (int32_t v : {-128, -1, 0, 127})
      p.add_int32_data(v);
    writeProto(dir / "q.pb", p);
    REQUIRE(readTensorFile(dir / "q.pb", t, error));
    REQUIRE(t.data.size() == 4);
    CHECK(element<int8_t>(t, 0) == -128);
    CHECK(element<int8_t>(t, 1) == -1);
    CHECK(element<int8_t>(t, 3) == 127);
  }
  SECTION("float16 bit patterns in int32_data") {
    TensorProto p;
    p.set_data_type(TensorProto::FLOAT16);
    p.add_dims(2);
    p.add_int32_data(0x3c00); // 1.0
    p.add_int32_data(0xc000); // -2.0
    writeProto(dir / "h.pb", p);
    REQUIRE(readTensorFile(dir / "h.pb", t, error));
    CHECK(element<uint16_t>(t, 0) == 0x3c00);
    CHECK(element<uint16_t>(t, 1) == 0xc000);
  }
  SECTION("uint32 in uint64_data") {
    TensorProto p;
    p.set_data_type(TensorProto::UINT32);
    p.add_dims(1);
    p.add_uint64_data(4000000000ULL);
    writeProto(dir / "u.pb", p);
    REQUIRE(readTensorFile(dir / "u.pb", t, error));
    CHECK(element<uint32_t>(t, 0) == 4000000000U);
  }
}

TEST_CASE("rejects malformed tensor files", "[TensorFile]") {
  TempDir dir;
  std::string error;
  Tensor t;

  SECTION("missing file") {
    CHECK_FALSE(readTensorFile(dir / "nope.pb", t, error));
    CHECK(error.find("nope.pb") != std::string::npos);
  }
  SECTION("truncated file") {
    std::string bytes = readBytes(std::string(kAbsData) + "input_0.pb");
    writeBytes(dir / "cut.pb", bytes.substr(0, bytes.size() - 10));
    CHECK_FALSE(readTensorFile(dir / "cut.pb", t, error));
    CHECK(error.find("cut.pb") != std::string::npos);
  }
  SECTION("garbage") {
    writeBytes(dir / "junk.pb", "this is not a protobuf");
    CHECK_FALSE(readTensorFile(dir / "junk.pb", t, error));
    CHECK(error.find("not a valid TensorProto") != std::string::npos);
  }
  SECTION("typed field count disagrees with dims") {
    TensorProto p;
    p.set_data_type(TensorProto::FLOAT);
    p.add_dims(2);
    p.add_dims(3);
    for (int i = 0; i < 5; ++i)
      p.add_float_data(1.f);
    writeProto(dir / "short.pb", p);
    CHECK_FALSE(readTensorFile(dir / "short.pb", t, error));
    CHECK(error.find("float_data holds 5 values, expected 6") !=
          std::string::npos);
  }
  SECTION("raw_data size disagrees with dims") {
    TensorProto p;
    p.set_data_type(TensorProto::INT32);
    p.add_dims(3);
    p.set_raw_data(std::string(8, '\0'));
    writeProto(dir / "raw.pb", p);
    CHECK_FALSE(readTensorFile(dir / "raw.pb", t, error));
    CHECK(error.find("raw_data holds 8 bytes, expected 12") !=
          std::string::npos);
  }
  SECTION("int32_data value out of range for int8") {
    TensorProto p;
    p.set_data_type(TensorProto::INT8);
    p.add_dims(1);
    p.add_int32_data(300);
    writeProto(dir / "wide.pb", p);
    CHECK_FALSE(readTensorFile(dir / "wide.pb", t, error));
    CHECK(error.find("does not fit int8") != std::string::npos);
  }
  SECTION("values in the wrong typed field") {
    TensorProto p;
    p.set_data_type(TensorProto::FLOAT);
    p.add_dims(1);
    p.add_int64_data(1);
    writeProto(dir / "wrong.pb", p);
    CHECK_FALSE(readTensorFile(dir / "wrong.pb", t, error));
    CHECK(error.find("int64_data") != std::string::npos);
  }
  SECTION("string tensor") {
    TensorProto p;
    p.set_data_type(TensorProto::STRING);
    p.add_dims(1);
    p.add_string_data("hello");
    writeProto(dir / "str.pb", p);
    CHECK_FALSE(readTensorFile(dir / "str.pb", t, error));
    CHECK(error.find("string tensor") != std::string::npos);
  }
  SECTION("external data") {
    TensorProto p;
    p.set_data_type(TensorProto::FLOAT);
    p.add_dims(1);
    p.set_data_location(TensorProto::EXTERNAL);
    auto *entry = p.add_external_data();
    entry->set_key("location");
    entry->set_value("weights.bin");
    writeProto(dir / "ext.pb", p);
    CHECK_FALSE(readTensorFile(dir / "ext.pb", t, error));
    CHECK(error.find("external data") != std::string::npos);
  }
  SECTION("negative dimension") {
    TensorProto p;
    p.set_data_type(TensorProto::FLOAT);
    p.add_dims(-1);
    writeProto(dir / "neg.pb", p);
    CHECK_FALSE(readTensorFile(dir / "neg.pb", t, error));
    CHECK(error.find("negative dimension") != std::string::npos);
  }
}

TEST_CASE("formatIndex gives row-major multi-dimensional indices",
          "[TensorFile]") {
  CHECK(formatIndex(0, {3, 4, 5}) == "[0, 0, 0]");
  CHECK(formatIndex(7, {3, 4, 5}) == "[0, 1, 2]");
  CHECK(formatIndex(59, {3, 4, 5}) == "[2, 3, 4]");
  CHECK(formatIndex(0, {}) == "[]");
}

TEST_CASE("compareTensors applies tolerances to floats", "[compare]") {
  Tensor expected =
      makeTensor<float>("y", TensorProto::FLOAT, {1, 4, 2},
                        std::vector<float>(8, 0.5f));

  SECTION("within tolerance") {
    std::vector<float> values(8, 0.5f);
    values[1] = 0.5004f;
    Tensor actual = makeTensor<float>("y", TensorProto::FLOAT, {1, 4, 2},
                                      values);
    CompareResult r = compareTensors(actual, expected, 1e-3, 0);
    CHECK(r.ok);
    CHECK(r.worstIndex == 1);
    CHECK(r.worstError == Approx(0.0004).epsilon(1e-3));
  }
  SECTION("out of tolerance names the worst element") {
    std::vector<float> values(8, 0.5f);
    values[2] = 0.502f;
    values[7] = 0.51f; // [0, 3, 1], the worst
    Tensor actual = makeTensor<float>("y", TensorProto::FLOAT, {1, 4, 2},
                                      values);
    CompareResult r = compareTensors(actual, expected, 1e-3, 0);
    CHECK_FALSE(r.ok);
    CHECK(r.worstIndex == 7);
    CHECK(r.worstActual == Approx(0.51));
    CHECK(r.worstExpected == 0.5);
    CHECK(r.message ==
          "output 'y' mismatch at [0, 3, 1]: got 0.51, expected 0.5 "
          "(|diff| 0.01 > tol 0.0005); 2 of 8 elements differ");
  }
  SECTION("atol alone") {
    Tensor actual = makeTensor<float>("y", TensorProto::FLOAT, {1, 4, 2},
                                      std::vector<float>(8, 0.6f));
    CHECK(compareTensors(actual, expected, 0, 0.2).ok);
    CHECK_FALSE(compareTensors(actual, expected, 0, 0.05).ok);
  }
}

TEST_CASE("compareTensors handles NaN and infinity", "[compare]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  auto vec = [](std::vector<float> v) {
    return makeTensor<float>("z", TensorProto::FLOAT, {(int64_t)v.size()}, v);
  };
  CHECK(compareTensors(vec({nan, inf, -inf}), vec({nan, inf, -inf}), 0, 0).ok);

  CompareResult nanVsNumber = compareTensors(vec({1, nan}), vec({1, 2}), 1, 1);
  CHECK_FALSE(nanVsNumber.ok);
  CHECK(nanVsNumber.worstIndex == 1);
  CHECK(nanVsNumber.message.find("got nan, expected 2") != std::string::npos);

  CHECK_FALSE(compareTensors(vec({2}), vec({nan}), 1, 1).ok);
  CHECK_FALSE(compareTensors(vec({inf}), vec({-inf}), 1, 1).ok);
  CHECK_FALSE(compareTensors(vec({3e38f}), vec({inf}), 1, 1).ok);
}

TEST_CASE("compareTensors compares 16-bit floats as values", "[compare]") {
  // float16 1.0 vs 1.0009765625 (next representable) and bfloat16 1.0 vs 1.0.
  Tensor a = makeTensor<uint16_t>("h", TensorProto::FLOAT16, {1}, {0x3c00});
  Tensor b = makeTensor<uint16_t>("h", TensorProto::FLOAT16, {1}, {0x3c01});
  CHECK(compareTensors(a, b, 1e-3, 0).ok);
  CHECK_FALSE(compareTensors(a, b, 1e-4, 0).ok);
  Tensor c = makeTensor<uint16_t>("g", TensorProto::BFLOAT16, {1}, {0x3f80});
  Tensor d = makeTensor<uint16_t>("g", TensorProto::BFLOAT16, {1}, {0x4000});
  CompareResult r = compareTensors(c, d, 0, 0.5);
  CHECK_FALSE(r.ok);
  CHECK(r.worstActual == 1.0);
  CHECK(r.worstExpected == 2.0);
}

TEST_CASE("compareTensors requires exact integers and matching types",
          "[compare]") {
  Tensor a = makeTensor<int64_t>("n", TensorProto::INT64, {2, 2}, {1, 2, 3, 4});
  Tensor b = makeTensor<int64_t>("n", TensorProto::INT64, {2, 2}, {1, 2, 3, 5});
  CHECK(compareTensors(a, a, 0, 0).ok);
  CompareResult r = compareTensors(a, b, 1, 100);
  CHECK_FALSE(r.ok);
  CHECK(r.message.find("mismatch at [1, 1]: got 4, expected 5") !=
        std::string::npos);

  Tensor big1 = makeTensor<int64_t>("n", TensorProto::INT64, {1},
                                    {(1LL << 60) + 1});
  Tensor big2 = makeTensor<int64_t>("n", TensorProto::INT64, {1}, {1LL << 60});
  CHECK_FALSE(compareTensors(big1, big2, 1, 1).ok);

  Tensor t = makeTensor<uint8_t>("m", TensorProto::BOOL, {2}, {1, 0});
  Tensor f = makeTensor<uint8_t>("m", TensorProto::BOOL, {2}, {1, 1});
  CHECK_FALSE(compareTensors(t, f, 1, 1).ok);

  Tensor reshaped = a;
  reshaped.shape = {4};
  CompareResult shape = compareTensors(reshaped, a, 0, 0);
  CHECK_FALSE(shape.ok);
  CHECK(shape.message ==
        "output 'n' shape mismatch: got [4], expected [2, 2]");

  Tensor asFloat = makeTensor<float>("n", TensorProto::FLOAT, {2, 2},
                                     {1, 2, 3, 4});
  CompareResult dtype = compareTensors(asFloat, a, 0, 0);
  CHECK_FALSE(dtype.ok);
  CHECK(dtype.message ==
        "output 'n' dtype mismatch: got float, expected int64");
}
