//===- X86Backend.cpp - x86-64 code generation ----------------------------===//
#include "backends/Common/CPUPipeline.h"
#include "backends/Common/LLVMCodegen.h"
#include "backends/Common/TargetBackend.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;
using namespace mlir::ds;

namespace {
class X86Backend final : public TargetBackend {
public:
  llvm::StringRef name() const override { return "x86_64"; }
  llvm::StringRef triple() const override { return "x86_64-unknown-linux-gnu"; }

  bool compilesForHost(const TargetOptions &options) const {
    llvm::Triple host(llvm::sys::getProcessTriple());
    return host.getArch() == llvm::Triple::x86_64 &&
           (options.cpu.empty() || options.cpu == "native" ||
            options.cpu == "host");
  }

  std::string resolveCPU(const TargetOptions &options) const override {
    if (compilesForHost(options))
      return llvm::sys::getHostCPUName().str();
    // Off the host, a portable x86-64 baseline unless told otherwise.
    return options.cpu.empty() ? "x86-64" : options.cpu;
  }

  std::string resolveFeatures(const TargetOptions &options) const override {
    std::string features;
    if (compilesForHost(options)) {
      // Only what this machine really has (hypervisors hide some features
      // the CPU name implies).
      llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
      std::vector<std::string> list;
      for (auto &f : host)
        list.push_back((f.getValue() ? "+" : "-") + f.getKey().str());
      std::sort(list.begin(), list.end());
      for (const std::string &f : list)
        features += (features.empty() ? "" : ",") + f;
    }
    if (!options.features.empty())
      features += (features.empty() ? "" : ",") + options.features;
    return features;
  }

  // bfloat16 where the CPU converts and multiplies it (AVX512-BF16).
  std::string missingForPrecision(llvm::StringRef precision,
                                  const TargetOptions &options) const override {
    if (precision != "bf16")
      return TargetBackend::missingForPrecision(precision, options);
    if (llvm::StringRef(resolveFeatures(options)).contains("+avx512bf16"))
      return "";
    return "--target cuda or a CPU with AVX512-BF16 (the target CPU '" +
           resolveCPU(options) + "' lacks it)";
  }

  /// Whether the target CPU (its name and extra features) has `features`
  /// ("+avx512vnni"), as LLVM's subtarget for it says.
  bool hasFeatures(const TargetOptions &options,
                   llvm::StringRef features) const {
    std::string error;
    std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(
        triple(), resolveCPU(options), resolveFeatures(options), error);
    return tm && tm->getMCSubtargetInfo()->checkFeatures(features);
  }

  void buildCodegenPipeline(OpPassManager &pm,
                            const TargetOptions &options) const override {
    CPUCodegenOptions codegen;
    codegen.vnni = hasFeatures(options, "+avx512vnni,+avx512bw");
    codegen.instrumentLayers = options.instrumentLayers;
    buildCPUCodegenPipeline(pm, codegen);
  }
};
} // namespace

std::unique_ptr<TargetBackend> mlir::ds::createX86Backend() {
  return std::make_unique<X86Backend>();
}
