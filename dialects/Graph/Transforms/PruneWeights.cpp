//===- PruneWeights.cpp - magnitude and L1-norm channel pruning -----------===//
#include "dialects/Graph/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"

#include <numeric>

namespace mlir::ds::graph {
#define GEN_PASS_DEF_PRUNEWEIGHTSPASS
#include "dialects/Graph/Transforms/Passes.h.inc"
} // namespace mlir::ds::graph

using namespace mlir;
using namespace mlir::ds::graph;

namespace {

DenseElementsAttr constantWeights(Value v) {
  DenseElementsAttr attr;
  if (v && matchPattern(v, m_Constant(&attr)) && attr.getElementType().isF32())
    return attr;
  return nullptr;
}

/// The weight operand of a prunable layer.
OpOperand &weightOperand(Operation *op) {
  if (auto conv = dyn_cast<ConvOp>(op))
    return conv.getWeightMutable();
  if (auto gemm = dyn_cast<GemmOp>(op))
    return gemm.getBMutable();
  return cast<MatMulOp>(op).getRhsMutable();
}

Value weightOf(Operation *op) { return weightOperand(op).get(); }

/// Multiply-adds times two (graph::estimateFlops, shared with the profile).
int64_t layerFlops(Operation *op) { return estimateFlops(op); }

struct LayerStats {
  std::string node, op, note;
  double sparsity = 0;
  int64_t bytesBefore = 0, bytesAfter = 0, flopsBefore = 0, flopsAfter = 0;
  DictionaryAttr toAttr(MLIRContext *ctx) const {
    Builder b(ctx);
    SmallVector<NamedAttribute> fields = {
        b.getNamedAttr("node", b.getStringAttr(node)),
        b.getNamedAttr("op", b.getStringAttr(op)),
        b.getNamedAttr("sparsity", b.getF64FloatAttr(sparsity)),
        b.getNamedAttr("weight_bytes_before", b.getI64IntegerAttr(bytesBefore)),
        b.getNamedAttr("weight_bytes_after", b.getI64IntegerAttr(bytesAfter)),
        b.getNamedAttr("flops_before", b.getI64IntegerAttr(flopsBefore)),
        b.getNamedAttr("flops_after", b.getI64IntegerAttr(flopsAfter))};
    if (!note.empty())
      fields.push_back(b.getNamedAttr("note", b.getStringAttr(note)));
    return b.getDictionaryAttr(fields);
  }
};

/// Ops that map each channel (on `axis`) on its own: removing channel c of
/// the input removes channel c of the result and nothing else. BatchNorm,
/// pooling and reductions keep channels on axis 1 only.
bool isPerChannel(Operation *op, int64_t axis) {
  if (op->getNumResults() != 1)
    return false;
  if (isa<BatchNormOp, MaxPoolOp, AveragePoolOp>(op))
    return axis == 1;
  if (auto clip = dyn_cast<ClipOp>(op))
    return (!clip.getMin() || clip.getMin().getType().getNumElements() == 1) &&
           (!clip.getMax() || clip.getMax().getType().getNumElements() == 1);
  if (isa<ReduceMeanOp, ReduceMaxOp>(op)) {
    auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
    return axis == 1 && op->getAttrOfType<BoolAttr>("keepdims").getValue() &&
           llvm::all_of(axes, [](int64_t a) { return a >= 2; });
  }
  return op->getNumOperands() == 1 &&
         op->hasTrait<OpTrait::SameOperandsAndResultShape>();
}

DenseElementsAttr sliceChannels(DenseElementsAttr attr, int64_t axis,
                                ArrayRef<int64_t> keep) {
  auto type = llvm::cast<RankedTensorType>(attr.getType());
  auto shape = type.getShape();
  int64_t outer = std::accumulate(shape.begin(), shape.begin() + axis,
                                  int64_t(1), std::multiplies<>());
  int64_t inner = std::accumulate(shape.begin() + axis + 1, shape.end(),
                                  int64_t(1), std::multiplies<>());
  auto values = attr.getValues<float>();
  std::vector<float> out;
  out.reserve(outer * keep.size() * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c : keep)
      for (int64_t i = 0; i < inner; ++i)
        out.push_back(values[(o * shape[axis] + c) * inner + i]);
  SmallVector<int64_t> newShape(shape);
  newShape[axis] = keep.size();
  return DenseElementsAttr::get(
      RankedTensorType::get(newShape, type.getElementType()),
      ArrayRef<float>(out));
}

RankedTensorType withChannels(Type type, int64_t axis, int64_t channels) {
  auto t = llvm::cast<RankedTensorType>(type);
  SmallVector<int64_t> shape(t.getShape());
  shape[axis] = channels;
  return RankedTensorType::get(shape, t.getElementType());
}

/// Where a layer's output channels are: the axis of its weight that indexes
/// them and the axis of its result that carries them (Conv: weight 0,
/// result 1; Gemm/MatMul: the weight's N axis and the result's last);
/// nothing for a layer whose weight is not a plain matrix.
struct ChannelAxes {
  int64_t weight, result;
};
std::optional<ChannelAxes> outputChannelAxes(Operation *op) {
  if (isa<ConvOp>(op))
    return ChannelAxes{0, 1};
  int64_t resultRank =
      llvm::cast<RankedTensorType>(op->getResult(0).getType()).getRank();
  if (auto gemm = dyn_cast<GemmOp>(op))
    return ChannelAxes{gemm.getTransB() ? 0 : 1, resultRank - 1};
  auto weight = llvm::cast<RankedTensorType>(weightOf(op).getType());
  if (weight.getRank() != 2 || resultRank < 2)
    return std::nullopt;
  return ChannelAxes{1, resultRank - 1};
}

/// The axis of a reading layer's weight that indexes the input channels it
/// reads on `use` (Conv: 1; Gemm/MatMul: K); nothing when it cannot lose
/// some (grouped, transposed input, run-time weights).
std::optional<int64_t> inputChannelAxis(OpOperand &use) {
  Operation *reader = use.getOwner();
  if (use.getOperandNumber() != 0 || !constantWeights(weightOf(reader)))
    return std::nullopt;
  if (auto conv = dyn_cast<ConvOp>(reader)) {
    if (conv.getGroup() != 1)
      return std::nullopt;
    return 1;
  }
  if (auto gemm = dyn_cast<GemmOp>(reader)) {
    if (gemm.getTransA())
      return std::nullopt;
    return gemm.getTransB() ? 1 : 0;
  }
  if (cast<MatMulOp>(reader).getRhs().getType().getRank() != 2)
    return std::nullopt;
  return 0;
}

struct PruneWeightsPass
    : mlir::ds::graph::impl::PruneWeightsPassBase<PruneWeightsPass> {
  using PruneWeightsPassBase::PruneWeightsPassBase;

  void runOnOperation() override {
    if (sparsity <= 0.0)
      return;
    if (sparsity >= 1.0) {
      getOperation().emitError("prune sparsity must be below 1");
      return signalPassFailure();
    }
    std::vector<LayerStats> stats;
    SmallVector<Operation *> layers;
    getOperation().walk([&](Operation *op) {
      if (isa<ConvOp, GemmOp, MatMulOp>(op) && constantWeights(weightOf(op)))
        layers.push_back(op);
    });
    auto [bytesBefore, flopsBefore] = totals(layers);
    if (structured)
      pruneChannels(layers, stats);
    else
      pruneMagnitudes(layers, stats);
    auto [bytesAfter, flopsAfter] = totals(layers);
    Builder b(&getContext());
    SmallVector<Attribute> entries;
    for (const LayerStats &s : stats)
      entries.push_back(s.toAttr(&getContext()));
    getOperation()->setAttr(
        "ds.pruning",
        b.getDictionaryAttr(
            {b.getNamedAttr("layers", b.getArrayAttr(entries)),
             b.getNamedAttr("weight_bytes_before", b.getI64IntegerAttr(bytesBefore)),
             b.getNamedAttr("weight_bytes_after", b.getI64IntegerAttr(bytesAfter)),
             b.getNamedAttr("flops_before", b.getI64IntegerAttr(flopsBefore)),
             b.getNamedAttr("flops_after", b.getI64IntegerAttr(flopsAfter))}));
  }

  bool excluded(Operation *op) const {
    return llvm::is_contained(exclude, nodeName(op));
  }

  LayerStats baseStats(Operation *op) const {
    LayerStats s;
    s.node = nodeName(op);
    s.op = op->getName().stripDialect().str();
    auto w = llvm::cast<RankedTensorType>(weightOf(op).getType());
    s.bytesBefore = s.bytesAfter = w.getNumElements() * 4;
    s.flopsBefore = s.flopsAfter = layerFlops(op);
    return s;
  }

  /// Zeroes the smallest weights. The kernels stay dense, so the FLOPs do
  /// not change; ds-compress-weights may store the weights compressed.
  void pruneMagnitudes(ArrayRef<Operation *> layers,
                       std::vector<LayerStats> &stats) {
    std::vector<Operation *> pruned;
    std::vector<float> magnitudes;
    llvm::DenseMap<Operation *, LayerStats> byLayer;
    for (Operation *op : layers) {
      if (excluded(op)) {
        LayerStats s = baseStats(op);
        s.note = "excluded";
        byLayer[op] = s;
        continue;
      }
      pruned.push_back(op);
      if (global)
        for (float w : constantWeights(weightOf(op)).getValues<float>())
          magnitudes.push_back(std::abs(w));
    }
    float globalThreshold = global ? thresholdFor(std::move(magnitudes)) : 0;
    for (Operation *op : pruned) {
      DenseElementsAttr weights = constantWeights(weightOf(op));
      std::vector<float> values(weights.getValues<float>().begin(),
                                weights.getValues<float>().end());
      float threshold = globalThreshold;
      if (!global) {
        std::vector<float> own;
        for (float w : values)
          own.push_back(std::abs(w));
        threshold = thresholdFor(std::move(own));
      }
      int64_t zeros = 0;
      for (float &w : values) {
        if (std::abs(w) < threshold)
          w = 0.0f;
        zeros += w == 0.0f;
      }
      OpBuilder b(op);
      Value newWeights = b.create<ConstantOp>(
          op->getLoc(), DenseElementsAttr::get(weights.getType(),
                                               ArrayRef<float>(values)));
      op->setOperand(1, newWeights); // every layer's weight is operand 1
      LayerStats s = baseStats(op);
      s.sparsity = (double)zeros / values.size();
      s.note = "zeroed in place: kernels stay dense (the file may store the "
               "weights compressed, see weight_storage)";
      byLayer[op] = s;
    }
    for (Operation *op : layers)
      stats.push_back(byLayer[op]);
  }

  /// The magnitude below which weights go: the sparsity-quantile, so that
  /// floor(sparsity * n) weights fall under it (ties may add a few).
  float thresholdFor(std::vector<float> magnitudes) const {
    if (magnitudes.empty())
      return 0.0f;
    size_t k = (size_t)(sparsity * magnitudes.size());
    if (k == 0)
      return 0.0f;
    std::nth_element(magnitudes.begin(), magnitudes.begin() + (k - 1),
                     magnitudes.end());
    float kth = magnitudes[k - 1];
    return std::nextafter(kth, std::numeric_limits<float>::infinity());
  }

  /// A layer whose channels are traced: the op and the weight axis.
  struct Reader {
    Operation *op;
    int64_t weightAxis;
  };

  /// Follows a layer's channels (on `axis` of `v`) through per-channel ops
  /// to the layers that read them. Fills `chain` (in order) and `readers`;
  /// returns why the channels cannot be removed, or "".
  std::string traceChannels(Value v, int64_t axis,
                            SmallVectorImpl<Operation *> &chain,
                            SmallVectorImpl<Reader> &readers) const {
    int64_t rank = llvm::cast<RankedTensorType>(v.getType()).getRank();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (isa<ConvOp, GemmOp, MatMulOp>(user)) {
        // A conv reads channels on axis 1, a matrix product on the last.
        if (isa<ConvOp>(user) ? axis != 1 : axis != rank - 1)
          return "a consumer layer reads the channels on another axis";
        std::optional<int64_t> weightAxis = inputChannelAxis(use);
        if (!weightAxis)
          return "a consumer layer is grouped, transposes its input or has "
                 "run-time weights";
        readers.push_back({user, *weightAxis});
        continue;
      }
      if (isa<func::ReturnOp>(user))
        return "the channels are a graph output";
      if (!isPerChannel(user, axis) || use.getOperandNumber() != 0)
        return "the channels reach '" +
               user->getName().getStringRef().str() +
               "' (a residual connection or another op that mixes them)";
      chain.push_back(user);
      std::string why = traceChannels(user->getResult(0), axis, chain, readers);
      if (!why.empty())
        return why;
    }
    return "";
  }

  /// The layer's bias, whose last axis holds its output channels, or null.
  static OpOperand *biasOperand(Operation *op) {
    if (auto conv = dyn_cast<ConvOp>(op))
      return conv.getBias() ? &conv.getBiasMutable()[0] : nullptr;
    if (auto gemm = dyn_cast<GemmOp>(op))
      return gemm.getC() ? &gemm.getCMutable()[0] : nullptr;
    auto matmul = cast<MatMulOp>(op);
    return matmul.getBias() ? &matmul.getBiasMutable()[0] : nullptr;
  }

  void pruneChannels(ArrayRef<Operation *> layers,
                     std::vector<LayerStats> &stats) {
    for (Operation *op : layers) {
      LayerStats s = baseStats(op);
      if (excluded(op)) {
        s.note = "excluded";
        stats.push_back(s);
        continue;
      }
      std::optional<ChannelAxes> axes = outputChannelAxes(op);
      auto conv = dyn_cast<ConvOp>(op);
      SmallVector<Operation *> chain;
      SmallVector<Reader> readers;
      std::string why =
          !axes ? "the weight is not a matrix"
          : conv && conv.getGroup() != 1
              ? "grouped convolution"
              : traceChannels(op->getResult(0), axes->result, chain, readers);
      if (why.empty() && readers.empty())
        why = "no layer reads the channels";
      if (!why.empty()) {
        s.note = "kept whole: " + why;
        stats.push_back(s);
        continue;
      }
      DenseElementsAttr weights = constantWeights(weightOf(op));
      auto wType = llvm::cast<RankedTensorType>(weights.getType());
      int64_t channels = wType.getShape()[axes->weight];
      int64_t drop = std::min<int64_t>(sparsity * channels, channels - 1);
      if (drop == 0) {
        s.note = "too few channels to remove any";
        stats.push_back(s);
        continue;
      }
      // L1 norm of each output channel's weights.
      std::vector<double> norms(channels, 0.0);
      {
        auto shape = wType.getShape();
        int64_t inner =
            std::accumulate(shape.begin() + axes->weight + 1, shape.end(),
                            int64_t(1), std::multiplies<>());
        int64_t index = 0;
        for (float w : weights.getValues<float>())
          norms[(index++ / inner) % channels] += std::abs(w);
      }
      SmallVector<int64_t> order(channels);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t a, int64_t b) { return norms[a] > norms[b]; });
      SmallVector<int64_t> keep(order.begin(), order.begin() + (channels - drop));
      llvm::sort(keep);
      int64_t kept = keep.size();

      // The layer itself: fewer output channels.
      OpBuilder b(op);
      auto constant = [&](DenseElementsAttr attr) -> Value {
        return b.create<ConstantOp>(op->getLoc(), attr);
      };
      weightOperand(op).set(
          constant(sliceChannels(weights, axes->weight, keep)));
      if (OpOperand *bias = biasOperand(op))
        if (auto attr = constantWeights(bias->get())) {
          auto type = llvm::cast<RankedTensorType>(attr.getType());
          // A bias broadcast along the channels (one value) stays.
          if (type.getRank() > 0 && type.getShape().back() == channels)
            bias->set(constant(sliceChannels(attr, type.getRank() - 1, keep)));
        }
      op->getResult(0).setType(
          withChannels(op->getResult(0).getType(), axes->result, kept));
      // Per-channel ops in between: their parameters and types follow.
      for (Operation *link : chain) {
        if (auto bn = dyn_cast<BatchNormOp>(link)) {
          b.setInsertionPoint(bn);
          for (OpOperand &param : llvm::drop_begin(bn->getOpOperands())) {
            auto attr = constantWeights(param.get());
            if (attr)
              param.set(constant(sliceChannels(attr, 0, keep)));
          }
        }
        link->getResult(0).setType(
            withChannels(link->getResult(0).getType(), axes->result, kept));
      }
      // The readers: fewer input channels.
      int64_t readerBytesBefore = 0, readerBytesAfter = 0;
      int64_t readerFlopsBefore = 0, readerFlopsAfter = 0;
      for (const Reader &reader : readers) {
        readerFlopsBefore += layerFlops(reader.op);
        auto rw = constantWeights(weightOf(reader.op));
        readerBytesBefore += rw.getNumElements() * 4;
        b.setInsertionPoint(reader.op);
        DenseElementsAttr sliced = sliceChannels(rw, reader.weightAxis, keep);
        weightOperand(reader.op).set(
            b.create<ConstantOp>(reader.op->getLoc(), sliced));
        readerBytesAfter += sliced.getNumElements() * 4;
        readerFlopsAfter += layerFlops(reader.op);
      }
      s.sparsity = (double)drop / channels;
      s.bytesAfter = weightBytes(op);
      s.flopsAfter = layerFlops(op);
      s.bytesBefore += readerBytesBefore;
      s.bytesAfter += readerBytesAfter;
      s.flopsBefore += readerFlopsBefore;
      s.flopsAfter += readerFlopsAfter;
      s.note = std::to_string(drop) + " of " + std::to_string(channels) +
               " output channels removed; bytes and FLOPs include the " +
               std::to_string(readers.size()) + " reading layer(s)";
      stats.push_back(s);
    }
  }

  /// Weight bytes and FLOPs of all the layers together.
  static std::pair<int64_t, int64_t> totals(ArrayRef<Operation *> layers) {
    int64_t bytes = 0, flops = 0;
    for (Operation *op : layers) {
      bytes += weightBytes(op);
      flops += layerFlops(op);
    }
    return {bytes, flops};
  }

  static int64_t weightBytes(Operation *op) {
    return llvm::cast<RankedTensorType>(weightOf(op).getType()).getNumElements() * 4;
  }
};
} // namespace
