//===- Options.h - deepseek-convert command-line parsing --------*- C++ -*-===//
#ifndef DS_TOOLS_DEEPSEEK_CONVERT_OPTIONS_H
#define DS_TOOLS_DEEPSEEK_CONVERT_OPTIONS_H

#include "compiler/Driver/Driver.h"

#include <string>

namespace ds::tools {

struct ConvertCommandLine {
  mlir::ds::CompileOptions compile;
  /// error, warn, info or debug (-v means info); --quiet means error and
  /// no progress display.
  std::string logLevel = "warn";
  bool quiet = false;
};

enum class ParseOutcome {
  Run,      // options are valid: compile
  ExitOk,   // --help or --version was printed
  BadUsage, // message holds what is wrong
};

/// `deepseek-convert inspect MODEL [--json]`.
struct InspectCommandLine {
  std::string model;
  bool json = false;
};

/// Parses the arguments after `inspect`.
ParseOutcome parseInspectCommandLine(int argc, const char *const *argv,
                                     InspectCommandLine &out,
                                     std::string &message);

/// Parses one --input-shape value, `NAME:1x3x224x224`, into `shapes`;
/// false with `error` set when it is malformed or names an input twice.
bool parseInputShape(const std::string &text,
                     std::map<std::string, std::vector<int64_t>> &shapes,
                     std::string &error);

/// Parses deepseek-convert's arguments, and the --config file (YAML or
/// JSON: a mapping from long option names to values or lists, which the
/// command line overrides). Help and version text go to `message` too.
ParseOutcome parseConvertCommandLine(int argc, const char *const *argv,
                                     ConvertCommandLine &out,
                                     std::string &message);

} // namespace ds::tools

#endif
