//===- PackageFiles.h - Generated files of a deployment package -*- C++ -*-===//
//
// The example program, its Makefile and the README that go into every
// package. Their text depends only on the platform and the model's
// tensors, so packages stay reproducible.
//
//===----------------------------------------------------------------------===//

#ifndef DS_TOOLS_DEEPSEEK_PACKAGE_PACKAGEFILES_H
#define DS_TOOLS_DEEPSEEK_PACKAGE_PACKAGEFILES_H

#include "compiler/Support/Platforms.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ds::package {

/// Where the package puts what, relative to its top-level directory.
inline constexpr const char *kModelDir = "model";
inline constexpr const char *kRuntimeHeader = "include/ds_runtime.h";
inline constexpr const char *kRuntimeLibrary = "lib/libds_runtime.so";
inline constexpr const char *kManifest = "manifest.json";
inline constexpr const char *kExample = "example.c";
inline constexpr const char *kMakefile = "Makefile";
inline constexpr const char *kReadme = "README.txt";

/// The command that builds example.c, run in the package directory.
inline constexpr const char *kBuildCommand =
    "cc -O2 -std=c11 -Iinclude -o example example.c -Llib -lds_runtime "
    "-Wl,-rpath,'$ORIGIN/lib'";

struct TensorDesc {
  std::string name;
  int dtype = 0;              ///< ONNX TensorProto data type
  std::vector<int64_t> shape; ///< -1 marks a dynamic dim
};

/// "float32" for ONNX's FLOAT and so on; "unknown" for other codes.
const char *dtypeName(int onnxDtype);

/// A C program that loads the packaged model through ds_runtime.h, runs it
/// once on zero inputs and prints every output's shape.
std::string exampleSource();

/// Builds example.c against the packaged header and library.
std::string makefileText();

/// How to build and run the example on the platform. `files` are the
/// package's files (relative paths), `outputs` the model's outputs.
std::string readmeText(const std::string &packageName,
                       const ds::support::Platform &platform,
                       const ds::support::ArtifactTarget &artifact,
                       const std::vector<std::string> &files,
                       const std::vector<TensorDesc> &outputs);

} // namespace ds::package

#endif // DS_TOOLS_DEEPSEEK_PACKAGE_PACKAGEFILES_H
