//===- Options.cpp - deepseek-convert command-line parsing ----------------===//
#include "tools/deepseek-convert/Options.h"

#include <CLI/CLI.hpp>

#include <sstream>

using namespace ds::tools;

/// Runs a CLI11 parse, mapping help and errors to ParseOutcome.
static ParseOutcome runParser(CLI::App &app, int argc, const char *const *argv,
                              std::string &message) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &) {
    message = app.help();
    return ParseOutcome::ExitOk;
  } catch (const CLI::ParseError &e) {
    message = e.what();
    return ParseOutcome::BadUsage;
  }
  return ParseOutcome::Run;
}

ParseOutcome ds::tools::parseInspectCommandLine(int argc,
                                                const char *const *argv,
                                                InspectCommandLine &out,
                                                std::string &message) {
  CLI::App app{"deepseek-convert inspect: summarize an ONNX model without "
               "compiling it: opsets, op histogram, parameters, a FLOP "
               "estimate, dynamic dimensions and unsupported ops.\n\nExit "
               "codes: 0 every op is supported; 2 unsupported ops, or a file "
               "that cannot be read."};
  app.add_option("model", out.model, "ONNX model file")->required();
  app.add_flag("--json", out.json, "Print JSON (for CI)");
  return runParser(app, argc, argv, message);
}

ParseOutcome ds::tools::parseConvertCommandLine(int argc,
                                                const char *const *argv,
                                                ConvertCommandLine &out,
                                                std::string &message) {
  CLI::App app{"deepseek-convert: compile an ONNX model ahead of time into "
               "native code.\n\nExit codes: 0 success; 1 compile failure (a "
               "compiler bug on an accepted model); 2 bad input: bad options, "
               "an unreadable, invalid or unsupported model. On failure no "
               "output directory is left behind."};
  mlir::ds::CompileOptions &options = out.compile;
  std::string framework = "onnx";
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
  app.add_flag("--verbose,-v", out.verbose, "Log the compilation stages");
  app.footer("Also: deepseek-convert inspect MODEL [--json]");
  return runParser(app, argc, argv, message);
}
