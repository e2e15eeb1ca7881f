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
  let options = [
    Option<"int8DotLimit", "int8-dot-limit", "int64_t", "127",
           "An int8 product with constant weights takes dot-product groups "
           "only when every weight code is within this magnitude (63 where "
           "the target's dot products sum pairs in 16 bits); others keep "
           "the plain form">,
    Option<"registerTileColumns", "register-tile-columns", "int64_t", "64",
           "Columns of the CPU GEMM kernel's register tile (64 for "
           "AVX-512, 16 for AVX2), which sizes the layouts made for it: "
           "the panels a constant float MatMul/Gemm weight is packed in "
           "(products of under 4 rows keep 64), a windowed convolution's "
           "computed columns and a convolution's weight panels when its "
           "pixels go as rows">,
    Option<"groupTiles", "group-tiles", "bool", "true",
           "Lower a weight-only product over 4 rows or more as tiles of "
           "unpacked groups multiplied on the CPU GEMM kernel, in "
           "thread-pool tasks (off for the GPU, which takes one kernel per "
           "linalg op)">,
    Option<"winograd", "winograd", "bool", "true",
           "Lower a dense 3x3 stride-1 f32 convolution with constant "
           "weights, at least 32 channels in and out, 16 tiles of 2x2 "
           "outputs and up to 4 MB of transformed weights through "
           "Winograd's F(2x2, 3x3): 4/9 of the multiply-adds, as 16 GEMMs "
           "between additions-only transforms, in chunks of output rows "
           "whose transformed input (up to 2 MB) stays in cache (off for "
           "the GPU and for f16/bf16 precision, and to compute every "
           "convolution directly)">
  ];
}

def FuseElementwiseProducersPass
    : Pass<"ds-fuse-elementwise-producers", "func::FuncOp"> {
  let summary = "Fuse elementwise linalg producers into their consumers "
                "where no element is computed twice";
  let description = [{
    Elementwise chains (bias, activation, broadcasts) become one loop nest,
    so no intermediate buffer is allocated, and reshapes are folded through
    them by expansion. A producer is fused into a consumer only when it has
    no other user and either the consumer has no reduction loop or reads
    the producer through a permutation map. The second rule keeps a GELU
    or a softmax normalization out of the matmul that follows it: fused, it
    would be recomputed for every column of the product, and the matmul
    would stop being a contraction the backend can block and vectorize.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::tensor::TensorDialect"];
}

def LowerPrecisionPass : Pass<"ds-lower-precision", "func::FuncOp"> {
  let summary = "Compute a float32 graph in float16 or bfloat16";
  let description = [{
    Runs on linalg on tensors, before elementwise fusion. Every f32 tensor,
    constant and computation inside the function becomes `element-type`
    (weights are rounded to it at compile time, halving their bytes),
    except where float32 matters for accuracy:

    - ops that reduce (matmul, convolution, sums, maxima) read their inputs
      in the lower precision but accumulate and produce float32, then
      round their result;
    - math functions (exp, tanh, erf, ...) are evaluated in float32 on
      rounded inputs.

    The function's arguments and results stay float32, rounded on entry
    and widened on exit, so the artifact's interface does not change.
  }];
  let options = [
    Option<"elementType", "element-type", "std::string", "\"f16\"",
           "f16 or bf16">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif
