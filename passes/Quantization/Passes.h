//===- Passes.h - quantization passes ---------------------------*- C++ -*-===//
#ifndef DS_PASSES_QUANTIZATION_PASSES_H
#define DS_PASSES_QUANTIZATION_PASSES_H

#include "dialects/Graph/IR/GraphOps.h"
#include "dialects/Quant/IR/QuantOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::ds::quant {

#define GEN_PASS_DECL
#include "passes/Quantization/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Quantization/Passes.h.inc"

} // namespace mlir::ds::quant

#endif
