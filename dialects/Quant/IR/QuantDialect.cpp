//===- QuantDialect.cpp - the dsq dialect ---------------------------------===//
#include "dialects/Quant/IR/QuantDialect.h"
#include "dialects/Graph/IR/GraphOps.h"
#include "dialects/Quant/IR/QuantOps.h"

using namespace mlir;
using namespace mlir::ds::quant;

#include "dialects/Quant/IR/QuantDialect.cpp.inc"

void QuantDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Quant/IR/QuantOps.cpp.inc"
      >();
}
