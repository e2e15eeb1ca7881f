//===- Platforms.cpp - Deployment platform presets ------------------------===//

#include "compiler/Support/Platforms.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iterator>

namespace ds::support {
namespace {

constexpr const char *kX86Triple = "x86_64-unknown-linux-gnu";
constexpr const char *kAArch64Triple = "aarch64-unknown-linux-gnu";
// Debian's multiarch directory name: where a cross-built runtime would sit
// beside the host one.
constexpr const char *kAArch64Runtime = "aarch64-linux-gnu/libds_runtime.so";

// The CPU choices follow LLVM's names for the oldest core of each kind:
// compiling for them gives code every member of the platform runs.
const std::vector<Platform> kPlatforms = {
    {"x86-avx2", "x86-64 with AVX2 and FMA (Intel Haswell, AMD Zen and newer)",
     "x86_64", "x86_64", kX86Triple, "haswell", "", "libds_runtime.so"},
    {"x86-avx512",
     "x86-64 with AVX-512 F/CD/BW/DQ/VL (Intel Skylake-SP, AMD Zen 4 and "
     "newer)",
     "x86_64", "x86_64", kX86Triple, "skylake-avx512", "", "libds_runtime.so"},
    // The host side of a cuda artifact only sequences copies and launches:
    // deepseek-convert compiles it for the x86-64 baseline.
    {"cuda-sm75", "NVIDIA Turing GPUs (sm_75) and newer, x86-64 host", "cuda",
     "x86_64", kX86Triple, "x86-64", "sm_75", "libds_runtime.so"},
    {"cuda-sm80", "NVIDIA Ampere A100 (sm_80) and newer, x86-64 host", "cuda",
     "x86_64", kX86Triple, "x86-64", "sm_80", "libds_runtime.so"},
    {"cuda-sm86", "NVIDIA Ampere RTX 30xx/A10 (sm_86) and newer, x86-64 host",
     "cuda", "x86_64", kX86Triple, "x86-64", "sm_86", "libds_runtime.so"},
    {"cuda-sm89", "NVIDIA Ada (sm_89) and newer, x86-64 host", "cuda", "x86_64",
     kX86Triple, "x86-64", "sm_89", "libds_runtime.so"},
    {"cuda-sm90", "NVIDIA Hopper H100 (sm_90), x86-64 host", "cuda", "x86_64",
     kX86Triple, "x86-64", "sm_90", "libds_runtime.so"},
    {"raspberrypi", "Raspberry Pi 4 (Cortex-A72, 64-bit OS)", "aarch64",
     "aarch64", kAArch64Triple, "cortex-a72", "", kAArch64Runtime},
    {"jetson-nano", "NVIDIA Jetson Nano CPU (Cortex-A57, 64-bit)", "aarch64",
     "aarch64", kAArch64Triple, "cortex-a57", "", kAArch64Runtime},
};

bool startsWith(const std::string &text, const char *prefix) {
  return text.compare(0, std::strlen(prefix), prefix) == 0;
}

// "sm_86" -> 86, or -1.
int smVersion(const std::string &gpu) {
  if (!startsWith(gpu, "sm_") || gpu.size() == 3)
    return -1;
  char *end = nullptr;
  long v = std::strtol(gpu.c_str() + 3, &end, 10);
  return *end == '\0' && v > 0 ? static_cast<int>(v) : -1;
}

std::string joined(const std::vector<std::string> &items) {
  std::string out;
  for (const std::string &item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

} // namespace

const std::vector<Platform> &platforms() { return kPlatforms; }

const Platform *findPlatform(const std::string &name) {
  for (const Platform &p : kPlatforms)
    if (name == p.name)
      return &p;
  return nullptr;
}

std::string platformNames() {
  std::vector<std::string> names;
  for (const Platform &p : kPlatforms)
    names.push_back(p.name);
  return joined(names);
}

std::string convertFlags(const Platform &platform) {
  std::string flags = std::string("--target ") + platform.target;
  // The cuda host CPU is deepseek-convert's default already.
  if (std::strcmp(platform.target, "cuda") != 0)
    flags += std::string(" --cpu ") + platform.cpu;
  if (*platform.gpu)
    flags += std::string(" --gpu ") + platform.gpu;
  return flags;
}

bool isInstructionSetFeature(const std::string &arch,
                             const std::string &feature) {
  // Extensions LLVM's instruction selection and vectorizers use without
  // being asked through intrinsics. Tuning flags ("fast-gather") and
  // system or crypto instructions ("rdrnd", "aes") are left out: a model
  // never executes them, and counting them would refuse, say, a Broadwell
  // build (adx, rdseed) for x86-avx2 for no reason.
  static const char *const x86[] = {
      "sse",    "ssse3",      "avx",  "fma",  "f16c",    "bmi",  "lzcnt",
      "popcnt", "movbe",      "xop",  "tbm",  "evex512", "amx-", "gfni",
      "vaes",   "vpclmulqdq", "cmov", "cx16", "sahf"};
  static const char *const aarch64[] = {
      "neon",      "fp-armv8", "fullfp16", "fp16fml", "dotprod", "i8mm", "bf16",
      "sve",       "sme",      "lse",      "rcpc",    "v8",      "v9",   "crc",
      "complxnum", "rdm",      "jsconv",   "f32mm",   "f64mm"};
  auto matches = [&](const auto &prefixes) {
    return std::any_of(std::begin(prefixes), std::end(prefixes),
                       [&](const char *p) { return startsWith(feature, p); });
  };
  if (arch == "x86_64")
    return matches(x86);
  if (arch == "aarch64")
    return matches(aarch64);
  return false;
}

std::string checkCompatible(const Platform &platform,
                            const ArtifactTarget &artifact,
                            const CpuFeatureLookup &lookup,
                            std::vector<std::string> *artifactFeatures) {
  std::string recompile =
      std::string("recompile with deepseek-convert ") + convertFlags(platform);
  if (artifact.target != platform.target)
    return "it was compiled for --target " + artifact.target + ", but " +
           platform.name + " needs --target " + platform.target + " code; " +
           recompile;

  // The host code's instruction set.
  std::set<std::string> have, allowed;
  std::string error;
  if (!lookup(platform.triple, artifact.cpu, artifact.features, have, error))
    return "its CPU '" + artifact.cpu + "': " + error;
  if (!lookup(platform.triple, platform.cpu, "", allowed, error))
    return std::string("platform ") + platform.name + " CPU '" + platform.cpu +
           "': " + error;
  std::vector<std::string> missing;
  for (const std::string &f : have) {
    if (!isInstructionSetFeature(platform.arch, f))
      continue;
    if (artifactFeatures)
      artifactFeatures->push_back(f);
    if (!allowed.count(f))
      missing.push_back(f);
  }
  if (!missing.empty())
    return "it was compiled for CPU '" + artifact.cpu + "', whose " +
           joined(missing) + " instructions not every " + platform.name +
           " machine has (baseline: " + platform.cpu + "); " + recompile;

  if (*platform.gpu) {
    int want = smVersion(platform.gpu);
    int got = smVersion(artifact.gpu);
    if (got < 0)
      return "it records no valid GPU architecture (gpu '" + artifact.gpu +
             "')";
    // PTX is forward compatible: the driver compiles older PTX for newer
    // GPUs, never the other way round.
    if (got > want)
      return "its PTX is for " + artifact.gpu + ", which " + platform.gpu +
             " GPUs cannot run; " + recompile;
  }
  return "";
}

} // namespace ds::support
