//===- QuantOps.h - dsq ops -------------------------------------*- C++ -*-===//
#ifndef DS_DIALECTS_QUANT_IR_QUANTOPS_H
#define DS_DIALECTS_QUANT_IR_QUANTOPS_H

#include "dialects/Quant/IR/QuantDialect.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/Quant/IR/QuantOps.h.inc"

namespace mlir::ds::quant {
/// The smallest and largest value of an integer element type (`ui*` types
/// unsigned, signless ones signed).
std::pair<int64_t, int64_t> integerRange(Type type);

/// `axis` made non-negative for a tensor of `rank`, or failure.
FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);
} // namespace mlir::ds::quant

#endif
