//===- X86Backend.cpp - x86-64 code generation ----------------------------===//
#include "backends/Common/CPUPipeline.h"
#include "backends/Common/TargetBackend.h"

using namespace mlir;
using namespace mlir::ds;

namespace {
class X86Backend final : public TargetBackend {
public:
  llvm::StringRef name() const override { return "x86_64"; }
  llvm::StringRef triple() const override { return "x86_64-unknown-linux-gnu"; }

  std::string resolveCPU(const TargetOptions &options) const override {
    // Off the host, a portable x86-64 baseline unless told otherwise.
    return cpuFor(llvm::Triple::x86_64, options, "x86-64");
  }

  std::string resolveFeatures(const TargetOptions &options) const override {
    return featuresFor(llvm::Triple::x86_64, options);
  }

  std::vector<std::string> linkerDrivers() const override {
    return driversFor(llvm::Triple::x86_64, "x86_64-linux-gnu-gcc");
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
