//===- QuantizeWeights.cpp - MatMul/Gemm weights to int8/int4/int2 --------===//
#include "passes/Quantization/Int8Product.h"
#include "passes/Quantization/Passes.h"
#include "passes/Quantization/WeightQuantizer.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::ds::quant {
#define GEN_PASS_DEF_QUANTIZEWEIGHTSPASS
#include "passes/Quantization/Passes.h.inc"
} // namespace mlir::ds::quant

using namespace mlir;
using namespace mlir::ds;
namespace g = mlir::ds::graph;
namespace q = mlir::ds::quant;

namespace {

/// How a convolution's input becomes the rows of the product (dsq.im2col),
/// and the convolution's own result type.
struct ConvWindows {
  SmallVector<int64_t> kernel, strides, pads, dilations;
  RankedTensorType resultType;
  int64_t pixels;
};

/// A float layer the pass can rewrite: y = act(rows(x) @ W + bias), where
/// rows(x) is x for a MatMul or Gemm and a convolution's windows otherwise.
struct Layer {
  Operation *op;
  Value input;                // x, float32
  DenseElementsAttr weight;   // W as [K, N]
  Value bias;                 // broadcast onto the product, or null
  StringAttr activation;      // fused epilogue, or null
  ArrayAttr activationParams; // its constants, or null
  std::optional<ConvWindows> conv;
};

/// `conv` as a Layer: its [F, C, k...] weight is W^T. `int8Product`: the
/// layer would get an int8 product, which is left out where it measured
/// slower than float.
FailureOr<Layer> asConvLayer(g::ConvOp conv, bool int8Product,
                             std::string &why) {
  DenseElementsAttr weight;
  if (conv.getGroup() != 1) {
    why = "grouped convolution (depthwise included)";
    return failure();
  }
  if (!matchPattern(conv.getWeight(), m_Constant(&weight)) ||
      !weight.getElementType().isF32()) {
    why = "the weight is not a float32 constant";
    return failure();
  }
  auto inputType = llvm::cast<RankedTensorType>(conv.getInput().getType());
  auto resultType = llvm::cast<RankedTensorType>(conv.getType());
  if (!inputType.getElementType().isF32() ||
      !llvm::all_of(inputType.getShape().drop_front(),
                    [](int64_t d) { return !ShapedType::isDynamic(d); })) {
    why = "the input is not float32 with static channels and spatial dims";
    return failure();
  }
  // The int8 product saves time per multiply-add but costs passes over
  // the activations: quantizing the input and, for a 1x1 convolution
  // (whose float product reads the input in place), transposing it to rows
  // and the result back. Measured on MobileNetV2's 1x1 convolutions, int8
  // is slower while either side has fewer than 96 channels (1.03-4.6x with
  // 16-64) and faster from there (0.4-0.9x); a wider kernel makes a
  // windows copy in float too, so only very short rows (its first layer's
  // 27 taps: 1.9x slower) stay float.
  constexpr int64_t kMinPointwiseChannels = 96, kMinWindowTaps = 32;
  auto wShape = llvm::cast<ShapedType>(weight.getType()).getShape();
  int64_t outChannels = wShape[0];
  int64_t taps = weight.getNumElements() / outChannels;
  bool pointwise = llvm::all_of(wShape.drop_front(2),
                                [](int64_t k) { return k == 1; });
  if (int8Product && pointwise &&
      std::min(taps, outChannels) < kMinPointwiseChannels) {
    why = "1x1 convolution with " + std::to_string(taps) + " input and " +
          std::to_string(outChannels) +
          " output channels: int8 is slower below 96 of either";
    return failure();
  }
  if (int8Product && !pointwise && taps < kMinWindowTaps) {
    why = "windows of " + std::to_string(taps) +
          " values: int8 is slower below 32";
    return failure();
  }
  ConvWindows windows{
      llvm::to_vector(wShape.drop_front(2)),
      llvm::to_vector(conv.getStrides()),
      llvm::to_vector(conv.getPads()),
      llvm::to_vector(conv.getDilations()),
      resultType,
      ShapedType::getNumElements(resultType.getShape().drop_front(2))};
  return Layer{conv,
               conv.getInput(),
               q::transposeMatrix(weight.reshape(RankedTensorType::get(
                   {outChannels, taps}, weight.getElementType()))),
               conv.getBias(),
               conv.getActivationAttr(),
               conv.getActivationParamsAttr(),
               std::move(windows)};
}

/// The layer `op` is, or why it is left in float.
FailureOr<Layer> asLayer(Operation *op, bool int8Product, std::string &why) {
  if (auto conv = dyn_cast<g::ConvOp>(op))
    return asConvLayer(conv, int8Product, why);
  FailureOr<q::MatrixLayer> matrix = q::readMatrixLayer(op, why);
  if (failed(matrix))
    return failure();
  DenseElementsAttr weight;
  if (!matchPattern(matrix->weight, m_Constant(&weight)) ||
      !weight.getElementType().isF32() ||
      llvm::cast<ShapedType>(weight.getType()).getRank() != 2) {
    why = "the weight is not a 2-D float32 constant";
    return failure();
  }
  auto inputType = llvm::cast<ShapedType>(matrix->input.getType());
  if (!inputType.getElementType().isF32() || inputType.getRank() < 2) {
    why = "the input is not a float32 matrix";
    return failure();
  }
  return Layer{op,
               matrix->input,
               matrix->weightTransposed ? q::transposeMatrix(weight) : weight,
               matrix->bias,
               matrix->activation,
               matrix->activationParams,
               std::nullopt};
}

/// The left-hand side of the layer's product made from `x` (the input or
/// its codes): x itself, or a convolution's windows as rows of
/// `rowLength`, padded with `padValue`.
Value productRows(OpBuilder &b, const Layer &layer, Value x, Value padValue,
                  int64_t rowLength) {
  if (!layer.conv)
    return x;
  auto type = llvm::cast<RankedTensorType>(x.getType());
  auto rowsType =
      RankedTensorType::get({type.getDimSize(0), layer.conv->pixels, rowLength},
                            type.getElementType());
  return b.create<q::Im2ColOp>(layer.op->getLoc(), rowsType, x, padValue,
                               layer.conv->kernel, layer.conv->strides,
                               layer.conv->pads, layer.conv->dilations);
}

/// The float type of the layer's product: the op's result, or for a
/// convolution [N, pixels, F] (made NC... by convResult).
RankedTensorType productType(const Layer &layer, int64_t n) {
  auto result = llvm::cast<RankedTensorType>(layer.op->getResult(0).getType());
  if (!layer.conv)
    return result;
  return RankedTensorType::get({result.getDimSize(0), layer.conv->pixels, n},
                               result.getElementType());
}

/// A convolution's [N, pixels, F] product as its [N, F, spatial...] result.
Value convResult(OpBuilder &b, const Layer &layer, Value product) {
  if (!layer.conv)
    return product;
  Location loc = layer.op->getLoc();
  auto type = llvm::cast<RankedTensorType>(product.getType());
  Value channelsFirst = b.create<g::TransposeOp>(
      loc,
      RankedTensorType::get(
          {type.getDimSize(0), type.getDimSize(2), type.getDimSize(1)},
          type.getElementType()),
      product, b.getDenseI64ArrayAttr({0, 2, 1}));
  return b.create<g::ReshapeOp>(loc, layer.conv->resultType, channelsFirst);
}

/// A quantized layer: its result, the bytes of its stored weight data, how
/// many of its weights dequantize to exactly zero, and its bias correction
/// (empty without an input mean).
struct Rewritten {
  Value result;
  int64_t bytes, zeroCodes;
  std::vector<float> correction;
};

/// A float convolution's weights stored as int8: bytes before and after,
/// and the share of weights that dequantize to exactly zero.
struct StoredWeights {
  int64_t floatBytes, bytes;
  double zeroFraction;
};

/// Replaces `conv`'s float32 constant weight [F, C/G, k...] by
/// dsq.dequantize of int8 codes, symmetric, one scale per output channel
/// (axis 0); nothing when the weight is not a float32 constant.
std::optional<StoredWeights> storeInt8(g::ConvOp conv) {
  DenseElementsAttr weight;
  if (!matchPattern(conv.getWeight(), m_Constant(&weight)) ||
      !weight.getElementType().isF32())
    return std::nullopt;
  auto type = llvm::cast<RankedTensorType>(weight.getType());
  int64_t channels = type.getDimSize(0);
  int64_t taps = type.getNumElements() / channels;
  // Output channels as the columns of a [taps, F] matrix.
  DenseElementsAttr columnsAttr = q::transposeMatrix(weight.reshape(
      RankedTensorType::get({channels, taps}, type.getElementType())));
  auto values = llvm::to_vector(columnsAttr.getValues<float>());
  ::ds::quant::Int8Columns columns =
      ::ds::quant::quantizeInt8PerColumn(values, taps, channels);
  std::vector<int8_t> codes(columns.codes.size());
  for (int64_t f = 0; f < channels; ++f)
    for (int64_t t = 0; t < taps; ++t)
      codes[f * taps + t] = columns.codes[t * channels + f];
  OpBuilder b(conv);
  Location loc = conv.getLoc();
  Value codesValue = b.create<g::ConstantOp>(
      loc, DenseElementsAttr::get(
               RankedTensorType::get(type.getShape(), b.getI8Type()),
               ArrayRef<int8_t>(codes)));
  Value scales = b.create<g::ConstantOp>(
      loc,
      DenseElementsAttr::get(RankedTensorType::get({channels}, b.getF32Type()),
                             ArrayRef<float>(columns.scales)));
  Value dequantized = b.create<q::DequantizeOp>(
      loc, type, codesValue, scales, Value(), /*axis=*/0, /*block_size=*/0);
  conv.getWeightMutable().assign(dequantized);
  return StoredWeights{type.getNumElements() * 4,
                       type.getNumElements() + channels * 4,
                       (double)columns.zeroCodes / type.getNumElements()};
}

/// `values` as a float16 (`half`) or float32 constant of `shape`.
DenseElementsAttr floatConstant(OpBuilder &b, ArrayRef<int64_t> shape,
                                ArrayRef<float> values, bool half) {
  if (!half)
    return DenseElementsAttr::get(RankedTensorType::get(shape, b.getF32Type()),
                                  values);
  SmallVector<APFloat> halves;
  for (float v : values) {
    APFloat value(v);
    bool lost = false;
    value.convert(APFloat::IEEEhalf(), APFloat::rmNearestTiesToEven, &lost);
    halves.push_back(value);
  }
  return DenseElementsAttr::get(RankedTensorType::get(shape, b.getF16Type()),
                                halves);
}

/// The width recorded, and asked for in layer-bits, for a float layer.
constexpr int kFloatBits = 32;

struct QuantizeWeightsPass
    : q::impl::QuantizeWeightsPassBase<QuantizeWeightsPass> {
  using QuantizeWeightsPassBase::QuantizeWeightsPassBase;

  void runOnOperation() override {
    bool staticInt8 = mode == "static-int8";
    // w4a8, w2a8: low-bit weights with the activation quantized to 8 bits
    // at run time, the product in integers per group.
    integerActivations = mode == "w4a8" || mode == "w2a8";
    int defaultBits = mode == "int8" || staticInt8      ? 8
                      : mode == "int4" || mode == "w4a8" ? 4
                      : mode == "int2" || mode == "w2a8" ? 2
                      : mode == "none"                   ? kFloatBits
                                                         : 0;
    if (!defaultBits) {
      getOperation().emitError("unknown quantization mode '")
          << mode << "' (int8, static-int8, int4, int2, w4a8, w2a8 or none)";
      return signalPassFailure();
    }
    llvm::StringMap<std::pair<double, double>> activationRange;
    for (const std::string &entry : activationRanges) {
      auto [node, range] = StringRef(entry).rsplit('=');
      auto [minText, maxText] = range.split(':');
      double min = 0, max = 0;
      if (node.empty() || minText.getAsDouble(min) ||
          maxText.getAsDouble(max) || !(min <= max)) {
        getOperation().emitError("activation-ranges entry '")
            << entry << "' is not NODE=MIN:MAX with MIN <= MAX";
        return signalPassFailure();
      }
      activationRange[node] = {min, max};
    }
    llvm::StringMap<SmallVector<float>> inputMean;
    for (const std::string &entry : inputMeans) {
      auto [node, text] = StringRef(entry).rsplit('=');
      SmallVector<StringRef> fields;
      text.split(fields, ':');
      SmallVector<float> &mean = inputMean[node];
      for (StringRef field : fields) {
        double v = 0;
        if (field.getAsDouble(v)) {
          mean.clear();
          break;
        }
        mean.push_back((float)v);
      }
      if (node.empty() || mean.empty()) {
        getOperation().emitError("input-means entry for '")
            << node << "' is not NODE=V0:V1:...";
        return signalPassFailure();
      }
    }
    // In the option's order, so that an error names the first bad entry.
    SmallVector<std::pair<StringRef, int>> bitsEntries;
    for (const std::string &entry : layerBits) {
      auto [node, text] = StringRef(entry).rsplit('=');
      int bits = 0;
      if (node.empty() || text.getAsInteger(10, bits) ||
          !llvm::is_contained({2, 4, 8, kFloatBits}, bits)) {
        getOperation().emitError("layer-bits entry '")
            << entry << "' is not NODE=BITS with BITS 2, 4, 8 or 32";
        return signalPassFailure();
      }
      bitsEntries.push_back({node, bits});
    }
    if (groupSize <= 0 || groupSize % 8) {
      getOperation().emitError(
          "group-size must be a positive multiple of 8, got ")
          << groupSize.getValue();
      return signalPassFailure();
    }
    SmallVector<Operation *> candidates;
    getOperation().walk([&](Operation *op) {
      if (isa<g::MatMulOp, g::GemmOp, g::ConvOp>(op))
        candidates.push_back(op);
    });
    MLIRContext *ctx = &getContext();
    SmallVector<Attribute> records;
    int64_t before = 0, after = 0, quantized = 0;
    llvm::StringSet<> candidateNames;
    for (Operation *op : candidates)
      candidateNames.insert(g::nodeName(op));
    llvm::StringMap<int> bitsByNode;
    for (auto [node, bits] : bitsEntries) {
      if (!candidateNames.contains(node)) {
        getOperation().emitError("layer-bits names '")
            << node
            << "', which is not a MatMul, Gemm or Conv node of this function";
        return signalPassFailure();
      }
      bitsByNode[node] = bits;
    }
    for (Operation *op : candidates) {
      // Kept apart: the op is erased once rewritten.
      std::string node = g::nodeName(op);
      NamedAttrList record;
      record.set("node", StringAttr::get(ctx, node));
      record.set("op", StringAttr::get(ctx, op->getName().stripDialect()));
      auto chosen = bitsByNode.find(node);
      int bits = chosen != bitsByNode.end() ? chosen->second : defaultBits;
      auto conv = dyn_cast<g::ConvOp>(op);
      std::string why;
      // Float asked for (excluded, or 32 bits): weights stay float too.
      bool floatAsked = true;
      FailureOr<Layer> layer = failure();
      if (llvm::is_contained(excludeNodes, node))
        why = "excluded by name";
      else if (llvm::any_of(excludeOps, [&](const std::string &name) {
                 return op->getName().stripDialect().equals_insensitive(name);
               }))
        why = "excluded by op type";
      else if (bits == kFloatBits)
        why = chosen != bitsByNode.end() ? "32 bits chosen for this layer"
                                         : "mode none";
      else {
        floatAsked = false;
        layer = asLayer(op, bits == 8, why);
      }
      auto i64 = [&](int64_t v) {
        return IntegerAttr::get(IntegerType::get(ctx, 64), v);
      };
      if (failed(layer) && conv && !floatAsked) {
        // The product stays float, but the weights need not: stored as
        // int8 codes per output channel, dequantized before the float
        // convolution at run time (a pass over the weights alone, small
        // next to the convolution's passes over the activations).
        if (std::optional<StoredWeights> stored = storeInt8(conv)) {
          before += stored->floatBytes;
          after += stored->bytes;
          ++quantized;
          record.set("bits", i64(8));
          record.set("compute", StringAttr::get(ctx, "float"));
          record.set("reason", StringAttr::get(ctx, why));
          record.set("weight_bytes_fp32", i64(stored->floatBytes));
          record.set("weight_bytes", i64(stored->bytes));
          record.set("zero_fraction", FloatAttr::get(Float64Type::get(ctx),
                                                     stored->zeroFraction));
          records.push_back(record.getDictionary(ctx));
          continue;
        }
      }
      if (failed(layer)) {
        record.set("bits",
                   IntegerAttr::get(IntegerType::get(ctx, 64), kFloatBits));
        record.set("reason", StringAttr::get(ctx, why));
        // Counted on both sides, so that the totals compare all weights.
        DenseElementsAttr weight;
        if (matchPattern(op->getOperand(1), m_Constant(&weight)) &&
            weight.getElementType().isF32()) {
          int64_t bytes = weight.getNumElements() * 4;
          before += bytes;
          after += bytes;
          record.set("weight_bytes_fp32",
                     IntegerAttr::get(IntegerType::get(ctx, 64), bytes));
          record.set("weight_bytes",
                     IntegerAttr::get(IntegerType::get(ctx, 64), bytes));
        }
        records.push_back(record.getDictionary(ctx));
        continue;
      }
      int64_t floatBytes = layer->weight.getNumElements() * 4;
      OpBuilder b(op);
      auto range = activationRange.find(node);
      std::optional<::ds::quant::ActivationParams> calibrated;
      if (staticInt8 && range != activationRange.end())
        calibrated = ::ds::quant::uint8ActivationParams(range->second.first,
                                                        range->second.second);
      int64_t k = llvm::cast<ShapedType>(layer->weight.getType()).getDimSize(0);
      ArrayRef<float> mean;
      if (auto it = inputMean.find(node); it != inputMean.end()) {
        if ((int64_t)it->second.size() != k) {
          op->emitError("input-means for '")
              << node << "' has " << it->second.size() << " values, the layer "
              << k << " input features";
          return signalPassFailure();
        }
        mean = it->second;
      }
      auto [result, bytes, zeroCodes, correction] =
          bits == 8 ? rewriteInt8(b, *layer, calibrated, mean)
                    : rewriteGroupwise(b, *layer, bits, mean);
      if (!correction.empty()) {
        // After the product, before the bias, as the input means saw it.
        Value shift = b.create<g::ConstantOp>(
            op->getLoc(), DenseElementsAttr::get(
                              RankedTensorType::get(
                                  {(int64_t)correction.size()}, b.getF32Type()),
                              ArrayRef<float>(correction)));
        result =
            b.create<g::AddOp>(op->getLoc(), result.getType(), result, shift);
      }
      result = q::finishLayer(b, op->getLoc(), result, layer->bias,
                              layer->activation, layer->activationParams,
                              result.getType());
      result = convResult(b, *layer, result);
      op->getResult(0).replaceAllUsesWith(result);
      op->erase();
      before += floatBytes;
      after += bytes;
      ++quantized;
      record.set("bits", i64(bits));
      if (bits == 8 || integerActivations)
        record.set("activation",
                   StringAttr::get(ctx, calibrated ? "static" : "dynamic"));
      if (calibrated) {
        auto [min, max] = range->second;
        record.set(
            "activation_range",
            b.getArrayAttr({b.getF64FloatAttr(min), b.getF64FloatAttr(max)}));
        record.set("activation_scale", b.getF32FloatAttr(calibrated->scale));
        record.set("activation_zero_point", i64(calibrated->zeroPoint));
      }
      if (!correction.empty())
        record.set("bias_correction", b.getBoolAttr(true));
      record.set("weight_bytes_fp32", i64(floatBytes));
      record.set("weight_bytes", i64(bytes));
      // Pruned (zero) weights stay exactly zero: prune, then quantize.
      record.set("zero_fraction",
                 b.getF64FloatAttr((double)zeroCodes /
                                   layer->weight.getNumElements()));
      if (bits < 8)
        record.set("group_size",
                   i64(::ds::quant::effectiveGroupSize(k, bits, groupSize,
                                                       groupMultiple(bits))));
      records.push_back(record.getDictionary(ctx));
    }
    NamedAttrList summary;
    summary.set("mode", StringAttr::get(ctx, mode));
    summary.set("layers", ArrayAttr::get(ctx, records));
    summary.set("quantized_layers",
                IntegerAttr::get(IntegerType::get(ctx, 64), quantized));
    summary.set("weight_bytes_fp32",
                IntegerAttr::get(IntegerType::get(ctx, 64), before));
    summary.set("weight_bytes",
                IntegerAttr::get(IntegerType::get(ctx, 64), after));
    getOperation()->setAttr("ds.quantization", summary.getDictionary(ctx));
  }

  /// int8: y = dequant(matmul_integer(q(x), Wq) - zp_x * colsum(Wq),
  /// s_x * s_w), with q(x)'s scale and zero point from the activation at run
  /// time, or the constants `calibrated` gives.
  Rewritten
  rewriteInt8(OpBuilder &b, const Layer &layer,
              const std::optional<::ds::quant::ActivationParams> &calibrated,
              ArrayRef<float> inputMean) {
    Location loc = layer.op->getLoc();
    auto weightType = llvm::cast<ShapedType>(layer.weight.getType());
    int64_t k = weightType.getDimSize(0), n = weightType.getDimSize(1);
    auto values = llvm::to_vector(layer.weight.getValues<float>());
    // A convolution's windows are rows the pass makes, so they can be made
    // as long as the dot-product kernel wants (a multiple of 4 codes), the
    // weight padded with zero rows to match.
    int64_t rowLength = layer.conv ? llvm::alignTo(k, 4) : k;
    // Rows are [K, N] row-major, so the zero rows are zeros appended.
    values.resize(rowLength * n, 0.0f);
    ::ds::quant::Int8Columns columns =
        ::ds::quant::quantizeInt8PerColumn(values, rowLength, n,
                                           int8WeightLimit);
    values.resize(k * n);

    Type f32 = b.getF32Type();
    Type u8 = IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
    auto inType = llvm::cast<RankedTensorType>(layer.input.getType());
    auto resultType = productType(layer, n);
    auto codesType = RankedTensorType::get(inType.getShape(), u8);
    q::QuantizedActivation x;
    if (calibrated) {
      x.scale = b.create<g::ConstantOp>(
          loc, DenseElementsAttr::get(RankedTensorType::get({}, f32),
                                      calibrated->scale));
      x.zeroPoint = b.create<g::ConstantOp>(
          loc, DenseElementsAttr::get(RankedTensorType::get({}, u8),
                                      APInt(8, calibrated->zeroPoint)));
      x.codes = b.create<q::QuantizeOp>(loc, codesType, layer.input, x.scale,
                                        x.zeroPoint, /*axis=*/1,
                                        /*block_size=*/0);
    } else {
      auto dq = b.create<q::DynamicQuantizeOp>(
          loc, codesType, RankedTensorType::get({}, f32),
          RankedTensorType::get({}, u8), layer.input);
      x = {dq.getResult(), dq.getScale(), dq.getZeroPoint()};
    }
    // Padding reads the zero point: real zero, as the float layer pads.
    x.codes = productRows(b, layer, x.codes, x.zeroPoint, rowLength);
    Value result =
        q::buildInt8Product(b, loc, x, columns, rowLength, n, resultType);
    std::vector<float> correction;
    if (!inputMean.empty())
      correction = ::ds::quant::biasCorrection(
          values, ::ds::quant::dequantize(columns, k, n), inputMean, k, n);
    return {result, rowLength * n + n * 4 + n * 4,
            columns.zeroCodes - (rowLength - k) * n, std::move(correction)};
  }

  /// Whether low-bit layers quantize their activation too (w4a8, w2a8).
  bool integerActivations = false;

  /// What a group size must be a multiple of: whole bytes of codes, or for
  /// integer products whole 32-bit words of four codes per column.
  int64_t groupMultiple(int bits) const {
    return integerActivations ? 4 * (8 / bits) : 8 / bits;
  }

  /// int4/int2: weight-only through dsq.weight_matmul, or with the
  /// activation quantized at run time (w4a8, w2a8) through
  /// dsq.weight_matmul_integer.
  Rewritten rewriteGroupwise(OpBuilder &b, const Layer &layer, int bits,
                             ArrayRef<float> inputMean) {
    Location loc = layer.op->getLoc();
    auto weightType = llvm::cast<ShapedType>(layer.weight.getType());
    int64_t k = weightType.getDimSize(0), n = weightType.getDimSize(1);
    // Rows of W^T: one output channel's weights are contiguous.
    DenseElementsAttr transposed = g::transposeConstant(
        layer.weight, {1, 0}, RankedTensorType::get({n, k}, b.getF32Type()));
    auto rows = llvm::to_vector(transposed.getValues<float>());
    ::ds::quant::PackedGroups packed = ::ds::quant::quantizeGroupwise(
        rows, n, k, bits, groupSize, groupMultiple(bits));
    Type u8 = IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
    Value weight = b.create<g::ConstantOp>(
        loc,
        DenseElementsAttr::get(RankedTensorType::get({n, packed.rowBytes}, u8),
                               ArrayRef<uint8_t>(packed.bytes)));
    Value scale = b.create<g::ConstantOp>(
        loc, floatConstant(b, {n, packed.groups}, packed.scales,
                           packed.halfScales));
    Value zeroPoint = b.create<g::ConstantOp>(
        loc,
        DenseElementsAttr::get(RankedTensorType::get({n, packed.groups}, u8),
                               ArrayRef<uint8_t>(packed.zeroPoints)));
    Type resultType = productType(layer, n);
    Type f32 = b.getF32Type();
    Value result;
    if (integerActivations) {
      auto inType = llvm::cast<RankedTensorType>(layer.input.getType());
      auto dq = b.create<q::DynamicQuantizeOp>(
          loc, RankedTensorType::get(inType.getShape(), u8),
          RankedTensorType::get({}, f32), RankedTensorType::get({}, u8),
          layer.input);
      // Padding reads the zero point: real zero, as the float layer pads.
      Value rows = productRows(b, layer, dq.getResult(), dq.getZeroPoint(), k);
      result = b.create<q::WeightMatMulIntegerOp>(
          loc, resultType, rows, dq.getScale(), dq.getZeroPoint(), weight,
          scale, zeroPoint, Value(), bits, packed.groupSize, k);
    } else {
      Value zero = b.create<g::ConstantOp>(
          loc, DenseElementsAttr::get(RankedTensorType::get({}, f32), 0.0f));
      Value rows = productRows(b, layer, layer.input, zero, k);
      result = b.create<q::WeightMatMulOp>(loc, resultType, rows, weight,
                                           scale, zeroPoint, Value(), bits,
                                           packed.groupSize, k);
    }
    // Codes, and per group and column a scale (float16 or float32) and a
    // zero point byte; integer products also keep each column's weight sum
    // (float32).
    int64_t bytes = n * packed.rowBytes +
                    n * packed.groups * (packed.halfScales ? 3 : 5) +
                    (integerActivations ? n * 4 : 0);
    std::vector<float> correction;
    if (!inputMean.empty()) {
      // Both as [K, N]: the float weight, and the codes' rows transposed.
      std::vector<float> rowsBack = ::ds::quant::dequantize(packed, bits, n, k);
      std::vector<float> back(k * n);
      for (int64_t row = 0; row < n; ++row)
        for (int64_t i = 0; i < k; ++i)
          back[i * n + row] = rowsBack[row * k + i];
      correction = ::ds::quant::biasCorrection(
          llvm::to_vector(layer.weight.getValues<float>()), back, inputMean, k,
          n);
    }
    return {result, bytes, packed.zeroCodes, std::move(correction)};
  }
};

} // namespace
