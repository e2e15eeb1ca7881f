//===- GPUPipeline.cpp - linalg to kernels in PTX and a host in LLVM ------===//
#include "backends/CUDA/Passes.h"

#include "backends/Common/CPUPipeline.h"
#include "backends/Common/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::ds::buildCUDACodegenPipeline(OpPassManager &pm,
                                        const std::string &chip) {
  // The GPU pipeline places, copies and frees device buffers itself
  // (ds-gpu-device-buffers).
  buildBufferizationPipeline(pm, /*hostBuffers=*/false);
  pm.addPass(createGPUDeviceBuffersPass());
  pm.addNestedPass<func::FuncOp>(createGPUDistributePass());
  pm.addPass(createParallelLoopToGpuPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createGPUMergeModulesPass());

  // Kernels: to NVVM, then PTX.
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  buildLoopsToControlFlowPipeline(kernels);
  // No libdevice: every function becomes arithmetic, and what has an
  // instruction (sqrt, fabs, fma, floor) an LLVM intrinsic when the kernels
  // are serialized.
  ApproximateMathPassOptions approximate;
  approximate.allFunctions = true;
  kernels.addPass(createApproximateMathPass(approximate));
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  // What it leaves (fma, roundeven) has an LLVM intrinsic NVPTX selects.
  kernels.addPass(createConvertMathToLLVMPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  kernels.addPass(createCanonicalizerPass());
  GPUSerializeToPTXPassOptions serialize;
  serialize.chip = chip;
  pm.addPass(createGPUSerializeToPTXPass(serialize));

  // Host: copies, frees and launches chained on one stream, then LLVM.
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  buildHostToLLVMPipeline(pm, /*launchesGPUKernels=*/true);
}

void mlir::ds::registerCUDACodegenPipeline() {
  registerDSCUDAPasses();
  PassPipelineRegistration<>(
      "ds-cuda-codegen-pipeline",
      "Bufferize linalg on tensors into GPU kernels (PTX for sm_80) and a "
      "host function in the LLVM dialect",
      [](OpPassManager &pm) { buildCUDACodegenPipeline(pm, "sm_80"); });
}
