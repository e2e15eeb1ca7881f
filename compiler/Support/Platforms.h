//===- Platforms.h - Deployment platform presets ----------------*- C++ -*-===//
//
// The named platforms an artifact can be packaged for (and, later, compiled
// for): one table so deepseek-package and deepseek-convert agree on what
// "raspberrypi" or "x86-avx2" means. Plain C++: the CPU feature sets come
// from a caller-supplied lookup (LLVM's, in the tools), so this library
// stays free of LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef DS_COMPILER_SUPPORT_PLATFORMS_H
#define DS_COMPILER_SUPPORT_PLATFORMS_H

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace ds::support {

struct Platform {
  /// What --platform takes: "x86-avx2".
  const char *name;
  /// One line for --help and the package README.
  const char *description;
  /// deepseek-convert --target: "x86_64", "cuda" or "aarch64".
  const char *target;
  /// The instruction set of the host code and of the runtime library:
  /// "x86_64" or "aarch64" (cuda artifacts are x86-64 host libraries).
  const char *arch;
  /// LLVM triple of the host code.
  const char *triple;
  /// LLVM CPU name that deepseek-convert compiles for. Its instruction set
  /// is also what every machine of the platform is taken to have: an
  /// artifact may use no instruction-set feature outside it.
  const char *cpu;
  /// CUDA architecture ("sm_80") for GPU platforms, "" otherwise. PTX for an
  /// older architecture also runs (the driver compiles it), never newer.
  const char *gpu;
  /// The runtime-stub library for this platform, relative to the directory
  /// holding the host's libds_runtime.so.
  const char *runtimeLibrary;
};

/// Every preset, in the order --help lists them.
const std::vector<Platform> &platforms();

/// The preset called `name`, or null.
const Platform *findPlatform(const std::string &name);

/// "x86-avx2, x86-avx512, ..." for error messages.
std::string platformNames();

/// The deepseek-convert flags that compile for `platform`:
/// "--target x86_64 --cpu haswell".
std::string convertFlags(const Platform &platform);

/// Whether `feature` (an LLVM subtarget feature of `arch`) selects
/// instructions the code generator may emit on its own, as opposed to
/// tuning hints ("slow-3ops-lea") or system instructions no model uses
/// ("rdrnd"). Only these decide whether an artifact fits a platform.
bool isInstructionSetFeature(const std::string &arch,
                             const std::string &feature);

/// What an artifact was compiled for, as its report.json records it.
struct ArtifactTarget {
  std::string target;   ///< "x86_64", "cuda", "aarch64"
  std::string cpu;      ///< LLVM CPU name
  std::string features; ///< extra "+f,-g" LLVM features; "" if not recorded
  std::string gpu;      ///< "sm_80", or "" for CPU targets
};

/// Fills `features` with every LLVM subtarget feature enabled for `cpu` on
/// `triple` with the extra `extra` ("+avx2,-fma") features, implied ones
/// included. Returns false with `error` set when LLVM does not know them.
using CpuFeatureLookup = std::function<bool(
    const std::string &triple, const std::string &cpu, const std::string &extra,
    std::set<std::string> &features, std::string &error)>;

/// Empty when an artifact compiled for `artifact` runs on every machine of
/// `platform`; otherwise one sentence saying why not and how to recompile.
/// `artifactFeatures`, when non-null, receives the instruction-set features
/// the artifact's CPU has (for the package manifest).
std::string
checkCompatible(const Platform &platform, const ArtifactTarget &artifact,
                const CpuFeatureLookup &lookup,
                std::vector<std::string> *artifactFeatures = nullptr);

} // namespace ds::support

#endif // DS_COMPILER_SUPPORT_PLATFORMS_H
