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

/// A float layer the pass can rewrite: y = act(x @ W + bias).
struct Layer {
  Operation *op;
  Value input;                // x, float32, rank >= 2
  DenseElementsAttr weight;   // W as [K, N]
  Value bias;                 // broadcast onto the product, or null
  StringAttr activation;      // fused epilogue, or null
  ArrayAttr activationParams; // its constants, or null
};

/// The layer `op` is, or why it is left in float.
FailureOr<Layer> asLayer(Operation *op, std::string &why) {
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
               matrix->activationParams};
}

/// A quantized layer: its result, the bytes of its stored weight data, how
/// many of its weights dequantize to exactly zero, and its bias correction
/// (empty without an input mean).
struct Rewritten {
  Value result;
  int64_t bytes, zeroCodes;
  std::vector<float> correction;
};

/// The width recorded, and asked for in layer-bits, for a float layer.
constexpr int kFloatBits = 32;

struct QuantizeWeightsPass
    : q::impl::QuantizeWeightsPassBase<QuantizeWeightsPass> {
  using QuantizeWeightsPassBase::QuantizeWeightsPassBase;

  void runOnOperation() override {
    bool staticInt8 = mode == "static-int8";
    int defaultBits = mode == "int8" || staticInt8 ? 8
                      : mode == "int4"             ? 4
                      : mode == "int2"             ? 2
                      : mode == "none"             ? kFloatBits
                                                   : 0;
    if (!defaultBits) {
      getOperation().emitError("unknown quantization mode '")
          << mode << "' (int8, static-int8, int4, int2 or none)";
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
      if (isa<g::MatMulOp, g::GemmOp>(op))
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
            << node << "', which is not a MatMul or Gemm node of this function";
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
      std::string why;
      FailureOr<Layer> layer = failure();
      if (llvm::is_contained(excludeNodes, node))
        why = "excluded by name";
      else if (llvm::any_of(excludeOps, [&](const std::string &name) {
                 return op->getName().stripDialect().equals_insensitive(name);
               }))
        why = "excluded by op type";
      else
        layer = asLayer(op, why);
      if (succeeded(layer) && bits == kFloatBits) {
        why = chosen != bitsByNode.end() ? "32 bits chosen for this layer"
                                         : "mode none";
        layer = failure();
      }
      if (failed(layer)) {
        record.set("bits",
                   IntegerAttr::get(IntegerType::get(ctx, 64), kFloatBits));
        record.set("reason", StringAttr::get(ctx, why));
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
                              op->getResult(0).getType());
      op->getResult(0).replaceAllUsesWith(result);
      op->erase();
      before += floatBytes;
      after += bytes;
      ++quantized;
      auto i64 = [&](int64_t v) {
        return IntegerAttr::get(IntegerType::get(ctx, 64), v);
      };
      record.set("bits", i64(bits));
      if (bits == 8)
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
        record.set(
            "group_size",
            i64(::ds::quant::effectiveGroupSize(
                llvm::cast<ShapedType>(layer->weight.getType()).getDimSize(0),
                bits, groupSize)));
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
    ::ds::quant::Int8Columns columns =
        ::ds::quant::quantizeInt8PerColumn(values, k, n);

    Type f32 = b.getF32Type();
    Type u8 = IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
    auto inType = llvm::cast<RankedTensorType>(layer.input.getType());
    auto resultType =
        llvm::cast<RankedTensorType>(layer.op->getResult(0).getType());
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
    Value result = q::buildInt8Product(b, loc, x, columns, k, n, resultType);
    std::vector<float> correction;
    if (!inputMean.empty())
      correction = ::ds::quant::biasCorrection(
          values, ::ds::quant::dequantize(columns, k, n), inputMean, k, n);
    return {result, k * n + n * 4 + n * 4, columns.zeroCodes,
            std::move(correction)};
  }

  /// Weight-only int4/int2 through dsq.weight_matmul.
  Rewritten rewriteGroupwise(OpBuilder &b, const Layer &layer, int bits,
                             ArrayRef<float> inputMean) {
    Location loc = layer.op->getLoc();
    auto weightType = llvm::cast<ShapedType>(layer.weight.getType());
    int64_t k = weightType.getDimSize(0), n = weightType.getDimSize(1);
    // Rows of W^T: one output channel's weights are contiguous.
    DenseElementsAttr transposed = g::transposeConstant(
        layer.weight, {1, 0}, RankedTensorType::get({n, k}, b.getF32Type()));
    auto rows = llvm::to_vector(transposed.getValues<float>());
    ::ds::quant::PackedGroups packed =
        ::ds::quant::quantizeGroupwise(rows, n, k, bits, groupSize);
    Type u8 = IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
    Value weight = b.create<g::ConstantOp>(
        loc,
        DenseElementsAttr::get(RankedTensorType::get({n, packed.rowBytes}, u8),
                               ArrayRef<uint8_t>(packed.bytes)));
    Value scale = b.create<g::ConstantOp>(
        loc, DenseElementsAttr::get(
                 RankedTensorType::get({n, packed.groups}, b.getF32Type()),
                 ArrayRef<float>(packed.scales)));
    Value zeroPoint = b.create<g::ConstantOp>(
        loc,
        DenseElementsAttr::get(RankedTensorType::get({n, packed.groups}, u8),
                               ArrayRef<uint8_t>(packed.zeroPoints)));
    Value result = b.create<q::WeightMatMulOp>(
        loc, layer.op->getResult(0).getType(), layer.input, weight, scale,
        zeroPoint, Value(), bits, packed.groupSize, k);
    int64_t bytes = n * packed.rowBytes + n * packed.groups * 5;
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
