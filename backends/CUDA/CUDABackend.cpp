//===- CUDABackend.cpp - NVIDIA GPUs through PTX --------------------------===//
//
// Kernels are compiled to PTX and embedded in an x86-64 host library that
// moves data and launches them through the CUDA driver API, which the
// runtime opens with dlopen: building needs no CUDA installation.
//
//===----------------------------------------------------------------------===//
#include "backends/CUDA/Passes.h"
#include "backends/Common/TargetBackend.h"

using namespace mlir;
using namespace mlir::ds;

namespace {
class CUDABackend final : public TargetBackend {
public:
  llvm::StringRef name() const override { return "cuda"; }
  llvm::StringRef triple() const override { return "x86_64-unknown-linux-gnu"; }
  // The host side only sequences copies and launches: a portable baseline
  // is all it needs, and keeps the artifact independent of the build host.
  std::string resolveCPU(const TargetOptions &options) const override {
    return options.cpu.empty() ? "x86-64" : options.cpu;
  }
  std::string resolveFeatures(const TargetOptions &options) const override {
    return options.features;
  }
  // NVIDIA GPUs compute in fp16 and bf16 (bf16 natively from sm_80 on;
  // LLVM widens it to f32 arithmetic on sm_75).
  std::string missingForPrecision(llvm::StringRef,
                                  const TargetOptions &) const override {
    return "";
  }
  // Ampere, the oldest architecture still common in servers; PTX for it
  // also runs on newer GPUs through the driver's JIT.
  std::string resolveGPU(const TargetOptions &options) const override {
    return options.gpu.empty() ? "sm_80" : options.gpu;
  }
  // The host library is x86-64 code.
  std::vector<std::string> linkerDrivers() const override {
    return driversFor(llvm::Triple::x86_64, "x86_64-linux-gnu-gcc");
  }
  void buildCodegenPipeline(OpPassManager &pm,
                            const TargetOptions &options) const override {
    buildCUDACodegenPipeline(pm, resolveGPU(options));
  }
};
} // namespace

std::unique_ptr<TargetBackend> mlir::ds::createCUDABackend() {
  return std::make_unique<CUDABackend>();
}
