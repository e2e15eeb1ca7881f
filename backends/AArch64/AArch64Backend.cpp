//===- AArch64Backend.cpp - AArch64 (NEON) code generation ----------------===//
//
// Same pipeline as x86-64, with register tiles sized for NEON's 32 128-bit
// registers and int8 dot products on sdot where the CPU has dotprod. Off
// an aarch64 host, the artifact is linked by the GNU cross toolchain.
//
//===----------------------------------------------------------------------===//
#include "backends/Common/CPUPipeline.h"
#include "backends/Common/TargetBackend.h"

using namespace mlir;
using namespace mlir::ds;

namespace {
class AArch64Backend final : public CPUTargetBackend {
public:
  // Off the host, ARMv8-A with NEON: what every 64-bit Arm core runs. A
  // CPU name implies its features (cortex-a76: dotprod, fullfp16).
  AArch64Backend()
      : CPUTargetBackend(llvm::Triple::aarch64, "generic",
                         "aarch64-linux-gnu-gcc") {}
  llvm::StringRef name() const override { return "aarch64"; }
  llvm::StringRef triple() const override {
    return "aarch64-unknown-linux-gnu";
  }

  // Half precision where the core computes in it: fp16 with Armv8.2
  // fullfp16 (cortex-a76, neoverse-n1), bfloat16 with Armv8.6 bf16.
  PrecisionFeature precisionFeature(llvm::StringRef precision) const override {
    if (precision == "fp16")
      return {"+fullfp16", "an Arm core with fullfp16"};
    if (precision == "bf16")
      return {"+bf16", "an Arm core with bf16"};
    return {};
  }

  void buildCodegenPipeline(OpPassManager &pm,
                            const TargetOptions &options) const override {
    CPUCodegenOptions codegen;
    // 8 x 8 fp32 accumulators are 16 of the 32 NEON registers, leaving
    // room for the operands (AVX-512's 8 x 32 would spill).
    codegen.registerRows = 8;
    codegen.registerColumns = 8;
    codegen.sdot = hasFeatures(options, "+dotprod");
    codegen.instrumentLayers = options.instrumentLayers;
    buildCPUCodegenPipeline(pm, codegen);
  }
};
} // namespace

std::unique_ptr<TargetBackend> mlir::ds::createAArch64Backend() {
  return std::make_unique<AArch64Backend>();
}
