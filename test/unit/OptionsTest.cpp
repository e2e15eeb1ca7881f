// deepseek-convert's command line: defaults, choices, and rejected input.
#include "tools/deepseek-convert/Options.h"

#include <catch2/catch.hpp>

#include <vector>

using ds::tools::ConvertCommandLine;
using ds::tools::ParseOutcome;

namespace {
ParseOutcome parse(std::vector<const char *> args, ConvertCommandLine &out,
                   std::string &message) {
  args.insert(args.begin(), "deepseek-convert");
  return ds::tools::parseConvertCommandLine(static_cast<int>(args.size()),
                                            args.data(), out, message);
}
} // namespace

TEST_CASE("defaults for a minimal command line", "[options]") {
  ConvertCommandLine cl;
  std::string message;
  REQUIRE(parse({"--input", "m.onnx", "--output", "out"}, cl, message) ==
          ParseOutcome::Run);
  CHECK(cl.compile.inputPath == "m.onnx");
  CHECK(cl.compile.outputDir == "out");
  CHECK(cl.compile.target == "x86_64");
  CHECK(cl.compile.emit == "lib");
  CHECK(cl.compile.cpu.empty());
  CHECK(cl.logLevel == "warn");
}

TEST_CASE("every option is taken", "[options]") {
  ConvertCommandLine cl;
  std::string message;
  REQUIRE(parse({"-i", "m.onnx", "-o", "out", "--framework", "onnx",
                 "--target", "x86_64", "--cpu", "skylake-avx512", "--emit",
                 "asm", "--report", "r.json", "--features", "+avx2", "-v"},
                cl, message) == ParseOutcome::Run);
  CHECK(cl.compile.cpu == "skylake-avx512");
  CHECK(cl.compile.emit == "asm");
  CHECK(cl.compile.reportPath == "r.json");
  CHECK(cl.compile.features == "+avx2");
  CHECK(cl.logLevel == "info");
}

TEST_CASE("bad command lines are usage errors", "[options]") {
  ConvertCommandLine cl;
  std::string message;
  CHECK(parse({"--output", "out"}, cl, message) == ParseOutcome::BadUsage);
  CHECK(message.find("--input") != std::string::npos);
  CHECK(parse({"-i", "m", "-o", "o", "--emit", "exe"}, cl, message) ==
        ParseOutcome::BadUsage);
  CHECK(parse({"-i", "m", "-o", "o", "--framework", "tflite"}, cl, message) ==
        ParseOutcome::BadUsage);
  CHECK(parse({"-i", "m", "-o", "o", "--bogus"}, cl, message) ==
        ParseOutcome::BadUsage);
}

TEST_CASE("help is not an error", "[options]") {
  ConvertCommandLine cl;
  std::string message;
  CHECK(parse({"--help"}, cl, message) == ParseOutcome::ExitOk);
  CHECK(message.find("Exit codes") != std::string::npos);
}

TEST_CASE("--input-shape fixes named input shapes", "[options]") {
  ConvertCommandLine cl;
  std::string message;
  REQUIRE(parse({"-i", "m.onnx", "-o", "out", "--input-shape",
                 "pixel_values:1x3x224x224", "--input-shape", "ids:7",
                 "--input-shape", "scalar:"},
                cl, message) == ParseOutcome::BadUsage);
  CHECK(message.find("scalar:") != std::string::npos);

  cl = {};
  REQUIRE(parse({"-i", "m.onnx", "-o", "out", "--input-shape",
                 "pixel_values:1x3x224x224", "--input-shape", "a:b:0x5"},
                cl, message) == ParseOutcome::Run);
  const auto &shapes = cl.compile.inputShapes;
  REQUIRE(shapes.size() == 2);
  CHECK(shapes.at("pixel_values") == std::vector<int64_t>{1, 3, 224, 224});
  // The last colon separates the name, which may contain colons itself.
  CHECK(shapes.at("a:b") == std::vector<int64_t>{0, 5});
}

TEST_CASE("malformed --input-shape values are usage errors", "[options]") {
  for (const char *bad : {"x", "x:", ":1x2", "x:1xx2", "x:1x", "x:-1",
                          "x:1x?", "x:99999999999999999999"}) {
    ConvertCommandLine cl;
    std::string message;
    CAPTURE(bad);
    CHECK(parse({"-i", "m.onnx", "-o", "out", "--input-shape", bad}, cl,
                message) == ParseOutcome::BadUsage);
    CHECK(message.find("--input-shape") != std::string::npos);
  }
  ConvertCommandLine cl;
  std::string message;
  CHECK(parse({"-i", "m.onnx", "-o", "out", "--input-shape", "x:1",
               "--input-shape", "x:2"},
              cl, message) == ParseOutcome::BadUsage);
  CHECK(message.find("twice") != std::string::npos);
}
