//===- InstrumentLayers.cpp - a timestamp call at every layer boundary ----===//
#include "backends/Common/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <map>
#include <set>

namespace mlir::ds {
#define GEN_PASS_DEF_INSTRUMENTLAYERSPASS
#include "backends/Common/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {

/// The runtime-stub function the marks call (ds_runtime.h).
constexpr llvm::StringLiteral kMarkFunction = "ds_profile_mark";

int64_t tensorBytes(Type type) {
  auto tensor = llvm::dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return 0;
  Type element = tensor.getElementType();
  int64_t bits = element.isIntOrFloat() ? element.getIntOrFloatBitWidth() : 8;
  return tensor.getNumElements() * std::max<int64_t>(1, bits / 8);
}

/// The ONNX nodes an op computes, from its location: a fused op carries
/// the names of every node folded into it.
std::vector<std::string> nodesOf(Operation *op) {
  std::vector<std::string> names;
  op->walk([&](Operation *inner) {
    inner->getLoc()->walk([&](Location loc) {
      if (auto name = llvm::dyn_cast<NameLoc>(loc)) {
        std::string text = name.getName().str();
        if (!llvm::is_contained(names, text))
          names.push_back(text);
      }
      return WalkResult::advance();
    });
  });
  return names;
}

/// Ops that cost nothing by themselves: data, views and placeholders.
bool isFree(Operation *op) {
  return op->hasTrait<OpTrait::ConstantLike>() ||
         isa<tensor::EmptyOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp,
             tensor::CastOp>(op);
}

struct Layer {
  std::vector<std::string> nodes;
  std::string op;
  int64_t heaviest = -1, flops = 0, weightBytes = 0, activationBytes = 0;
};

struct InstrumentLayersPass
    : ds::impl::InstrumentLayersPassBase<InstrumentLayersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(&getContext());
    Type i32 = b.getI32Type();
    if (!module.lookupSymbol<func::FuncOp>(kMarkFunction)) {
      b.setInsertionPointToStart(module.getBody());
      b.create<func::FuncOp>(module.getLoc(), kMarkFunction,
                             b.getFunctionType({i32}, {}))
          .setPrivate();
    }
    // FLOPs and weight bytes per ONNX node, which the driver measured on
    // the graph (the ops here are loop nests of vector code).
    std::map<std::string, std::pair<int64_t, int64_t>> nodeCosts;
    if (auto costs = module->getAttrOfType<DictionaryAttr>("ds.node_costs")) {
      for (NamedAttribute entry : costs)
        if (auto pair = llvm::dyn_cast<DenseI64ArrayAttr>(entry.getValue());
            pair && pair.size() == 2)
          nodeCosts[entry.getName().str()] = {pair[0], pair[1]};
      module->removeAttr("ds.node_costs");
    }
    std::set<std::string> counted;
    std::vector<Layer> layers;
    auto mark = [&](Operation *before, size_t id) {
      b.setInsertionPoint(before);
      Value layer = b.create<arith::ConstantOp>(
          before->getLoc(), b.getI32IntegerAttr((int32_t)id));
      b.create<func::CallOp>(before->getLoc(), kMarkFunction, TypeRange{},
                             layer);
    };
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isDeclaration())
        continue;
      for (Block &block : func.getBody()) {
        for (Operation &op : llvm::make_early_inc_range(block)) {
          if (op.hasTrait<OpTrait::IsTerminator>()) {
            mark(&op, layers.size());
            continue;
          }
          if (isFree(&op))
            continue;
          std::vector<std::string> nodes = nodesOf(&op);
          // The fill before a matmul and the matmul itself, say.
          if (layers.empty() || nodes.empty() || layers.back().nodes != nodes) {
            mark(&op, layers.size());
            layers.push_back({nodes});
          }
          Layer &layer = layers.back();
          // A node split over several layers counts in the first.
          for (const std::string &node : nodes)
            if (counted.insert(node).second) {
              auto cost = nodeCosts.find(node);
              if (cost != nodeCosts.end()) {
                layer.flops += cost->second.first;
                layer.weightBytes += cost->second.second;
              }
            }
          // Bytes the op reads and writes; a slice reads only its part and
          // an insert writes into a tensor it does not read whole.
          int64_t size = 0;
          if (auto extract = dyn_cast<tensor::ExtractSliceOp>(op)) {
            size = 2 * tensorBytes(extract.getType());
          } else if (auto insert = dyn_cast<tensor::InsertSliceOp>(op)) {
            size = 2 * tensorBytes(insert.getSourceType());
          } else {
            for (Value operand : op.getOperands()) {
              Operation *def = operand.getDefiningOp();
              if (!def || !def->hasTrait<OpTrait::ConstantLike>())
                size += tensorBytes(operand.getType());
            }
            for (Type type : op.getResultTypes())
              size += tensorBytes(type);
          }
          layer.activationBytes += size;
          // The compute op moving the most data names the layer's kind;
          // tensor-dialect copies (pad, slices) only when there is none.
          bool copy = isa<tensor::TensorDialect>(op.getDialect());
          int64_t rank = copy ? 0 : size + 1;
          if (layer.op.empty() || rank > layer.heaviest) {
            layer.heaviest = rank;
            layer.op = op.getName().getStringRef().str();
          }
        }
      }
    }
    SmallVector<Attribute> records;
    for (const Layer &layer : layers)
      records.push_back(b.getDictionaryAttr({
          b.getNamedAttr("node", b.getStringAttr(llvm::join(layer.nodes, "+"))),
          b.getNamedAttr("op", b.getStringAttr(layer.op)),
          b.getNamedAttr("flops", b.getI64IntegerAttr(layer.flops)),
          b.getNamedAttr("weight_bytes",
                         b.getI64IntegerAttr(layer.weightBytes)),
          b.getNamedAttr("activation_bytes",
                         b.getI64IntegerAttr(layer.activationBytes)),
      }));
    module->setAttr("ds.profile_layers", b.getArrayAttr(records));
  }
};
} // namespace
