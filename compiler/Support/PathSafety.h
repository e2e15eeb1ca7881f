//===- PathSafety.h - Keep model-supplied paths inside their directory ----===//
//
// ONNX external-data locations come from the model file, which may be
// hostile: they must not reach files outside the model's directory.
//
//===----------------------------------------------------------------------===//

#ifndef DS_COMPILER_SUPPORT_PATHSAFETY_H
#define DS_COMPILER_SUPPORT_PATHSAFETY_H

#include <string>

namespace ds::support {

/// Resolves `relative` against `baseDir`. Rejects empty and absolute paths,
/// any ".." component, files that do not exist or are not regular files, and
/// paths whose canonical form (symlinks resolved) lies outside the canonical
/// `baseDir`. On success `resolved` is the canonical path.
bool resolveInside(const std::string &baseDir, const std::string &relative,
                   std::string &resolved, std::string &error);

} // namespace ds::support

#endif // DS_COMPILER_SUPPORT_PATHSAFETY_H
