//===- GraphDialect.h - the dsg dialect -------------------------*- C++ -*-===//
#ifndef DS_DIALECTS_GRAPH_IR_GRAPHDIALECT_H
#define DS_DIALECTS_GRAPH_IR_GRAPHDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Dialect.h"

#include "dialects/Graph/IR/GraphDialect.h.inc"

#endif
