//===- GraphOps.td - dsg op definitions ----------------------*- tablegen -*-===//

#ifndef DS_GRAPH_OPS
#define DS_GRAPH_OPS

include "dialects/Graph/IR/GraphBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/CommonAttrConstraints.td"

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Graph_ConstantOp : Graph_Op<"constant", [ConstantLike, Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "A constant tensor (initializer or ONNX Constant)";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

class Graph_UnaryOp<string mnemonic, string desc, list<Trait> traits = []>
    : Graph_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultShape], traits)> {
  let summary = desc;
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

// Unary ops whose result has the operand's type.
class Graph_SameTypeUnaryOp<string mnemonic, string desc>
    : Graph_UnaryOp<mnemonic, desc, [SameOperandsAndResultType]> {
  let arguments = (ins Graph_Tensor:$input);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Graph_NegOp : Graph_SameTypeUnaryOp<"neg", "-x"> { let hasFolder = 1; }
def Graph_AbsOp : Graph_SameTypeUnaryOp<"abs", "|x|">;
def Graph_SqrtOp : Graph_SameTypeUnaryOp<"sqrt", "square root">;
def Graph_ExpOp : Graph_SameTypeUnaryOp<"exp", "e^x">;
def Graph_LogOp : Graph_SameTypeUnaryOp<"log", "natural logarithm">;
def Graph_ErfOp : Graph_SameTypeUnaryOp<"erf", "error function">;
def Graph_ReluOp : Graph_SameTypeUnaryOp<"relu", "max(x, 0)">;
def Graph_SigmoidOp : Graph_SameTypeUnaryOp<"sigmoid", "1 / (1 + e^-x)">;
def Graph_TanhOp : Graph_SameTypeUnaryOp<"tanh", "hyperbolic tangent">;
def Graph_ReciprocalOp : Graph_SameTypeUnaryOp<"reciprocal", "1 / x">;
def Graph_FloorOp : Graph_SameTypeUnaryOp<"floor", "round toward -inf">;
def Graph_CeilOp : Graph_SameTypeUnaryOp<"ceil", "round toward +inf">;
def Graph_RoundOp : Graph_SameTypeUnaryOp<"round", "round half to even">;
def Graph_SignOp : Graph_SameTypeUnaryOp<"sign", "-1, 0 or 1">;
def Graph_SinOp : Graph_SameTypeUnaryOp<"sin", "sine">;
def Graph_CosOp : Graph_SameTypeUnaryOp<"cos", "cosine">;
def Graph_TanOp : Graph_SameTypeUnaryOp<"tan", "tangent">;
def Graph_AsinOp : Graph_SameTypeUnaryOp<"asin", "arcsine">;
def Graph_AcosOp : Graph_SameTypeUnaryOp<"acos", "arccosine">;
def Graph_AtanOp : Graph_SameTypeUnaryOp<"atan", "arctangent">;
def Graph_SinhOp : Graph_SameTypeUnaryOp<"sinh", "hyperbolic sine">;
def Graph_CoshOp : Graph_SameTypeUnaryOp<"cosh", "hyperbolic cosine">;
def Graph_AsinhOp : Graph_SameTypeUnaryOp<"asinh", "inverse hyperbolic sine">;
def Graph_AcoshOp : Graph_SameTypeUnaryOp<"acosh", "inverse hyperbolic cosine">;
def Graph_AtanhOp : Graph_SameTypeUnaryOp<"atanh", "inverse hyperbolic tangent">;
def Graph_SoftplusOp : Graph_SameTypeUnaryOp<"softplus", "log(1 + e^x)">;
def Graph_SoftsignOp : Graph_SameTypeUnaryOp<"softsign", "x / (1 + |x|)">;
def Graph_NotOp : Graph_SameTypeUnaryOp<"not", "logical not">;
def Graph_HardSwishOp : Graph_SameTypeUnaryOp<"hard_swish", "x * max(0, min(1, x/6 + 1/2))">;

// Unary ops with scalar float parameters.
class Graph_ParamUnaryOp<string mnemonic, string desc, dag params>
    : Graph_UnaryOp<mnemonic, desc, [SameOperandsAndResultType]> {
  let arguments = !con((ins Graph_FloatTensor:$input), params);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Graph_LeakyReluOp : Graph_ParamUnaryOp<"leaky_relu", "x < 0 ? alpha * x : x",
    (ins F32Attr:$alpha)>;
def Graph_EluOp : Graph_ParamUnaryOp<"elu", "x < 0 ? alpha * (e^x - 1) : x",
    (ins F32Attr:$alpha)>;
def Graph_CeluOp : Graph_ParamUnaryOp<"celu", "max(0,x) + min(0, alpha*(e^(x/alpha)-1))",
    (ins F32Attr:$alpha)>;
def Graph_SeluOp : Graph_ParamUnaryOp<"selu", "gamma * (x <= 0 ? alpha*(e^x-1) : x)",
    (ins F32Attr:$alpha, F32Attr:$gamma)>;
def Graph_HardSigmoidOp : Graph_ParamUnaryOp<"hard_sigmoid", "max(0, min(1, alpha*x + beta))",
    (ins F32Attr:$alpha, F32Attr:$beta)>;
def Graph_ThresholdedReluOp : Graph_ParamUnaryOp<"thresholded_relu", "x > alpha ? x : 0",
    (ins F32Attr:$alpha)>;
def Graph_ShrinkOp : Graph_ParamUnaryOp<"shrink", "x < -lambd ? x + bias : (x > lambd ? x - bias : 0)",
    (ins F32Attr:$bias, F32Attr:$lambd)>;
def Graph_GeluOp : Graph_ParamUnaryOp<"gelu", "x * Phi(x); tanh approximation when approximate",
    (ins BoolAttr:$approximate)>;

def Graph_IsNaNOp : Graph_UnaryOp<"is_nan", "x != x"> {
  let arguments = (ins Graph_FloatTensor:$input);
  let results = (outs RankedTensorOf<[I1]>:$result);
}
def Graph_IsInfOp : Graph_UnaryOp<"is_inf", "x is +inf or -inf (as selected)"> {
  let arguments = (ins Graph_FloatTensor:$input, BoolAttr:$detect_negative,
                       BoolAttr:$detect_positive);
  let results = (outs RankedTensorOf<[I1]>:$result);
}

def Graph_CastOp : Graph_UnaryOp<"cast", "element type conversion with ONNX Cast rules"> {
  let arguments = (ins Graph_Tensor:$input);
  let hasFolder = 1;
}

// Binary ops broadcast numpy-style; the verifier checks the result shape.
class Graph_BinaryOp<string mnemonic, string desc, list<Trait> traits = []>
    : Graph_Op<mnemonic, !listconcat([Pure], traits)> {
  let summary = desc;
  let arguments = (ins Graph_Tensor:$lhs, Graph_Tensor:$rhs);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Graph_AddOp : Graph_BinaryOp<"add", "lhs + rhs", [Commutative]> { let hasFolder = 1; }
def Graph_SubOp : Graph_BinaryOp<"sub", "lhs - rhs"> { let hasFolder = 1; }
def Graph_MulOp : Graph_BinaryOp<"mul", "lhs * rhs", [Commutative]> { let hasFolder = 1; }
def Graph_DivOp : Graph_BinaryOp<"div", "lhs / rhs (integer division truncates)"> { let hasFolder = 1; }
def Graph_PowOp : Graph_BinaryOp<"pow", "lhs ^ rhs">;
def Graph_MaxOp : Graph_BinaryOp<"max", "max(lhs, rhs), NaN-propagating", [Commutative]>;
def Graph_MinOp : Graph_BinaryOp<"min", "min(lhs, rhs), NaN-propagating", [Commutative]>;
def Graph_AndOp : Graph_BinaryOp<"and", "logical and", [Commutative]>;
def Graph_OrOp : Graph_BinaryOp<"or", "logical or", [Commutative]>;
def Graph_XorOp : Graph_BinaryOp<"xor", "logical xor", [Commutative]>;
def Graph_EqualOp : Graph_BinaryOp<"equal", "lhs == rhs", [Commutative]>;
def Graph_LessOp : Graph_BinaryOp<"less", "lhs < rhs">;
def Graph_LessOrEqualOp : Graph_BinaryOp<"less_equal", "lhs <= rhs">;
def Graph_GreaterOp : Graph_BinaryOp<"greater", "lhs > rhs">;
def Graph_GreaterOrEqualOp : Graph_BinaryOp<"greater_equal", "lhs >= rhs">;
def Graph_PReluOp : Graph_BinaryOp<"prelu", "lhs < 0 ? rhs * lhs : lhs">;
def Graph_ModOp : Graph_BinaryOp<"mod", "remainder; sign of the divisor unless fmod"> {
  let arguments = (ins Graph_Tensor:$lhs, Graph_Tensor:$rhs, BoolAttr:$fmod);
}
def Graph_BitShiftOp : Graph_BinaryOp<"bit_shift", "lhs << rhs or lhs >> rhs"> {
  let arguments = (ins Graph_IntTensor:$lhs, Graph_IntTensor:$rhs, BoolAttr:$left);
}

def Graph_WhereOp : Graph_Op<"where", [Pure]> {
  let summary = "condition ? lhs : rhs, broadcasting all three";
  let arguments = (ins RankedTensorOf<[I1]>:$condition, Graph_Tensor:$lhs, Graph_Tensor:$rhs);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$condition `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Graph_ClipOp : Graph_Op<"clip", [Pure, AttrSizedOperandSegments]> {
  let summary = "clamp to [min, max]; a missing bound is unbounded";
  let arguments = (ins Graph_Tensor:$input, Optional<Graph_Tensor>:$min,
                       Optional<Graph_Tensor>:$max);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input (`min` $min^)? (`max` $max^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra and convolution
//===----------------------------------------------------------------------===//

// Conv, Gemm and MatMul can carry a fused activation, applied to each
// result element after the contraction (and bias): `activation` names it
// (absent: none) and `activation_params` holds its constants (clip: min,
// max; leaky_relu: alpha; hard_sigmoid: alpha, beta). Set by
// ds-fuse-activation; the names are those of graph::isFusableActivation.
defvar Graph_Epilogue = (ins OptionalAttr<StrAttr>:$activation,
                             OptionalAttr<F32ArrayAttr>:$activation_params);

def Graph_MatMulOp : Graph_Op<"matmul", [Pure]> {
  let summary = "numpy matmul: batch dimensions broadcast, 1-D operands promoted";
  let description = [{
    An optional `bias` is added to the product, broadcast numpy-style (set
    by ds-fuse-bias from a following Add).
  }];
  let arguments = !con((ins Graph_Tensor:$lhs, Graph_Tensor:$rhs,
                            Optional<Graph_Tensor>:$bias), Graph_Epilogue);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "Type":$result, "Value":$lhs, "Value":$rhs), [{
      build($_builder, $_state, result, lhs, rhs, Value(), StringAttr(), ArrayAttr());
    }]>
  ];
}

def Graph_GemmOp : Graph_Op<"gemm", [Pure]> {
  let summary = "alpha * op(A) * op(B) + beta * C, C broadcast to [M, N]";
  let arguments = !con((ins Graph_Tensor:$a, Graph_Tensor:$b, Optional<Graph_Tensor>:$c,
                            F32Attr:$alpha, F32Attr:$beta, BoolAttr:$trans_a,
                            BoolAttr:$trans_b), Graph_Epilogue);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasCanonicalizeMethod = 1;
  let builders = [
    OpBuilder<(ins "Type":$result, "Value":$a, "Value":$b, "Value":$c,
                   "FloatAttr":$alpha, "FloatAttr":$beta, "BoolAttr":$trans_a,
                   "BoolAttr":$trans_b), [{
      build($_builder, $_state, result, a, b, c, alpha, beta, trans_a, trans_b,
            StringAttr(), ArrayAttr());
    }]>
  ];
}

def Graph_ConvOp : Graph_Op<"conv", [Pure]> {
  let summary = "N-D grouped convolution, NC[D]HW input, explicit padding";
  let description = [{
    `pads` holds the begin paddings of every spatial axis followed by the end
    paddings, as in ONNX; auto_pad is resolved by the importer.
  }];
  let arguments = !con((ins Graph_Tensor:$input, Graph_Tensor:$weight,
                            Optional<Graph_Tensor>:$bias,
                            DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                            DenseI64ArrayAttr:$dilations, I64Attr:$group),
                       Graph_Epilogue);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "Type":$result, "Value":$input, "Value":$weight,
                   "Value":$bias, "DenseI64ArrayAttr":$strides,
                   "DenseI64ArrayAttr":$pads, "DenseI64ArrayAttr":$dilations,
                   "IntegerAttr":$group), [{
      build($_builder, $_state, result, input, weight, bias, strides, pads,
            dilations, group, StringAttr(), ArrayAttr());
    }]>
  ];
}

def Graph_BatchNormOp : Graph_Op<"batch_norm", [Pure]> {
  let summary = "inference batch normalization over axis 1";
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$scale,
                       Graph_FloatTensor:$bias, Graph_FloatTensor:$mean,
                       Graph_FloatTensor:$variance, F32Attr:$epsilon);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = "$input `,` $scale `,` $bias `,` $mean `,` $variance attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

class Graph_PoolOp<string mnemonic, string desc, dag extra>
    : Graph_Op<mnemonic, [Pure]> {
  let summary = desc;
  let arguments = !con((ins Graph_Tensor:$input, DenseI64ArrayAttr:$kernel_shape,
                            DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                            DenseI64ArrayAttr:$dilations), extra);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_MaxPoolOp : Graph_PoolOp<"max_pool", "sliding-window maximum", (ins)>;
def Graph_AveragePoolOp : Graph_PoolOp<"average_pool", "sliding-window mean",
    (ins BoolAttr:$count_include_pad)>;

//===----------------------------------------------------------------------===//
// Normalization and reductions
//===----------------------------------------------------------------------===//

def Graph_SoftmaxOp : Graph_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "softmax along one axis (log-softmax when log is set)";
  let arguments = (ins Graph_FloatTensor:$input, I64Attr:$axis, BoolAttr:$log);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Graph_LayerNormOp : Graph_Op<"layer_norm", [Pure]> {
  let summary = "normalize over the axes from `axis` to the last, then scale and shift";
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$scale,
                       Optional<Graph_FloatTensor>:$bias, I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = "$input `,` $scale (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

class Graph_ReduceOp<string mnemonic, string desc> : Graph_Op<mnemonic, [Pure]> {
  let summary = desc;
  let description = [{ `axes` are normalized (non-negative, sorted, unique);
    an empty list reduces nothing. }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$axes, BoolAttr:$keepdims);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_ReduceSumOp : Graph_ReduceOp<"reduce_sum", "sum over axes">;
def Graph_ReduceMeanOp : Graph_ReduceOp<"reduce_mean", "mean over axes">;
def Graph_ReduceMaxOp : Graph_ReduceOp<"reduce_max", "maximum over axes">;
def Graph_ReduceMinOp : Graph_ReduceOp<"reduce_min", "minimum over axes">;
def Graph_ReduceProdOp : Graph_ReduceOp<"reduce_prod", "product over axes">;

def Graph_ArgMaxOp : Graph_Op<"arg_max", [Pure]> {
  let summary = "index of the maximum (or minimum when `min`) along an axis";
  let arguments = (ins Graph_Tensor:$input, I64Attr:$axis, BoolAttr:$keepdims,
                       BoolAttr:$select_last_index, BoolAttr:$min);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_NonZeroOp : Graph_Op<"non_zero", [Pure]> {
  let summary = "coordinates of the non-zero elements, [rank, count]";
  let description = [{
    Row-major order, as ONNX NonZero. The count is known only at run time:
    the result's second dim is dynamic, bounded by the input's element
    count.
  }];
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Graph_ReshapeOp : Graph_Op<"reshape", [Pure]> {
  let summary = "same elements, new static shape";
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_TransposeOp : Graph_Op<"transpose", [Pure]> {
  let summary = "permute dimensions: result dim i is input dim perm[i]";
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_ConcatOp : Graph_Op<"concat", [Pure]> {
  let summary = "join tensors along an axis";
  let arguments = (ins Variadic<Graph_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_SliceOp : Graph_Op<"slice", [Pure]> {
  let summary = "strided slice: result[i] = input[starts + i * steps] per axis";
  let description = [{ One start and one step per input dimension, already
    clamped; the result shape gives the count. Steps may be negative. }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$steps);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_GatherOp : Graph_Op<"gather", [Pure]> {
  let summary = "take slices of `data` along `axis` at `indices` (negative wraps)";
  let arguments = (ins Graph_Tensor:$data, Graph_IntTensor:$indices, I64Attr:$axis);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_GatherElementsOp : Graph_Op<"gather_elements", [Pure]> {
  let summary = "result[i] = data[i with i[axis] replaced by indices[i]]";
  let arguments = (ins Graph_Tensor:$data, Graph_IntTensor:$indices, I64Attr:$axis);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Graph_GatherNDOp : Graph_Op<"gather_nd", [Pure]> {
  let summary = "gather slices of `data` at index tuples (the last dim of `indices`)";
  let description = [{ The first `batch_dims` dims of `data` and `indices`
    are shared; the result is indices.shape[:-1] + data.shape[batch_dims +
    indices.shape[-1]:]. Negative indices wrap. }];
  let arguments = (ins Graph_Tensor:$data, Graph_IntTensor:$indices, I64Attr:$batch_dims);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

class Graph_ScatterOp<string mnemonic, string desc> : Graph_Op<mnemonic, [Pure]> {
  let summary = desc;
  let description = [{ `reduction` combines an update with what is there:
    none (replace; the last update wins), add, mul, max or min. }];
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$data `,` $indices `,` $updates attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Graph_ScatterElementsOp : Graph_ScatterOp<"scatter_elements",
    "data with updates[i] written at i with i[axis] replaced by indices[i]"> {
  let arguments = (ins Graph_Tensor:$data, Graph_IntTensor:$indices,
                       Graph_Tensor:$updates, I64Attr:$axis, StrAttr:$reduction);
}

def Graph_ScatterNDOp : Graph_ScatterOp<"scatter_nd",
    "data with slices of updates written at the index tuples of indices"> {
  let arguments = (ins Graph_Tensor:$data, Graph_IntTensor:$indices,
                       Graph_Tensor:$updates, StrAttr:$reduction);
}

def Graph_EinsumOp : Graph_Op<"einsum", [Pure]> {
  let summary = "Einstein summation";
  let description = [{ `equation` is explicit ("ab,bc->ac"), without spaces
    or ellipses (the importer names ellipsis dims with unused letters). Every
    letter's extent is the largest among the operands; an operand dim of
    size 1 broadcasts. }];
  let arguments = (ins Variadic<Graph_Tensor>:$inputs, StrAttr:$equation);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Graph_ExpandOp : Graph_Op<"expand", [Pure]> {
  let summary = "broadcast to the result shape";
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_TileOp : Graph_Op<"tile", [Pure]> {
  let summary = "repeat the input along every axis; the result shape gives the counts";
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_PadOp : Graph_Op<"pad", [Pure]> {
  let summary = "pad with a constant, or by reflecting or repeating the edge";
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$pads,
                       StrAttr:$mode, TypedAttrInterface:$value);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_TriluOp : Graph_Op<"trilu", [Pure]> {
  let summary = "keep the upper (or lower) triangle of the last two dims, offset by k";
  let description = [{ `k` is a one-element i64 tensor: ONNX lets it be a
    run-time input. }];
  let arguments = (ins Graph_Tensor:$input, RankedTensorOf<[I64]>:$k, BoolAttr:$upper);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input `,` $k attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Graph_CumSumOp : Graph_Op<"cum_sum", [Pure, SameOperandsAndResultType]> {
  let summary = "running sum along an axis";
  let arguments = (ins Graph_Tensor:$input, I64Attr:$axis, BoolAttr:$exclusive,
                       BoolAttr:$reverse);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

#endif // DS_GRAPH_OPS
