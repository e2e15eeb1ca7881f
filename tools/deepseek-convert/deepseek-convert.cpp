//===- deepseek-convert.cpp - the compiler command line -------------------===//
//
// A thin CLI over compiler/Driver: parse options, compile, map the outcome
// to an exit code CI pipelines can rely on.
//
//===----------------------------------------------------------------------===//

#include "compiler/Import/ONNX/ModelInspector.h"
#include "tools/deepseek-convert/Options.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace {
constexpr int kBadInput = static_cast<int>(mlir::ds::CompileStatus::BadInput);

/// The exit code when parsing ends the program (help, usage error), or -1
/// when the command should run.
int exitCodeFor(ds::tools::ParseOutcome outcome, const std::string &message) {
  switch (outcome) {
  case ds::tools::ParseOutcome::ExitOk:
    std::fputs(message.c_str(), stdout);
    return 0;
  case ds::tools::ParseOutcome::BadUsage:
    std::fprintf(stderr, "deepseek-convert: error: %s\n", message.c_str());
    return kBadInput;
  case ds::tools::ParseOutcome::Run:
    break;
  }
  return -1;
}

int inspect(int argc, char **argv) {
  ds::tools::InspectCommandLine cl;
  std::string message;
  if (int rc = exitCodeFor(
          ds::tools::parseInspectCommandLine(argc, argv, cl, message), message);
      rc >= 0)
    return rc;
  mlir::ds::ModelSummary summary;
  std::string error;
  if (!mlir::ds::inspectONNXModel(cl.model, summary, error)) {
    std::fprintf(stderr, "deepseek-convert: error: %s\n", error.c_str());
    return kBadInput;
  }
  std::string text = cl.json ? mlir::ds::formatSummaryJson(summary)
                             : mlir::ds::formatSummaryText(summary);
  std::fputs(text.c_str(), stdout);
  return summary.unsupported.empty() ? 0 : kBadInput;
}

/// One status line on stderr, rewritten as each stage begins, when stderr
/// is a terminal; nothing otherwise, so logs and CI output stay clean.
class ProgressLine {
public:
  explicit ProgressLine(bool enabled) : enabled(enabled) {}
  ~ProgressLine() { clear(); }
  void show(const std::string &stage) {
    if (!enabled)
      return;
    std::fprintf(stderr, "\r\033[Kdeepseek-convert: %s...", stage.c_str());
    std::fflush(stderr);
    shown = true;
  }
  /// Before anything else is printed to the terminal.
  void clear() {
    if (!shown)
      return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    shown = false;
  }

private:
  bool enabled;
  bool shown = false;
};
} // namespace

int main(int argc, char **argv) {
  if (argc > 1 && std::string(argv[1]) == "inspect")
    return inspect(argc - 1, argv + 1);
  ds::tools::ConvertCommandLine cl;
  std::string message;
  if (int rc = exitCodeFor(
          ds::tools::parseConvertCommandLine(argc, argv, cl, message), message);
      rc >= 0)
    return rc;
  spdlog::set_default_logger(spdlog::stderr_color_st("deepseek-convert"));
  spdlog::set_pattern("deepseek-convert: %v");
  spdlog::set_level(spdlog::level::from_str(cl.logLevel));
  ProgressLine progress(!cl.quiet && isatty(STDERR_FILENO));
  cl.compile.onStage = [&](const std::string &key, double ms) {
    // report.json's compile_ms key, in words.
    std::string stage = key;
    std::replace(stage.begin(), stage.end(), '_', ' ');
    if (ms < 0) {
      progress.clear();
      spdlog::info("{}", stage);
      progress.show(stage);
    } else if (spdlog::should_log(spdlog::level::debug)) {
      progress.clear();
      spdlog::debug("{} took {:.1f} ms", stage, ms);
    }
  };
  spdlog::info("compiling {} for {} into {}", cl.compile.inputPath,
               cl.compile.target, cl.compile.outputDir);
  auto status = mlir::ds::compileModel(cl.compile);
  progress.clear();
  if (status == mlir::ds::CompileStatus::Success)
    spdlog::info("wrote {}", cl.compile.outputDir);
  return static_cast<int>(status);
}
