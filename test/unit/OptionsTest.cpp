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
  CHECK_FALSE(cl.verbose);
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
  CHECK(cl.verbose);
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
