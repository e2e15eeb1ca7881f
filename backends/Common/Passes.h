//===- Passes.h - passes shared by the CPU backends -------------*- C++ -*-===//
#ifndef DS_BACKENDS_COMMON_PASSES_H
#define DS_BACKENDS_COMMON_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::ds {

#define GEN_PASS_DECL
#include "backends/Common/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "backends/Common/Passes.h.inc"

} // namespace mlir::ds

#endif
