//===- Options.cpp - deepseek-convert command-line parsing ----------------===//
#include "tools/deepseek-convert/Options.h"

#include "compiler/Support/Platforms.h"
#include "compiler/Support/Version.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"

#include <CLI/CLI.hpp>

#include <set>
#include <sstream>

using namespace ds::tools;

namespace {

/// --config FILE: YAML, or JSON (which YAML reads too). The top level maps
/// long option names (without the dashes) to a value, or to a list for
/// repeatable options; flags take true or false.
class ConfigFile : public CLI::Config {
public:
  ConfigFile(std::string path, std::set<std::string> options)
      : path(std::move(path)), options(std::move(options)) {}

  std::vector<CLI::ConfigItem> from_config(std::istream &input) const override {
    std::string text((std::istreambuf_iterator<char>(input)),
                     std::istreambuf_iterator<char>());
    llvm::SourceMgr sources;
    std::string problem;
    sources.setDiagHandler(
        [](const llvm::SMDiagnostic &d, void *out) {
          auto &message = *static_cast<std::string *>(out);
          if (message.empty())
            message = "line " + std::to_string(d.getLineNo()) + ": " +
                      d.getMessage().str();
        },
        &problem);
    llvm::yaml::Stream stream(text, sources);
    std::vector<CLI::ConfigItem> items;
    auto fail = [&](const std::string &why) {
      throw CLI::FileError("--config " + path + ": " + why);
    };
    llvm::yaml::document_iterator doc = stream.begin();
    if (doc == stream.end() || !doc->getRoot())
      fail("empty file");
    auto *root = llvm::dyn_cast<llvm::yaml::MappingNode>(doc->getRoot());
    if (!root && problem.empty())
      fail("the top level must map option names to values");
    auto scalar = [&](llvm::yaml::Node *node, const std::string &key) {
      auto *s = llvm::dyn_cast_or_null<llvm::yaml::ScalarNode>(node);
      if (!s)
        fail("'" + key + "' must be a value or a list of values");
      llvm::SmallString<64> storage;
      return s->getValue(storage).str();
    };
    for (llvm::yaml::KeyValueNode &entry :
         root ? llvm::make_range(root->begin(), root->end())
              : llvm::make_range(llvm::yaml::MappingNode::iterator(),
                                 llvm::yaml::MappingNode::iterator())) {
      if (!problem.empty())
        break;
      std::string key = scalar(entry.getKey(), "a key");
      if (!options.count(key))
        fail("'" + key + "' is not a deepseek-convert option");
      CLI::ConfigItem item;
      item.name = key;
      if (auto *list = llvm::dyn_cast_or_null<llvm::yaml::SequenceNode>(
              entry.getValue())) {
        for (llvm::yaml::Node &element : *list)
          item.inputs.push_back(scalar(&element, key));
      } else {
        item.inputs.push_back(scalar(entry.getValue(), key));
      }
      items.push_back(std::move(item));
    }
    if (!problem.empty() || stream.failed())
      fail(problem.empty() ? "not valid YAML or JSON" : problem);
    return items;
  }

  /// The options set, as YAML this class reads back.
  std::string to_config(const CLI::App *app, bool defaults, bool,
                        std::string) const override {
    std::string out;
    for (const CLI::Option *opt : app->get_options()) {
      std::string name = opt->get_single_name();
      if (!options.count(name) || (opt->count() == 0 && !defaults))
        continue;
      std::vector<std::string> values = opt->reduced_results();
      if (values.empty())
        continue;
      out += name + ":";
      if (values.size() == 1 && opt->get_expected_max() <= 1) {
        out += " " + values.front() + "\n";
        continue;
      }
      for (const std::string &v : values)
        out += "\n  - " + v;
      out += "\n";
    }
    return out;
  }

private:
  std::string path;
  std::set<std::string> options;
};

/// The --config argument, for ConfigFile's messages (CLI11 hands the
/// parser only the stream).
std::string configArgument(int argc, const char *const *argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc)
      return argv[i + 1];
    if (arg.rfind("--config=", 0) == 0)
      return arg.substr(9);
  }
  return "";
}

/// The widths each --quantize mode stands for (32: float activations).
struct ModeWidths {
  const char *mode;
  int weightBits, activationBits;
};
constexpr ModeWidths kModeWidths[] = {
    {"int8", 8, 8}, {"static-int8", 8, 8}, {"int4", 4, 32},
    {"int2", 2, 32}, {"w4a8", 4, 8},       {"w2a8", 2, 8}};

/// --weight-bits and --activation-bits (0 when not given) as the --quantize
/// mode they name, set in `mode`; with a mode given too, they must agree
/// with it. False, with `message`, when they do not or name no mode.
bool resolveQuantizationBits(std::string &mode, int weightBits,
                             int activationBits, std::string &message) {
  if (!weightBits && !activationBits)
    return true;
  if (mode == "adaptive") {
    message = "--weight-bits and --activation-bits do not apply to "
              "--quantize adaptive, which chooses the bits per layer";
    return false;
  }
  if (mode != "none") {
    for (const ModeWidths &w : kModeWidths)
      if (mode == w.mode) {
        if ((weightBits && weightBits != w.weightBits) ||
            (activationBits && activationBits != w.activationBits)) {
          message = "--quantize " + mode + " means --weight-bits " +
                    std::to_string(w.weightBits) + " --activation-bits " +
                    std::to_string(w.activationBits) +
                    "; the bits given disagree";
          return false;
        }
        return true;
      }
  }
  if (!weightBits) {
    message = "--activation-bits needs --weight-bits (or --quantize)";
    return false;
  }
  int activation = activationBits ? activationBits : weightBits == 8 ? 8 : 32;
  for (const ModeWidths &w : kModeWidths)
    if (w.weightBits == weightBits && w.activationBits == activation &&
        std::string(w.mode) != "static-int8") {
      mode = w.mode;
      return true;
    }
  message = "--weight-bits 8 --activation-bits 32 names no mode: 8-bit "
            "weights quantize their activations (--quantize int8, or "
            "static-int8 with calibration data)";
  return false;
}

} // namespace

/// Runs a CLI11 parse, mapping help, version and errors to ParseOutcome.
static ParseOutcome runParser(CLI::App &app, int argc, const char *const *argv,
                              std::string &message) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &) {
    message = app.help();
    return ParseOutcome::ExitOk;
  } catch (const CLI::CallForVersion &e) {
    message = std::string(e.what()) + "\n";
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
  app.get_formatter()->column_width(34);
  // Added again last, so that the groups read in pipeline order.
  app.set_help_flag();
  mlir::ds::CompileOptions &options = out.compile;

  const char *kInput = "Input";
  std::string framework = "onnx";
  app.add_option("--input,-i", options.inputPath, "ONNX model file")
      ->required()
      ->group(kInput);
  app.add_option("--framework", framework, "Input format")
      ->check(CLI::IsMember({"onnx"}))
      ->group(kInput);
  std::vector<std::string> inputShapes;
  app.add_option("--input-shape", inputShapes,
                 "Fix an input's shape at compile time, NAME:1x3x224x224 "
                 "(repeatable); symbolic dims left unfixed stay dynamic")
      ->group(kInput);
  app.add_option("--max-model-bytes", options.maxModelBytes,
                 "Refuse models whose file and external data hold more "
                 "bytes than this (0: no limit), checked before they are "
                 "read")
      ->group(kInput);
  app.set_config("--config", "",
                 "YAML or JSON file of options: long names without the "
                 "dashes, e.g. `quantize: int8`; the command line wins")
      ->group(kInput);

  const char *kTarget = "Target";
  auto *targetOption =
      app.add_option("--target", options.target,
                     "Target backend: x86_64, aarch64 (NEON; linked with "
                     "aarch64-linux-gnu-gcc) or cuda")
          ->default_val("x86_64")
          ->group(kTarget);
  std::string platformName;
  std::vector<std::string> platformList;
  for (const ds::support::Platform &p : ds::support::platforms())
    platformList.push_back(p.name);
  app.add_option("--platform", platformName,
                 "Deployment preset, as deepseek-package takes it: sets "
                 "--target, --cpu and --gpu (e.g. x86-avx2 is x86_64 for "
                 "haswell)")
      ->check(CLI::IsMember(platformList))
      ->group(kTarget);
  app.add_option("--cpu", options.cpu,
                 "LLVM CPU name, e.g. skylake-avx512, cortex-a72, "
                 "neoverse-n1 (default: the host CPU when compiling for it, "
                 "else x86-64 or generic)")
      ->group(kTarget);
  app.add_option("--features", options.features,
                 "Extra LLVM subtarget features, e.g. +avx2,-avx512f")
      ->group(kTarget);
  app.add_option("--gpu", options.gpu,
                 "GPU architecture for --target cuda (default sm_80)")
      ->check(CLI::IsMember({"sm_75", "sm_80", "sm_86", "sm_89", "sm_90"}))
      ->group(kTarget);
  app.add_option("--precision", options.precision,
                 "Compute in fp32, fp16 (cuda, or an Arm core with "
                 "fullfp16) or bf16 (cuda, x86 with AVX512-BF16, or an Arm "
                 "core with bf16); reductions accumulate in fp32, inputs "
                 "and outputs stay fp32")
      ->default_val("fp32")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16"}))
      ->group(kTarget);

  const char *kOptimization = "Optimization";
  bool noFusion = false;
  app.add_flag("--no-fusion", noFusion,
               "Turn off operator fusion (BatchNorm folding, bias and "
               "activation epilogues, GELU/LayerNorm recomposition)")
      ->group(kOptimization);

  const char *kQuantization = "Quantization";
  app.add_option("--quantize", options.quantize,
                 "Quantize MatMul/Gemm weights: int8 (dynamic: int8 weights "
                 "per output channel, activations quantized at run time; "
                 "also Conv), "
                 "static-int8 (activation ranges from --calibration-data), "
                 "int4 or int2 (weight-only, group-wise; convolutions take "
                 "int8), w4a8 or w2a8 (int4/int2 weights, activations "
                 "quantized to 8 bits at run time, integer products per "
                 "group), adaptive (8, 4 "
                 "or 2 bits or float per layer, the fewest bytes within "
                 "--max-error)")
      ->default_val("none")
      ->check(CLI::IsMember({"none", "int8", "static-int8", "int4", "int2",
                             "w4a8", "w2a8", "adaptive"}))
      ->group(kQuantization);
  int weightBits = 0, activationBits = 0;
  app.add_option("--weight-bits", weightBits,
                 "Weight width, the other way to name the mode: 8 (int8), "
                 "4 or 2 (group-wise); with --activation-bits 8 "
                 "(activations quantized at run time, the default for 8-bit "
                 "weights) or 32 (float activations, the default for 4 and "
                 "2). --weight-bits 4 --activation-bits 8 is --quantize "
                 "w4a8")
      ->check(CLI::IsMember({8, 4, 2}))
      ->group(kQuantization);
  app.add_option("--activation-bits", activationBits,
                 "Activation width: 8 (quantized at run time, or from "
                 "calibration with static-int8) or 32 (float); needs "
                 "--weight-bits or --quantize")
      ->check(CLI::IsMember({8, 32}))
      ->group(kQuantization);
  app.add_option("--group-size", options.groupSize,
                 "Weights per scale for int4/int2/w4a8/w2a8")
      ->default_val(128)
      ->check(CLI::IsMember({32, 64, 128}))
      ->group(kQuantization);
  app.add_option("--max-error", options.maxError,
                 "For --quantize adaptive: the largest relative output error "
                 "||y - y_fp32|| / ||y_fp32|| allowed, in (0, 1)")
      ->check(CLI::Range(0.0, 1.0))
      ->group(kQuantization);
  app.add_option("--calibration-data", options.calibrationDir,
                 "Directory of input_<i>.pb files (or of subdirectories "
                 "holding them, one set each) on which quantization and "
                 "pruning are measured; default: synthetic inputs")
      ->check(CLI::ExistingDirectory)
      ->group(kQuantization);
  app.add_option("--calibration-method", options.calibrationMethod,
                 "How static-int8 takes a layer input's range from the "
                 "calibration data: minmax, or percentile (see "
                 "--calibration-percentile)")
      ->default_val("minmax")
      ->check(CLI::IsMember({"minmax", "percentile"}))
      ->group(kQuantization);
  app.add_option("--calibration-percentile", options.calibrationPercentile,
                 "For --calibration-method percentile: the range runs from "
                 "the (100 - P)-th to the P-th percentile of the values")
      ->default_val(99.99)
      ->check(CLI::Range(50.0, 100.0))
      ->group(kQuantization);
  app.add_option("--exclude-nodes", options.quantizeExcludeNodes,
                 "Node names left in float by --quantize (repeatable, or "
                 "comma-separated)")
      ->delimiter(',')
      ->group(kQuantization);
  app.add_option("--exclude-ops", options.quantizeExcludeOps,
                 "ONNX op types left in float by --quantize (MatMul, Gemm, "
                 "Conv)")
      ->delimiter(',')
      ->group(kQuantization);

  const char *kPruning = "Pruning";
  std::string pruneStrategy = "magnitude", pruneScope = "layer";
  app.add_option("--prune-sparsity", options.pruneSparsity,
                 "Prune Conv/Gemm/MatMul weights to this sparsity, in [0, 1)")
      ->check(CLI::Range(0.0, 0.999999))
      ->group(kPruning);
  app.add_option("--prune-strategy", pruneStrategy,
                 "magnitude: zero the smallest weights; l1_norm: remove "
                 "whole output channels with the smallest L1 norm")
      ->check(CLI::IsMember({"magnitude", "l1_norm"}))
      ->group(kPruning);
  app.add_flag("--prune-structured", options.pruneStructured,
               "Same as --prune-strategy l1_norm")
      ->group(kPruning);
  app.add_option("--prune-scope", pruneScope,
                 "Magnitude threshold per layer or over all layers")
      ->check(CLI::IsMember({"layer", "global"}))
      ->group(kPruning);
  app.add_option("--prune-exclude", options.pruneExclude,
                 "Node names whose weights stay whole (repeatable, or "
                 "comma-separated)")
      ->delimiter(',')
      ->group(kPruning);

  const char *kOutput = "Output";
  app.add_option("--output,-o", options.outputDir,
                 "Output directory (created or replaced atomically)")
      ->required()
      ->group(kOutput);
  app.add_option("--emit", options.emit,
                 "What to produce: mlir (dsg), llvm (IR), asm, obj, lib")
      ->default_val("lib")
      ->check(CLI::IsMember({"mlir", "llvm", "asm", "obj", "lib"}))
      ->group(kOutput);
  app.add_option("--report", options.reportPath,
                 "Also write report.json to this path")
      ->group(kOutput);

  const char *kDiagnostics = "Diagnostics";
  bool verbose = false;
  auto *verboseFlag =
      app.add_flag("--verbose,-v", verbose,
                   "Log the compilation stages (same as --log-level info)")
          ->group(kDiagnostics);
  auto *logLevel =
      app.add_option("--log-level", out.logLevel,
                     "Messages to print besides errors: error, warn, info "
                     "(stages), debug (stage timings)")
          ->check(CLI::IsMember({"error", "warn", "info", "debug"}))
          ->group(kDiagnostics);
  app.add_flag("--quiet,-q", out.quiet,
               "Errors only, and no progress display (shown on a terminal "
               "otherwise)")
      ->excludes(verboseFlag)
      ->excludes(logLevel)
      ->group(kDiagnostics);
  app.add_option("--dump-ir-after", options.dumpIRAfter,
                 "Print the module after these passes (names as in "
                 "deepseek-opt, e.g. ds-fuse-activation; `all` for every "
                 "pass), to stderr or --dump-ir-dir (repeatable, or "
                 "comma-separated)")
      ->delimiter(',')
      ->group(kDiagnostics);
  app.add_option("--dump-ir-dir", options.dumpIRDir,
                 "Write the --dump-ir-after dumps as files under this "
                 "directory, one subdirectory per pipeline")
      ->group(kDiagnostics);
  app.set_version_flag("--version",
                       ds::support::versionText("deepseek-convert"))
      ->group(kDiagnostics);
  app.set_help_flag("-h,--help", "Print this help and exit")
      ->group(kDiagnostics);

  std::set<std::string> configurable;
  for (const CLI::Option *opt : app.get_options())
    if (opt->get_configurable() && !opt->get_lnames().empty())
      configurable.insert(opt->get_lnames().front());
  configurable.erase("config");
  configurable.erase("help");
  configurable.erase("version");
  app.config_formatter(std::make_shared<ConfigFile>(configArgument(argc, argv),
                                                    std::move(configurable)));

  app.footer("Examples:\n"
             "  deepseek-convert -i model.onnx -o out/\n"
             "  deepseek-convert -i model.onnx -o out/ --quantize int8\n"
             "  deepseek-convert -i model.onnx -o out/ --quantize adaptive "
             "--max-error 0.02 --calibration-data calib/\n"
             "  deepseek-convert -i model.onnx -o out/ --target cuda --gpu "
             "sm_80 --precision fp16\n"
             "  deepseek-convert -i model.onnx -o out/ --platform raspberrypi\n"
             "  deepseek-convert --config convert.yaml\n"
             "  deepseek-convert -i model.onnx -o out/ --emit mlir "
             "--dump-ir-after ds-fuse-activation\n"
             "\nAlso: deepseek-convert inspect MODEL [--json]");
  ParseOutcome outcome = runParser(app, argc, argv, message);
  if (outcome != ParseOutcome::Run)
    return outcome;
  if (const ds::support::Platform *platform =
          ds::support::findPlatform(platformName)) {
    // The preset decides what the user did not say; a contradiction is
    // an error rather than a silent choice.
    if (targetOption->count() && options.target != platform->target) {
      message = "--platform " + platformName + " compiles for --target " +
                platform->target + ", not " + options.target;
      return ParseOutcome::BadUsage;
    }
    options.target = platform->target;
    if (options.cpu.empty())
      options.cpu = platform->cpu;
    if (options.gpu.empty())
      options.gpu = platform->gpu;
  }
  if (verbose && (out.logLevel == "warn" || out.logLevel == "error"))
    out.logLevel = "info";
  if (out.quiet)
    out.logLevel = "error";
  if (!options.dumpIRDir.empty() && options.dumpIRAfter.empty()) {
    message = "--dump-ir-dir needs --dump-ir-after PASS (or all)";
    return ParseOutcome::BadUsage;
  }
  options.fusion = !noFusion;
  options.pruneStructured |= pruneStrategy == "l1_norm";
  options.pruneGlobal = pruneScope == "global";
  if (options.pruneStructured && options.pruneGlobal) {
    message = "--prune-scope global applies to magnitude pruning only";
    return ParseOutcome::BadUsage;
  }
  if (!resolveQuantizationBits(options.quantize, weightBits, activationBits,
                               message))
    return ParseOutcome::BadUsage;
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
