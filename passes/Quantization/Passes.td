//===- Passes.td - quantization passes -----------------------*- tablegen -*-===//
#ifndef DS_QUANTIZATION_PASSES
#define DS_QUANTIZATION_PASSES

include "mlir/Pass/PassBase.td"

def QuantizeWeightsPass : Pass<"ds-quantize", "func::FuncOp"> {
  let summary = "Quantize MatMul, Gemm and Conv weights: dynamic int8, weight-only int4/int2";
  let description = [{
    Rewrites every dsg.matmul and dsg.gemm whose weight is a float32
    constant into dsq ops, and every dsg.conv of group 1 for int8 (a
    convolution is the product of its windows, dsq.im2col of the
    activation's codes padded with their zero point, and its weight as
    [C * prod(kernel), F] padded with zero rows to a multiple of 4, the
    result transposed back to [N, F, spatial...]; where the int8 product
    measured slower, a 1x1 convolution with fewer than 96 input or output
    channels or windows shorter than 32 values, and for grouped
    convolutions, the product stays float but its weight is stored as
    int8 codes, one scale per output channel, dequantized at run time;
    convolutions take 8 bits under int4, int2, w4a8 and w2a8):
      * `int8`: dynamic quantization. The weight becomes int8, symmetric,
        one scale per output column; the activation is quantized to uint8
        at run time from its own range (dsq.dynamic_quantize), the product
        accumulates in i32 (dsq.matmul_integer) and is rescaled once per
        element. The activation's zero point is folded out of the
        contraction: acc - zp * colsum(W), with the column sums computed
        here, so the kernel multiplies raw codes.
      * `static-int8`: as int8, but the activation's scale and zero point
        are constants computed from the range calibration observed
        (`activation-ranges`), so no range is taken at run time.
      * `int4`, `int2`: weight-only. Each row of W^T is cut into groups of
        `group-size` and stored as unsigned codes with a scale and zero
        point per group (asymmetric, zero exactly representable), packed
        2 or 4 to a byte (dsq.weight_matmul).
      * `w4a8`, `w2a8`: the weights as in int4/int2 (groups of whole
        32-bit words of four codes per column), the activation quantized
        to uint8 at run time as in int8, and the product summed in i32 per
        group by int8 dot-product instructions, each group's sum scaled
        once (dsq.weight_matmul_integer).
    `layer-bits` overrides the mode for the layers it names, so that each
    layer can get its own width (mode `none` leaves the others in float).
    A layer named in `input-means` (its input's mean per feature, which
    the driver measures on the calibration or synthetic inputs) gets bias
    correction: the quantized weights shift the output's mean by
    mean · (W_q - W), which a constant added after the product takes back.
    Bias and fused activation are kept as dsg ops after the product. Each
    layer's decision and weight bytes before and after go to the
    function's `ds.quantization` attribute for the report.
  }];
  let options = [
    Option<"mode", "mode", "std::string", "\"int8\"",
           "int8 (dynamic), static-int8 (activation ranges from "
           "calibration), int4 or int2 (weight-only), w4a8 or w2a8 (int4 "
           "or int2 weights, activations quantized at run time), or none "
           "(float except the layers named in layer-bits)">,
    Option<"groupSize", "group-size", "int64_t", "128",
           "Weights per scale in int4/int2 (a multiple of 8)">,
    Option<"int8WeightLimit", "int8-weight-limit", "int64_t", "127",
           "The largest int8 weight code of an int8 product: 127, or 63 "
           "for targets whose dot products sum pairs of products in 16 "
           "bits (x86 without VNNI)">,
    ListOption<"excludeNodes", "exclude-nodes", "std::string",
               "Node names left in float">,
    ListOption<"excludeOps", "exclude-ops", "std::string",
               "ONNX op types left in float (MatMul, Gemm)">,
    ListOption<"layerBits", "layer-bits", "std::string",
               "NODE=BITS: that layer in 8 (dynamic int8), 4 or 2 bits, or "
               "32 (float), whatever the mode (per-layer choices of "
               "--quantize adaptive)">,
    ListOption<"activationRanges", "activation-ranges", "std::string",
               "NODE=MIN:MAX: the calibrated range of that layer's input, "
               "for static-int8 (a layer without one is quantized "
               "dynamically)">,
    ListOption<"inputMeans", "input-means", "std::string",
               "NODE=V0:V1:...: the mean of each input feature of that "
               "layer, for bias correction">,
  ];
  let dependentDialects = ["::mlir::ds::quant::QuantDialect"];
}

def FoldQDQPass : Pass<"ds-fold-qdq", "func::FuncOp"> {
  let summary = "Fold DequantizeLinear pairs around MatMul and Gemm into int8 products";
  let description = [{
    A pre-quantized model in QDQ form computes each layer in float on
    dequantized operands: y = dequantize(xq) @ dequantize(Wq). When the
    activation is dequantized per tensor and the weight is a constant int8
    tensor dequantized per tensor or per output channel with zero points
    0 (the symmetric weights quantizers produce), the layer becomes the int8
    product of its codes, dsq.matmul_integer, rescaled once per element,
    with the activation's zero point folded out by column sums computed at
    compile time; bias and fused activation follow. The arithmetic is the
    same up to float rounding (the sums are exact in i32). Each fold counts
    as a `qdq_to_integer` fusion in the report.
  }];
  let dependentDialects = ["::mlir::ds::quant::QuantDialect"];
}

def ExposeLayerInputsPass : Pass<"ds-expose-layer-inputs", "func::FuncOp"> {
  let summary = "Return the input of every MatMul, Gemm and Conv as an extra result, for calibration";
  let description = [{
    Static quantization needs the range of each layer's input activation.
    This pass appends the first operand of every dsg.matmul, dsg.gemm and
    dsg.conv to the function's results, named `NODE:input` (the `ds.name`
    result attribute), so that a float build run on calibration inputs
    hands the activations out, and the mean of each of its features (over
    all other dims) as `NODE:input_mean`: for a convolution of group 1,
    of the columns of its windows' rows (dsq.im2col, zero padding
    included). An activation read by several layers is returned once per
    layer, each under its layer's name.
  }];
  let dependentDialects = ["::mlir::ds::quant::QuantDialect"];
}

#endif
