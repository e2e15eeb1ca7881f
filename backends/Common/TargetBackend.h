//===- TargetBackend.h - the per-target code generation interface -*- C++ -*-===//
//
// A backend turns linalg-on-tensors IR into LLVM dialect for one target and
// names the LLVM target it compiles for. Backends register by name; the
// driver looks them up from --target.
//
//===----------------------------------------------------------------------===//
#ifndef DS_BACKENDS_COMMON_TARGETBACKEND_H
#define DS_BACKENDS_COMMON_TARGETBACKEND_H

#include "llvm/ADT/StringRef.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class OpPassManager;
namespace ds {

struct TargetOptions {
  /// LLVM CPU name; empty means the backend's default (the host CPU for the
  /// target the compiler runs on).
  std::string cpu;
  /// Extra LLVM subtarget features, "+avx512f,-fma" style.
  std::string features;
  /// GPU architecture (sm_80 style) for backends that offload kernels;
  /// empty means the backend's default.
  std::string gpu;
  /// Time every layer (ds-instrument-layers): deepseek-profile's builds;
  /// CPU targets only.
  bool instrumentLayers = false;
};

class TargetBackend {
public:
  virtual ~TargetBackend() = default;
  /// The --target name.
  virtual llvm::StringRef name() const = 0;
  /// LLVM target triple of the generated code.
  virtual llvm::StringRef triple() const = 0;
  /// The CPU to compile for, `options.cpu` resolved against the default.
  virtual std::string resolveCPU(const TargetOptions &options) const = 0;
  /// Subtarget features for `options` (host features when compiling for
  /// the host CPU).
  virtual std::string resolveFeatures(const TargetOptions &options) const = 0;
  /// The GPU architecture kernels are compiled for; "" for CPU backends.
  virtual std::string resolveGPU(const TargetOptions &options) const {
    return "";
  }
  /// What computing in `precision` (fp32, fp16 or bf16) would need that
  /// the target, with `options`, lacks; "" when it has it. Half precision
  /// needs hardware that computes in it: the default is fp32 only.
  virtual std::string missingForPrecision(llvm::StringRef precision,
                                          const TargetOptions &options) const {
    return precision == "fp32" ? "" : "--target cuda";
  }
  /// C compiler drivers that can link the target's shared library, in order
  /// of preference (the first one found is used).
  virtual std::vector<std::string> linkerDrivers() const = 0;
  /// linalg/tensor/arith/math on tensors -> LLVM dialect.
  virtual void buildCodegenPipeline(OpPassManager &pm,
                                    const TargetOptions &options) const = 0;
  /// The largest magnitude of the int8 weight codes the target's int8 dot
  /// products take: 127, or 63 where they sum pairs of products in 16
  /// bits (x86 without VNNI: vpmaddubsw, which 127 x 255 x 2 overflows).
  /// ds-quantize quantizes to it.
  virtual int64_t int8WeightLimit(const TargetOptions &options) const {
    return 127;
  }

  /// Whether an artifact for `options` runs on this machine: the host's
  /// architecture, and every instruction set extension the target CPU has
  /// is the host's too (a znver4 build of int8 products on a Zen 3 host
  /// would stop on its first vpdpbusd).
  bool runsOnHost(const TargetOptions &options) const;

  /// The columns of one register tile of the target's GEMM kernel, which
  /// the layouts made for it are sized to: constant weight panels and
  /// windowed convolutions' columns (ds-convert-graph-to-linalg
  /// register-tile-columns).
  virtual int64_t registerTileColumns(const TargetOptions &options) const {
    return 64;
  }

protected:
  /// The host's drivers when the host is `arch`, else the GNU cross
  /// compiler for it (Debian's gcc-<arch>-linux-gnu).
  static std::vector<std::string> driversFor(llvm::Triple::ArchType arch,
                                             llvm::StringRef crossDriver);
  /// Whether the target CPU (its name and extra features) has `features`
  /// ("+avx512vnni"), as LLVM's subtarget for it says.
  bool hasFeatures(const TargetOptions &options,
                   llvm::StringRef features) const;
};

/// A CPU target of one architecture. On a host of that architecture, no
/// --cpu (or native/host) means the host's CPU with the features it really
/// has (hypervisors hide some its name implies), and the host's C compiler
/// links; elsewhere --cpu, else `baselineCPU`, linked by the GNU cross
/// compiler. Half precision needs the CPU feature `precisionFeature` names.
class CPUTargetBackend : public TargetBackend {
public:
  std::string resolveCPU(const TargetOptions &options) const override;
  std::string resolveFeatures(const TargetOptions &options) const override;
  std::vector<std::string> linkerDrivers() const override;
  std::string missingForPrecision(llvm::StringRef precision,
                                  const TargetOptions &options) const override;

protected:
  CPUTargetBackend(llvm::Triple::ArchType arch, llvm::StringRef baselineCPU,
                   llvm::StringRef crossDriver)
      : arch(arch), baselineCPU(baselineCPU), crossDriver(crossDriver) {}
  /// The LLVM feature (+avx512bf16) a CPU needs to compute in `precision`
  /// (fp16 or bf16), and its name for messages; empty when no CPU of this
  /// architecture does.
  struct PrecisionFeature {
    llvm::StringRef feature, description;
  };
  virtual PrecisionFeature precisionFeature(llvm::StringRef precision) const {
    return {};
  }

private:
  bool compilesForHost(const TargetOptions &options) const;
  llvm::Triple::ArchType arch;
  llvm::StringRef baselineCPU, crossDriver;
};

/// Registers every backend built into this binary; safe to call repeatedly.
void registerAllTargetBackends();
void registerTargetBackend(std::unique_ptr<TargetBackend> backend);
/// nullptr when no backend has that name.
const TargetBackend *lookupTargetBackend(llvm::StringRef name);
std::vector<std::string> registeredTargetNames();

/// Factories of the built-in backends (one per backends/<target>/ library).
std::unique_ptr<TargetBackend> createX86Backend();
std::unique_ptr<TargetBackend> createAArch64Backend();
std::unique_ptr<TargetBackend> createCUDABackend();

} // namespace ds
} // namespace mlir

#endif
