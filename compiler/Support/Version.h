//===- Version.h - What the tools print for --version -----------*- C++ -*-===//
#ifndef DS_COMPILER_SUPPORT_VERSION_H
#define DS_COMPILER_SUPPORT_VERSION_H

#include <string>

namespace ds::support {

/// "TOOL 0.1.0 (git REVISION), LLVM 19.1.7 / MLIR": the project version, the
/// git revision it was built from (with -dirty for local changes) and the
/// LLVM it links.
std::string versionText(const std::string &tool);

} // namespace ds::support

#endif
