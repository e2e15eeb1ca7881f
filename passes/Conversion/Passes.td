//===- Passes.td - dsg lowering passes -----------------------*- tablegen -*-===//
#ifndef DS_CONVERSION_PASSES
#define DS_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def ConvertGraphToLinalgPass : Pass<"ds-convert-graph-to-linalg", "ModuleOp"> {
  let summary = "Lower dsg ops to linalg, tensor, arith and math";
  let description = [{
    Every dsg op becomes destination-passing linalg/tensor IR on tensors, so
    the backends tile, vectorize and bufferize it with upstream passes.
    Unsigned integer tensors become signless; the ops that care (division,
    comparison, casts) pick the unsigned arith op from the dsg types.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::func::FuncDialect"
  ];
}

#endif
