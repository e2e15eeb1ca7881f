//===- deepseek-opt.cpp - run dsg passes on .mlir text --------------------===//
//
// MlirOptMain with the dsg dialect, our passes and pipelines, plus the
// upstream dialects and passes that appear in lowered IR, so every stage can
// be tested alone with lit.
//
//===----------------------------------------------------------------------===//

#include "backends/CUDA/Passes.h"
#include "backends/Common/CPUPipeline.h"
#include "compiler/Pipelines/Pipelines.h"
#include "dialects/Graph/IR/GraphOps.h"
#include "dialects/Quant/IR/QuantOps.h"
#include "passes/Conversion/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::ds::registerDSConversionPasses();
  mlir::ds::registerPipelines();
  mlir::ds::registerCPUCodegenPipeline();
  mlir::ds::registerCUDACodegenPipeline();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry
      .insert<mlir::ds::graph::GraphDialect, mlir::ds::quant::QuantDialect>();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "deepseek-convert optimizer driver\n", registry));
}
