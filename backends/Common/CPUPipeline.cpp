//===- CPUPipeline.cpp - linalg to LLVM dialect for CPUs ------------------===//
#include "backends/Common/CPUPipeline.h"

#include "backends/Common/Passes.h"
#include "passes/Conversion/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

/// Copies stay linalg ops so they lower to loops with everything else;
/// memref.copy of strided buffers would call into MLIR's runner library,
/// which artifacts do not link.
static LogicalResult linalgCopy(OpBuilder &b, Location loc, Value from,
                                Value to) {
  b.create<linalg::CopyOp>(loc, from, to);
  return success();
}

void mlir::ds::buildBufferizationPipeline(OpPassManager &pm,
                                          bool hostBuffers) {
  bufferization::OneShotBufferizationOptions bufferization;
  bufferization.bufferizeFunctionBoundaries = true;
  bufferization.setFunctionBoundaryTypeConversion(
      bufferization::LayoutMapOption::IdentityLayoutMap);
  bufferization.memCpyFn = linalgCopy;
  // A region computed into an empty tensor and inserted into a bigger one
  // (a depthwise convolution's interior and borders) is computed in place
  // in the bigger one's buffer, not in its own and copied over. (Before
  // the results' copies are made: it would fold them away.)
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(createPackBoundedResultsPass());
  pm.addNestedPass<func::FuncOp>(createCopyAliasedResultsPass());
  pm.addPass(bufferization::createOneShotBufferizePass(bufferization));
  // Outputs become caller-owned arguments (an output that is an input, as
  // with Identity, is copied: the runtime hands out distinct buffers): the
  // entry point writes into the buffers the runtime hands it, and static
  // result allocations vanish.
  bufferization::BufferResultsToOutParamsOpts outParams;
  outParams.hoistStaticAllocs = true;
  outParams.memCpyFn = linalgCopy;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  if (hostBuffers)
    pm.addNestedPass<func::FuncOp>(createWriteResultsInPlacePass());
  // A slice written in place and inserted back (ds-fill-pad-borders' slabs)
  // bufferizes to a copy between two equal subviews: CSE makes them one
  // and the canonicalizer drops the copy.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  if (hostBuffers) {
    bufferization::BufferDeallocationPipelineOptions dealloc;
    bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  }
  pm.addPass(createBufferizationToMemRefPass());
  if (hostBuffers)
    pm.addNestedPass<func::FuncOp>(createPlanBuffersPass());
}

void mlir::ds::buildCPUCodegenPipeline(OpPassManager &pm,
                                       const CPUCodegenOptions &options) {
  // Contractions get their blocked, vectorized loop nests while still on
  // tensors, where tiling and subset hoisting are cleanest.
  VectorizeContractionsPassOptions contractions;
  contractions.vnni = options.vnni;
  contractions.sdot = options.sdot;
  contractions.pairDots = options.pairDots;
  contractions.mr = options.registerRows;
  contractions.nr = options.registerColumns;
  contractions.kc = kCacheTileDepth;
  contractions.wideTiles = options.wideRegisterTiles;
  pm.addNestedPass<func::FuncOp>(createVectorizeContractionsPass(contractions));
  pm.addNestedPass<func::FuncOp>(createApproximateMathPass());
  // Here a layer is what the generated code computes as one piece.
  if (options.instrumentLayers)
    pm.addPass(createInstrumentLayersPass());
  pm.addNestedPass<func::FuncOp>(createFillPadBordersPass());
  buildBufferizationPipeline(pm, /*hostBuffers=*/true);
  // What bufferization left as linalg ops outside the kernels (elementwise
  // chains, pad and slice copies, fills) is vectorized here, not by LLVM.
  pm.addNestedPass<func::FuncOp>(createVectorizeElementwisePass());
  pm.addPass(createCompressWeightsPass());
  // Thread-level loops become calls that the runtime's pool will split.
  pm.addPass(createOutlineParallelLoopsPass());

  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createConvertLinalgToLoopsPass());
  // Masked or N-d transfers left by the vectorizer become unrolled 1-d ones.
  VectorTransferToSCFOptions transfers;
  transfers.enableFullUnroll();
  fn.addPass(createConvertVectorToSCFPass(transfers));
  buildHostToLLVMPipeline(pm, /*launchesGPUKernels=*/false);
}

void mlir::ds::buildLoopsToControlFlowPipeline(OpPassManager &pm) {
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  // Views (subviews, reshapes) become offset and stride arithmetic, which
  // the second affine lowering takes.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
}

void mlir::ds::buildHostToLLVMPipeline(OpPassManager &pm,
                                       bool launchesGPUKernels) {
  buildLoopsToControlFlowPipeline(pm);
  // Math first: what has no LLVM intrinsic becomes libm calls on the
  // elements of its vectors, whose extracts the vector lowering then takes.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  // Scratch buffers come from the runtime, which reuses them across runs.
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  // The default convention passes sizes with every buffer, which dynamic
  // shapes need; the entry point fills them in (Artifact.cpp) and LLVM
  // folds the static ones away once the graph is inlined into it.
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createDispatchParallelCallsPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  // Copies, frees and launches become calls to the runtime's GPU functions.
  if (launchesGPUKernels)
    pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::ds::registerCPUCodegenPipeline() {
  registerDSBackendPasses();
  PassPipelineRegistration<>(
      "ds-cpu-codegen-pipeline",
      "Bufferize linalg on tensors and lower it to the LLVM dialect",
      [](OpPassManager &pm) { buildCPUCodegenPipeline(pm, {}); });
}
