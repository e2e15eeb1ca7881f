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

def FuseBiasPass : Pass<"ds-fuse-bias", "func::FuncOp"> {
  let summary = "Fold an Add after MatMul, Gemm or Conv into its bias";
  let description = [{
    MatMul + Add (any bias that broadcasts into the product) becomes a
    biased matmul; Gemm without C + Add gets C; Conv without bias + Add of a
    per-channel constant ([C, 1, ...] or [1, C, 1, ...]) gets the bias.
  }];
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

def PruneWeightsPass : Pass<"ds-prune-weights", "func::FuncOp"> {
  let summary = "Prune Conv, Gemm and MatMul weights to a target sparsity";
  let description = [{
    Unstructured (default): the smallest-magnitude weights of each layer, or
    of all layers together with `global`, are set to zero. Structured: whole
    output channels (Conv filters, Gemm/MatMul output features) with the
    smallest L1 norm are removed with their bias, and the shapes follow
    through per-channel ops (BatchNorm, activations, pools) to the input
    channels of the next Conv, Gemm or MatMul; a layer whose channels reach
    a residual Add, a graph output or any other op is left whole and the
    reason recorded. Each layer's sparsity, weight bytes and FLOPs before
    and after go to the function's `ds.pruning` attribute for the report.
  }];
  let options = [
    Option<"sparsity", "sparsity", "double", "0.0",
           "Fraction of the weights (or channels) to remove, in [0, 1)">,
    Option<"structured", "structured", "bool", "false",
           "Remove whole output channels ranked by L1 norm">,
    Option<"global", "global", "bool", "false",
           "One magnitude threshold over all layers (unstructured)">,
    ListOption<"exclude", "exclude", "std::string",
               "Node names whose weights stay whole">,
  ];
}

#endif
