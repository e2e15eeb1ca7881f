//===- QuantOps.td - dsq op definitions ----------------------*- tablegen -*-===//

#ifndef DS_QUANT_OPS
#define DS_QUANT_OPS

include "dialects/Quant/IR/QuantBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"

// The layout attributes of a scale (see QuantBase.td). `axis` may be
// negative (counted from the end), as in ONNX.
defvar Quant_ScaleLayout = (ins DefaultValuedAttr<I64Attr, "1">:$axis,
                                DefaultValuedAttr<I64Attr, "0">:$block_size);

def Quant_QuantizeOp : Quant_Op<"quantize", [Pure]> {
  let summary = "saturate(round_half_even(input / scale) + zero_point)";
  let description = [{
    The result's element type gives the saturation range. A zero scale maps
    every element to the zero point instead of dividing by zero; NaN inputs
    become the zero point too.
  }];
  let arguments = !con((ins Quant_FloatTensor:$input, Quant_FloatTensor:$scale,
                            Optional<Quant_IntTensor>:$zero_point),
                       Quant_ScaleLayout);
  let results = (outs Quant_IntTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`,` $zero_point^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Quant_DequantizeOp : Quant_Op<"dequantize", [Pure]> {
  let summary = "(input - zero_point) * scale";
  let description = [{
    The input may be a 32-bit accumulator, whose scale is the product of
    the scales of the two factors.
  }];
  let arguments = !con((ins Quant_IntTensor:$input, Quant_FloatTensor:$scale,
                            Optional<Quant_IntTensor>:$zero_point),
                       Quant_ScaleLayout);
  let results = (outs Quant_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`,` $zero_point^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Quant_DynamicQuantizeOp : Quant_Op<"dynamic_quantize", [Pure]> {
  let summary = "uint8 quantization with a scale taken from the input's range";
  let description = [{
    ONNX DynamicQuantizeLinear, computed at run time:
      lo = min(0, min(input)), hi = max(0, max(input)),
      scale = (hi - lo) / 255, zero_point = saturate(round(-lo / scale)),
      result = saturate(round(input / scale) + zero_point).
    An all-zero input gives scale 0 and zero point 0 (no division by zero);
    NaN elements are ignored by the range.
  }];
  let arguments = (ins Quant_FloatTensor:$input);
  let results = (outs RankedTensorOf<[UI8]>:$result,
                      0DTensorOf<[F32]>:$scale,
                      0DTensorOf<[UI8]>:$zero_point);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type(results)";
  let hasVerifier = 1;
}

def Quant_MatMulIntegerOp : Quant_Op<"matmul_integer", [Pure, AttrSizedOperandSegments]> {
  let summary = "integer numpy matmul with zero points, 32-bit result";
  let description = [{
    ONNX MatMulInteger: sum_k (lhs[m, k] - lhs_zp) * (rhs[k, n] - rhs_zp)
    accumulated in i32. The lhs zero point is per tensor or one per row of
    a 2-D lhs; the rhs zero point per tensor or one per column.
  }];
  let arguments = (ins RankedTensorOf<[I8, UI8]>:$lhs,
                       RankedTensorOf<[I8, UI8]>:$rhs,
                       Optional<RankedTensorOf<[I8, UI8]>>:$lhs_zero_point,
                       Optional<RankedTensorOf<[I8, UI8]>>:$rhs_zero_point);
  let results = (outs RankedTensorOf<[I32]>:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`zero_points` `(` $lhs_zero_point^ `,` $rhs_zero_point `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Quant_WeightMatMulOp : Quant_Op<"weight_matmul", [Pure, AttrSizedOperandSegments]> {
  let summary = "float input times packed low-bit weights, dequantized per group";
  let description = [{
    result[..., n] = bias[n] + sum_k input[..., k] * w(n, k), with
      w(n, k) = (code(n, k) - zero_point[n, k / group_size]) * scale[n, k / group_size].
    `weight` holds the unsigned `bits`-wide codes of row n in row n, packed
    low bits first: code k is at bit (k * bits) % 8 of byte (k * bits) / 8.
    Rows are padded to whole groups; `in_features` is the real K. Without
    zero points the zero point is 2^(bits-1) (symmetric codes). The weights
    are unpacked in registers: no float copy of them is ever made.
  }];
  let arguments = (ins Quant_FloatTensor:$input, RankedTensorOf<[UI8]>:$weight,
                       Quant_FloatTensor:$scale,
                       Optional<RankedTensorOf<[UI8]>>:$zero_point,
                       Optional<Quant_FloatTensor>:$bias,
                       I64Attr:$bits, I64Attr:$group_size, I64Attr:$in_features);
  let results = (outs Quant_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $scale (`zero_points` $zero_point^)? (`bias` $bias^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Quant_WeightMatMulIntegerOp
    : Quant_Op<"weight_matmul_integer", [Pure, AttrSizedOperandSegments]> {
  let summary = "uint8 activation codes times packed low-bit weights, "
                "summed in i32 per group";
  let description = [{
    dsq.weight_matmul with the activation quantized too (w4a8, w2a8):
      result[..., n] = bias[n] + sum_k x(k) * w(n, k), with
      x(k) = (input[..., k] - input_zero_point) * input_scale
    and `weight`, `scale`, `zero_point`, `bits`, `group_size` and
    `in_features` as in dsq.weight_matmul. The codes of a group are
    multiplied and summed in i32, as int8 dot-product instructions take
    them (uint8 activations by the weights' unsigned codes), and each
    group's sum is scaled once:
      result[m, n] = s_x * sum_g scale[n, g] * (dot_g[m, n]
                     - zero_point[n, g] * rowsum_g[m])
                     - s_x * zp_x * sum_k w(n, k) + bias[n],
    where dot_g sums input * code over group g and rowsum_g sums the input
    codes of group g. A group must fill whole 32-bit words of four codes
    per column (a multiple of 8 codes for 4 bits, 16 for 2). The input's
    scale and zero point are per tensor, as dsq.dynamic_quantize gives
    them; the weights are unpacked in registers, never expanded.
  }];
  let arguments = (ins RankedTensorOf<[UI8]>:$input,
                       0DTensorOf<[F32]>:$input_scale,
                       0DTensorOf<[UI8]>:$input_zero_point,
                       RankedTensorOf<[UI8]>:$weight,
                       Quant_FloatTensor:$scale,
                       Optional<RankedTensorOf<[UI8]>>:$zero_point,
                       Optional<Quant_FloatTensor>:$bias,
                       I64Attr:$bits, I64Attr:$group_size, I64Attr:$in_features);
  let results = (outs Quant_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $input_scale `,` $input_zero_point `,` $weight `,` $scale
    (`zero_points` $zero_point^)? (`bias` $bias^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Quant_Im2ColOp : Quant_Op<"im2col", [Pure]> {
  let summary = "a convolution's input windows as the rows of a matrix";
  let description = [{
    Lays a convolution (group 1) out as a matrix product: for an
    [N, C, spatial...] input,
      result[n, p, q] = padded[n, c, o * strides + k * dilations],
    where p runs over the output pixels o in row-major order and
    q = (c, k...) over the channels and kernel taps in the order of a
    [F, C, k...] weight, so that result @ transpose(weight as [F, Q]) is
    the convolution. `padded` is the input with `pads` (begin paddings of
    every spatial axis, then end paddings) of `pad_value`, a 0-d tensor:
    the activation's zero point for quantized codes, whose padding must
    read as real zero. The rows may be longer than C * prod(kernel_shape)
    (to a multiple a dot-product instruction needs); the extra columns
    read 0.
  }];
  let arguments = (ins RankedTensorOf<[F32, I8, UI8]>:$input,
                       0DTensorOf<[F32, I8, UI8]>:$pad_value,
                       DenseI64ArrayAttr:$kernel_shape,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations);
  let results = (outs RankedTensorOf<[F32, I8, UI8]>:$result);
  let assemblyFormat = [{
    $input `,` $pad_value attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // DS_QUANT_OPS
