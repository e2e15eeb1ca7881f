//===- LLVMCodegen.cpp - LLVM target machines and optimization ------------===//
#include "backends/Common/LLVMCodegen.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"

#include <mutex>

/// LLVM's target for `triple`, the targets registered on first use; null
/// with `error` set when LLVM has none.
static const llvm::Target *lookupTarget(llvm::StringRef triple,
                                        std::string &error) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
  });
  return llvm::TargetRegistry::lookupTarget(triple.str(), error);
}

std::unique_ptr<llvm::TargetMachine>
mlir::ds::createTargetMachine(llvm::StringRef triple, llvm::StringRef cpu,
                              llvm::StringRef features, std::string &error) {
  const llvm::Target *target = lookupTarget(triple, error);
  if (!target)
    return nullptr;
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple.str(), cpu, features, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    error = "cannot create a target machine for " + triple.str();
  return tm;
}

bool mlir::ds::isKnownCPU(llvm::StringRef triple, llvm::StringRef cpu) {
  std::string error;
  const llvm::Target *target = lookupTarget(triple, error);
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      target ? target->createMCSubtargetInfo(triple, "", "") : nullptr);
  return generic && generic->isCPUStringValid(cpu);
}

void mlir::ds::optimizeModule(llvm::Module &module, llvm::TargetMachine &tm) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  // The MLIR pipeline already unrolls register tiles. LLVM's unroller on top
  // of it turned MobileNetV2's bias fills into straight-line blocks of
  // thousands of stores, which the machine scheduler takes quadratic time
  // over (24 s of a 28 s compile), for no run-time gain.
  tuning.LoopUnrolling = false;
  llvm::PassBuilder pb(&tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3)
      .run(module, mam);
}

bool mlir::ds::emitMachineCode(llvm::Module &module, llvm::TargetMachine &tm,
                               llvm::CodeGenFileType type,
                               llvm::raw_pwrite_stream &os,
                               std::string &error) {
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr, type)) {
    error = "the target cannot emit this file type";
    return false;
  }
  pm.run(module);
  return true;
}
