//===- CPUPipeline.h - linalg to LLVM dialect for CPUs ----------*- C++ -*-===//
#ifndef DS_BACKENDS_COMMON_CPUPIPELINE_H
#define DS_BACKENDS_COMMON_CPUPIPELINE_H

#include <cstdint>
#include <string>

namespace mlir {
class OpPassManager;
namespace ds {

struct CPUCodegenOptions {
  /// The target has AVX-512 VNNI: int8 contractions use vpdpbusd.
  bool vnni = false;
  /// The target has Armv8.2 dotprod: int8 contractions use sdot.
  bool sdot = false;
  /// x86 without VNNI: int8 contractions on vpmaddubsw + vpmaddwd, "avx2"
  /// or "avx512bw" ("": none).
  std::string pairDots;
  /// Register tile (ds-vectorize-contractions mr x nr), sized for the
  /// target's vector registers; the default suits AVX-512's 32 zmm.
  int64_t registerRows = 8;
  int64_t registerColumns = 32;
  /// Whether the register tile may take 3/4 of its rows by twice its
  /// columns (ds-vectorize-contractions wide-tiles).
  bool wideRegisterTiles = true;
  /// A timestamp call at every layer boundary (ds-instrument-layers).
  bool instrumentLayers = false;
};

/// Tensors to buffers: outputs become caller-owned arguments of the graph
/// function. For host memory (`hostBuffers`), results reached through
/// reshapes are computed in those arguments (ds-write-results-in-place) and
/// MLIR's ownership-based deallocation frees the temporaries; a backend
/// that places buffers elsewhere (the GPU's) copies and frees them itself.
void buildBufferizationPipeline(OpPassManager &pm, bool hostBuffers);

/// Bufferizes linalg on tensors (outputs become caller-provided arguments),
/// lowers to loops and then to the LLVM dialect with the bare-pointer calling
/// convention the artifact entry point uses.
void buildCPUCodegenPipeline(OpPassManager &pm,
                             const CPUCodegenOptions &options);

/// Loops (affine, scf) to the cf dialect and memref views to explicit
/// offsets and strides: the first steps of host code and of GPU kernels.
void buildLoopsToControlFlowPipeline(OpPassManager &pm);

/// Lowers host code (loops, memrefs, math, vectors, calls into the runtime,
/// and with `launchesGPUKernels` gpu copies, frees and launches) to the
/// LLVM dialect.
void buildHostToLLVMPipeline(OpPassManager &pm, bool launchesGPUKernels);

/// Registers ds-cpu-codegen-pipeline for deepseek-opt.
void registerCPUCodegenPipeline();

} // namespace ds
} // namespace mlir

#endif
