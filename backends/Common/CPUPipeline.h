//===- CPUPipeline.h - linalg to LLVM dialect for CPUs ----------*- C++ -*-===//
#ifndef DS_BACKENDS_COMMON_CPUPIPELINE_H
#define DS_BACKENDS_COMMON_CPUPIPELINE_H

namespace mlir {
class OpPassManager;
namespace ds {

struct CPUCodegenOptions {};

/// Bufferizes linalg on tensors (outputs become caller-provided arguments),
/// lowers to loops and then to the LLVM dialect with the bare-pointer calling
/// convention the artifact entry point uses.
void buildCPUCodegenPipeline(OpPassManager &pm,
                             const CPUCodegenOptions &options);

/// Registers ds-cpu-codegen-pipeline for deepseek-opt.
void registerCPUCodegenPipeline();

} // namespace ds
} // namespace mlir

#endif
