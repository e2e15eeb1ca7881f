//===- Version.cpp - What the tools print for --version -------------------===//
#include "compiler/Support/Version.h"

#include "compiler/Support/GitRevision.inc"

#include "llvm/Config/llvm-config.h"

std::string ds::support::versionText(const std::string &tool) {
  return tool + " " DS_PROJECT_VERSION " (git " DS_GIT_REVISION
                "), LLVM " LLVM_VERSION_STRING " / MLIR";
}
