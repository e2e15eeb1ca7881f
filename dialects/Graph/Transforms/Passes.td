//===- Passes.td - dsg graph optimization passes --------------*- tablegen -*-===//
#ifndef DS_DIALECTS_GRAPH_TRANSFORMS_PASSES
#define DS_DIALECTS_GRAPH_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def RecomposeOpsPass : Pass<"ds-recompose-ops", "func::FuncOp"> {
  let summary = "Rebuild GELU and LayerNormalization from their primitives";
  let description = [{
    Exporters spell GELU as x * 0.5 * (1 + erf(x / sqrt(2))) and layer
    normalization (before opset 17) as mean, subtract, square, mean, add,
    sqrt and divide, followed by a scale and a shift. Each chain becomes one
    dsg.gelu or dsg.layer_norm, which lowers to fewer passes over the data.
  }];
}

def FoldBatchNormPass : Pass<"ds-fold-batch-norm", "func::FuncOp"> {
  let summary = "Fold inference BatchNormalization into Conv, Gemm or MatMul";
  let description = [{
    A batch_norm whose input is the only use of a conv (or a 2-D gemm or
    matmul) with constant weights is folded at compile time: each output
    channel's weights are scaled by gamma / sqrt(var + eps) and the bias
    becomes (bias - mean) * scale + beta.
  }];
}

def FuseMatMulBiasPass : Pass<"ds-fuse-matmul-bias", "func::FuncOp"> {
  let summary = "Fold an Add after MatMul (or Gemm without C) into its bias";
}

def FuseActivationPass : Pass<"ds-fuse-activation", "func::FuncOp"> {
  let summary = "Fold an activation into the Conv, Gemm or MatMul feeding it";
  let description = [{
    Relu, Clip with constant bounds (ReLU6), LeakyRelu, Sigmoid,
    HardSigmoid, HardSwish, Tanh and Gelu become the producer's epilogue
    (its `activation` attributes), applied in place to its result. Only
    when the producer has no other user: a value that is also a graph
    output or feeds another op keeps its own activation op.
  }];
}

#endif
