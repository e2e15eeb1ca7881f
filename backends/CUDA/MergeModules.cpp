//===- MergeModules.cpp - all kernels in one gpu.module -------------------===//
#include "backends/CUDA/Passes.h"

namespace mlir::ds {
#define GEN_PASS_DEF_GPUMERGEMODULESPASS
#include "backends/CUDA/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {
struct GPUMergeModulesPass
    : ds::impl::GPUMergeModulesPassBase<GPUMergeModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto kernelModules = llvm::to_vector(module.getOps<gpu::GPUModuleOp>());
    if (kernelModules.size() < 2)
      return;
    gpu::GPUModuleOp into = kernelModules.front();
    SymbolTable intoSymbols(into);
    // Old kernel reference -> new one.
    DenseMap<Attribute, SymbolRefAttr> moved;
    for (gpu::GPUModuleOp from : llvm::drop_begin(kernelModules)) {
      for (Operation &op :
           llvm::make_early_inc_range(from.getBody()->without_terminator())) {
        auto symbol = dyn_cast<SymbolOpInterface>(op);
        StringAttr oldName = symbol ? symbol.getNameAttr() : StringAttr();
        op.moveBefore(into.getBody()->getTerminator());
        if (!symbol)
          continue;
        // insert() renames the symbol if the name is taken.
        StringAttr newName = intoSymbols.insert(&op);
        moved[SymbolRefAttr::get(from.getNameAttr(),
                                 {FlatSymbolRefAttr::get(oldName)})] =
            SymbolRefAttr::get(into.getNameAttr(),
                               {FlatSymbolRefAttr::get(newName)});
      }
      from.erase();
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      if (SymbolRefAttr to = moved.lookup(launch.getKernel()))
        launch.setKernelAttr(to);
    });
  }
};
} // namespace
