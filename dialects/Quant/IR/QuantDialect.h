//===- QuantDialect.h - the dsq dialect -------------------------*- C++ -*-===//
#ifndef DS_DIALECTS_QUANT_IR_QUANTDIALECT_H
#define DS_DIALECTS_QUANT_IR_QUANTDIALECT_H

#include "dialects/Graph/IR/GraphDialect.h"
#include "mlir/IR/Dialect.h"

#include "dialects/Quant/IR/QuantDialect.h.inc"

#endif
