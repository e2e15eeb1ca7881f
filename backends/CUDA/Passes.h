//===- Passes.h - passes of the CUDA backend --------------------*- C++ -*-===//
#ifndef DS_BACKENDS_CUDA_PASSES_H
#define DS_BACKENDS_CUDA_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Pass/Pass.h"

#include <string>

namespace mlir {
class OpPassManager;
namespace ds {

#define GEN_PASS_DECL
#include "backends/CUDA/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "backends/CUDA/Passes.h.inc"

/// Bufferizes linalg on tensors, turns each op into a kernel for `chip`
/// (compiled to PTX, embedded in the host code) and lowers the host side,
/// which moves data and launches kernels through the runtime's CUDA
/// driver calls, to the LLVM dialect.
void buildCUDACodegenPipeline(OpPassManager &pm, const std::string &chip);

/// Registers the passes above and ds-cuda-codegen-pipeline for deepseek-opt.
void registerCUDACodegenPipeline();

} // namespace ds
} // namespace mlir

#endif
