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

bool ds::tools::parseInputShape(
    const std::string &text,
    std::map<std::string, std::vector<int64_t>> &shapes, std::string &error) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    error = "--input-shape '" + text + "' is not NAME:DIMxDIMx...";
    return false;
  }
  std::string name = text.substr(0, colon);
  std::vector<int64_t> dims;
  std::stringstream parts(text.substr(colon + 1));
  std::string part;
  while (std::getline(parts, part, 'x')) {
    constexpr int64_t kLargest = int64_t(1) << 40;
    bool digits = !part.empty() && part.size() <= 13 &&
                  part.find_first_not_of("0123456789") == std::string::npos;
    int64_t size = digits ? std::stoll(part) : -1;
    if (size < 0 || size > kLargest) {
      error = "--input-shape '" + text + "': '" + part +
              "' is not a dimension size";
      return false;
    }
    dims.push_back(size);
  }
  if (text.back() == 'x') {
    error = "--input-shape '" + text + "' ends with 'x'";
    return false;
  }
  if (!shapes.emplace(name, std::move(dims)).second) {
    error = "--input-shape names input '" + name + "' twice";
    return false;
  }
  return true;
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
  app.add_option("--precision", options.precision,
                 "Compute in fp32, fp16 (cuda) or bf16 (cuda, or x86 with "
                 "AVX512-BF16); reductions accumulate in fp32, inputs and "
                 "outputs stay fp32")
      ->default_val("fp32")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16"}));
  app.add_option("--gpu", options.gpu,
                 "GPU architecture for --target cuda (default sm_80)")
      ->check(CLI::IsMember({"sm_75", "sm_80", "sm_86", "sm_89", "sm_90"}));
  app.add_option("--emit", options.emit,
                 "What to produce: mlir (dsg), llvm (IR), asm, obj, lib")
      ->default_val("lib")
      ->check(CLI::IsMember({"mlir", "llvm", "asm", "obj", "lib"}));
  app.add_option("--report", options.reportPath,
                 "Also write report.json to this path");
  bool noFusion = false;
  app.add_flag("--no-fusion", noFusion,
               "Turn off operator fusion (BatchNorm folding, bias and "
               "activation epilogues, GELU/LayerNorm recomposition)");
  std::string pruneStrategy = "magnitude", pruneScope = "layer";
  app.add_option("--prune-sparsity", options.pruneSparsity,
                 "Prune Conv/Gemm/MatMul weights to this sparsity, in [0, 1)")
      ->check(CLI::Range(0.0, 0.999999));
  app.add_option("--prune-strategy", pruneStrategy,
                 "magnitude: zero the smallest weights; l1_norm: remove "
                 "whole output channels with the smallest L1 norm")
      ->check(CLI::IsMember({"magnitude", "l1_norm"}));
  app.add_flag("--prune-structured", options.pruneStructured,
               "Same as --prune-strategy l1_norm");
  app.add_option("--prune-scope", pruneScope,
                 "Magnitude threshold per layer or over all layers")
      ->check(CLI::IsMember({"layer", "global"}));
  app.add_option("--prune-exclude", options.pruneExclude,
                 "Node names whose weights stay whole (repeatable, or "
                 "comma-separated)")
      ->delimiter(',');
  app.add_option("--quantize", options.quantize,
                 "Quantize MatMul/Gemm weights: int8 (dynamic: int8 weights "
                 "per output channel, activations quantized at run time), "
                 "static-int8 (activation ranges from --calibration-data), "
                 "int4 or int2 (weight-only, group-wise), adaptive (8, 4 "
                 "or 2 bits or float per layer, the fewest bytes within "
                 "--max-error)")
      ->default_val("none")
      ->check(CLI::IsMember(
          {"none", "int8", "static-int8", "int4", "int2", "adaptive"}));
  app.add_option("--max-error", options.maxError,
                 "For --quantize adaptive: the largest relative output error "
                 "||y - y_fp32|| / ||y_fp32|| allowed, in (0, 1)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--calibration-data", options.calibrationDir,
                 "Directory of input_<i>.pb files (or of subdirectories "
                 "holding them, one set each) on which quantization and "
                 "pruning are measured; default: synthetic inputs")
      ->check(CLI::ExistingDirectory);
  app.add_option("--calibration-method", options.calibrationMethod,
                 "How static-int8 takes a layer input's range from the "
                 "calibration data: minmax, or percentile (see "
                 "--calibration-percentile)")
      ->default_val("minmax")
      ->check(CLI::IsMember({"minmax", "percentile"}));
  app.add_option("--calibration-percentile", options.calibrationPercentile,
                 "For --calibration-method percentile: the range runs from "
                 "the (100 - P)-th to the P-th percentile of the values")
      ->default_val(99.99)
      ->check(CLI::Range(50.0, 100.0));
  app.add_option("--group-size", options.groupSize,
                 "Weights per scale for int4/int2")
      ->default_val(128)
      ->check(CLI::IsMember({32, 64, 128}));
  app.add_option("--exclude-nodes", options.quantizeExcludeNodes,
                 "Node names left in float by --quantize (repeatable, or "
                 "comma-separated)")
      ->delimiter(',');
  app.add_option("--exclude-ops", options.quantizeExcludeOps,
                 "ONNX op types left in float by --quantize (MatMul, Gemm)")
      ->delimiter(',');
  app.add_option("--max-model-bytes", options.maxModelBytes,
                 "Refuse models whose file and external data hold more "
                 "bytes than this (0: no limit), checked before they are "
                 "read");
  std::vector<std::string> inputShapes;
  app.add_option("--input-shape", inputShapes,
                 "Fix an input's shape at compile time, NAME:1x3x224x224 "
                 "(repeatable); symbolic dims left unfixed stay dynamic");
  app.add_flag("--verbose,-v", out.verbose, "Log the compilation stages");
  app.footer("Also: deepseek-convert inspect MODEL [--json]");
  ParseOutcome outcome = runParser(app, argc, argv, message);
  if (outcome != ParseOutcome::Run)
    return outcome;
  options.fusion = !noFusion;
  options.pruneStructured |= pruneStrategy == "l1_norm";
  options.pruneGlobal = pruneScope == "global";
  if (options.pruneStructured && options.pruneGlobal) {
    message = "--prune-scope global applies to magnitude pruning only";
    return ParseOutcome::BadUsage;
  }
  if ((options.quantize == "adaptive") != (options.maxError > 0)) {
    message = options.quantize == "adaptive"
                  ? "--quantize adaptive needs --max-error E, with E > 0"
                  : "--max-error applies to --quantize adaptive only";
    return ParseOutcome::BadUsage;
  }
  if (options.quantize == "static-int8" && options.calibrationDir.empty()) {
    message = "--quantize static-int8 needs --calibration-data DIR";
    return ParseOutcome::BadUsage;
  }
  if (!options.gpu.empty() && options.target != "cuda") {
    message = "--gpu applies to --target cuda only";
    return ParseOutcome::BadUsage;
  }
  for (const std::string &text : inputShapes)
    if (!parseInputShape(text, options.inputShapes, message))
      return ParseOutcome::BadUsage;
  return outcome;
}
