//===- deepseek-convert.cpp - the compiler command line -------------------===//
//
// A thin CLI over compiler/Driver: parse options, compile, map the outcome
// to an exit code CI pipelines can rely on.
//
//===----------------------------------------------------------------------===//

#include "compiler/Driver/Driver.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

int main(int argc, char **argv) {
  CLI::App app{"deepseek-convert: compile an ONNX model ahead of time into "
               "native code.\n\nExit codes: 0 success; 1 compile failure (a "
               "compiler bug on an accepted model); 2 bad input: bad options, "
               "an unreadable, invalid or unsupported model. On failure no "
               "output directory is left behind."};
  mlir::ds::CompileOptions options;
  std::string framework = "onnx";
  bool verbose = false;
  app.add_option("--input,-i", options.inputPath, "ONNX model file")
      ->required();
  app.add_option("--output,-o", options.outputDir,
                 "Output directory (created or replaced atomically)")
      ->required();
  app.add_option("--framework", framework, "Input format")
      ->check(CLI::IsMember({"onnx"}));
  app.add_option("--target", options.target, "Target backend")
      ->default_val("x86_64");
  app.add_option("--cpu", options.cpu,
                 "LLVM CPU name (default: the host CPU when compiling for it)");
  app.add_option("--features", options.features,
                 "Extra LLVM subtarget features, e.g. +avx2,-avx512f");
  app.add_option("--emit", options.emit,
                 "What to produce: mlir (dsg), llvm (IR), asm, obj, lib")
      ->default_val("lib")
      ->check(CLI::IsMember({"mlir", "llvm", "asm", "obj", "lib"}));
  app.add_option("--report", options.reportPath,
                 "Also write report.json to this path");
  app.add_flag("--verbose,-v", verbose, "Log the compilation stages");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : static_cast<int>(mlir::ds::CompileStatus::BadInput);
  }
  spdlog::set_pattern("deepseek-convert: %v");
  spdlog::set_level(verbose ? spdlog::level::info : spdlog::level::warn);
  spdlog::info("compiling {} for {} into {}", options.inputPath,
               options.target, options.outputDir);
  auto status = mlir::ds::compileModel(options);
  if (status == mlir::ds::CompileStatus::Success)
    spdlog::info("wrote {}", options.outputDir);
  return static_cast<int>(status);
}
