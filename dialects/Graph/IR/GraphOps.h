//===- GraphOps.h - dsg ops -------------------------------------*- C++ -*-===//
#ifndef DS_DIALECTS_GRAPH_IR_GRAPHOPS_H
#define DS_DIALECTS_GRAPH_IR_GRAPHOPS_H

#include "dialects/Graph/IR/GraphDialect.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/Graph/IR/GraphOps.h.inc"

namespace mlir::ds::graph {
/// The numpy broadcast of two static shapes, or failure when incompatible.
FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                ArrayRef<int64_t> b);

/// Whether Conv, Gemm and MatMul can carry `name` as a fused activation
/// with `numParams` constants: relu, tanh, sigmoid, hard_swish, gelu,
/// gelu_tanh (none), leaky_relu (alpha), clip and hard_sigmoid (two).
bool isFusableActivation(llvm::StringRef name, size_t numParams);

/// The dsg ops computing fused activation `name` (see isFusableActivation)
/// on `input`: the inverse of ds-fuse-activation, for passes that replace
/// a Conv, Gemm or MatMul by other ops and keep its epilogue.
Value buildActivation(OpBuilder &b, Location loc, llvm::StringRef name,
                      ArrayRef<float> params, Value input);

/// The ONNX node an op came from (its NameLoc), or "".
std::string nodeName(Operation *op);

/// FLOPs of a dsg or dsq op from its static shapes: two per multiply-add
/// for Conv, Gemm and the matrix products, one per result element for
/// everything else; 0 where a shape it needs is dynamic.
int64_t estimateFlops(Operation *op);

/// `dense` permuted as a transpose with `perm` would (result dim i is input
/// dim perm[i]); null unless the elements are whole bytes and the shape is
/// static.
DenseElementsAttr transposeConstant(DenseElementsAttr dense,
                                    ArrayRef<int64_t> perm,
                                    RankedTensorType resultType);
} // namespace mlir::ds::graph

#endif
