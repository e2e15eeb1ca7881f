//===- X86Backend.cpp - x86-64 code generation ----------------------------===//
#include "backends/Common/CPUPipeline.h"
#include "backends/Common/TargetBackend.h"

using namespace mlir;
using namespace mlir::ds;

namespace {
/// The columns of the AVX2 register tile: two 8-float vectors.
constexpr int64_t kAVX2Columns = 16;

class X86Backend final : public CPUTargetBackend {
public:
  // Off the host, a portable x86-64 baseline unless told otherwise.
  X86Backend()
      : CPUTargetBackend(llvm::Triple::x86_64, "x86-64",
                         "x86_64-linux-gnu-gcc") {}
  llvm::StringRef name() const override { return "x86_64"; }
  llvm::StringRef triple() const override { return "x86_64-unknown-linux-gnu"; }

  // bfloat16 where the CPU converts and multiplies it; no fp16.
  PrecisionFeature precisionFeature(llvm::StringRef precision) const override {
    if (precision == "bf16")
      return {"+avx512bf16", "a CPU with AVX512-BF16"};
    return {};
  }

  /// Without VNNI, int8 products sum pairs of uint8 x int8 products in 16
  /// bits (vpmaddubsw) where AVX2 or AVX-512BW has it: "avx2", "avx512bw",
  /// or "" (VNNI, or neither).
  std::string pairDots(const TargetOptions &options) const {
    if (hasFeatures(options, "+avx512vnni,+avx512bw"))
      return "";
    if (hasFeatures(options, "+avx512bw"))
      return "avx512bw";
    return hasFeatures(options, "+avx2") ? "avx2" : "";
  }

  // Pairs summed in 16 bits: weights over 63 could overflow them.
  int64_t int8WeightLimit(const TargetOptions &options) const override {
    return pairDots(options).empty() ? 127 : 63;
  }

  /// AVX2's register tile is 16 columns wide (see buildCodegenPipeline):
  /// panels of 64 put the rows of a tile's panel 256 bytes apart, in a
  /// quarter of the L1 sets, where it could not stay (fp32 GEMM 1024,
  /// Zen 3: 32.1 -> 28.7 ms with 16-wide panels grouped per cache tile),
  /// and windowed convolutions rounded up to 64 columns computed 256 for
  /// 224 at 14x14.
  int64_t registerTileColumns(const TargetOptions &options) const override {
    return hasFeatures(options, "+avx512f") ? 64 : kAVX2Columns;
  }

  void buildCodegenPipeline(OpPassManager &pm,
                            const TargetOptions &options) const override {
    CPUCodegenOptions codegen;
    codegen.vnni = hasFeatures(options, "+avx512vnni,+avx512bw");
    codegen.pairDots = pairDots(options);
    // Without AVX-512 the vectors are 8 floats and there are 16 of them:
    // the 6x16 tile (12 accumulators, 2 columns and a broadcast) instead
    // of AVX-512's 8x32 and 6x64, which spilled (MLP at batch 64 for
    // haswell: 14.4 ms, 4x AVX-512's time).
    if (!hasFeatures(options, "+avx512f")) {
      codegen.registerRows = 6;
      codegen.registerColumns = kAVX2Columns;
      codegen.wideRegisterTiles = false;
    }
    codegen.instrumentLayers = options.instrumentLayers;
    buildCPUCodegenPipeline(pm, codegen);
  }
};
} // namespace

std::unique_ptr<TargetBackend> mlir::ds::createX86Backend() {
  return std::make_unique<X86Backend>();
}
