//===- Pipelines.cpp - target-independent pass pipelines ------------------===//
#include "compiler/Pipelines/Pipelines.h"

#include "dialects/Graph/Transforms/Passes.h"
#include "passes/Conversion/Passes.h"
#include "passes/Quantization/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::ds::buildGraphOptimizationPipeline(
    OpPassManager &pm, const GraphPipelineOptions &options) {
  // Canonicalization runs the dsg folders: shape arithmetic that the
  // importer left behind collapses into constants.
  pm.addPass(createCanonicalizerPass());
  if (options.fusion) {
    // Recompose first (the fused ops are what later patterns look for),
    // then fold BatchNorm before epilogues claim the producers' results.
    OpPassManager &fn = pm.nest<func::FuncOp>();
    fn.addPass(graph::createRecomposeOpsPass());
    fn.addPass(graph::createFoldBatchNormPass());
    fn.addPass(graph::createFuseBiasPass());
    fn.addPass(graph::createFuseActivationPass());
    // After the epilogues, which the int8 product then keeps.
    fn.addPass(quant::createFoldQDQPass());
    fn.addPass(createCanonicalizerPass());
  }
  if (options.prune.sparsity > 0) {
    graph::PruneWeightsPassOptions prune;
    prune.sparsity = options.prune.sparsity;
    prune.structured = options.prune.structured;
    prune.global = options.prune.global;
    prune.exclude = options.prune.exclude;
    OpPassManager &fn = pm.nest<func::FuncOp>();
    fn.addPass(graph::createPruneWeightsPass(prune));
    fn.addPass(createCanonicalizerPass());
  }
  if (!options.quantize.mode.empty()) {
    quant::QuantizeWeightsPassOptions quantize;
    quantize.mode = options.quantize.mode;
    quantize.groupSize = options.quantize.groupSize;
    quantize.int8WeightLimit = options.quantize.int8WeightLimit;
    quantize.excludeNodes = options.quantize.excludeNodes;
    quantize.excludeOps = options.quantize.excludeOps;
    quantize.layerBits = options.quantize.layerBits;
    quantize.activationRanges = options.quantize.activationRanges;
    quantize.inputMeans = options.quantize.inputMeans;
    OpPassManager &fn = pm.nest<func::FuncOp>();
    fn.addPass(quant::createQuantizeWeightsPass(quantize));
    fn.addPass(createCanonicalizerPass());
  }
  if (options.exposeLayerInputs)
    pm.addNestedPass<func::FuncOp>(quant::createExposeLayerInputsPass());
  if (options.optimize)
    pm.addPass(createCSEPass());
  pm.addPass(createSymbolDCEPass());
}

void mlir::ds::buildGraphToLinalgPipeline(OpPassManager &pm,
                                          const std::string &precision,
                                          bool cpuKernels,
                                          int64_t int8DotLimit,
                                          int64_t registerTileColumns) {
  bool reducedPrecision = !precision.empty() && precision != "f32";
  ConvertGraphToLinalgPassOptions lowering;
  lowering.groupTiles = cpuKernels;
  // Winograd's transforms subtract rounded products: in f16 or bf16 their
  // error would scale with the products, not the result.
  lowering.winograd = cpuKernels && !reducedPrecision;
  lowering.int8DotLimit = int8DotLimit;
  lowering.registerTileColumns = registerTileColumns;
  pm.addPass(createConvertGraphToLinalgPass(lowering));
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createCanonicalizerPass());
  // Before fusion, so that the roundings it adds fuse with their neighbours.
  if (reducedPrecision) {
    LowerPrecisionPassOptions lower;
    lower.elementType = precision;
    fn.addPass(createLowerPrecisionPass(lower));
  }
  // Elementwise chains (bias, activation, broadcasts) become one loop nest
  // before bufferization, so no intermediate buffer is ever allocated.
  fn.addPass(createFuseElementwiseProducersPass());
  fn.addPass(createCSEPass());
}

void mlir::ds::registerPipelines() {
  graph::registerDSGraphPasses();
  quant::registerDSQuantizationPasses();
  PassPipelineRegistration<>(
      "ds-graph-optimize", "dsg graph optimization (folding, fusion, CSE, DCE)",
      [](OpPassManager &pm) { buildGraphOptimizationPipeline(pm, {}); });
  PassPipelineRegistration<>(
      "ds-graph-optimize-no-fusion", "dsg graph cleanup without fusion",
      [](OpPassManager &pm) {
        GraphPipelineOptions options;
        options.fusion = false;
        buildGraphOptimizationPipeline(pm, options);
      });
  PassPipelineRegistration<>(
      "ds-graph-to-linalg-pipeline",
      "Lower dsg to fused linalg on tensors",
      [](OpPassManager &pm) { buildGraphToLinalgPipeline(pm); });
}
