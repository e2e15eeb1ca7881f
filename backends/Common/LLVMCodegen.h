//===- LLVMCodegen.h - LLVM target machines and optimization ----*- C++ -*-===//
//
// The steps every backend takes once it has LLVM IR: a target machine for
// its triple and CPU, the O3 pipeline, and emission of assembly or objects.
//
//===----------------------------------------------------------------------===//
#ifndef DS_BACKENDS_COMMON_LLVMCODEGEN_H
#define DS_BACKENDS_COMMON_LLVMCODEGEN_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace mlir::ds {

/// A target machine for position-independent code at -O3; null with
/// `error` set when LLVM has no such target.
std::unique_ptr<llvm::TargetMachine>
createTargetMachine(llvm::StringRef triple, llvm::StringRef cpu,
                    llvm::StringRef features, std::string &error);

/// Whether LLVM knows `cpu` for `triple` (asked of the target's generic
/// subtarget, so that nothing is printed for an unknown name).
bool isKnownCPU(llvm::StringRef triple, llvm::StringRef cpu);

/// LLVM's O3 pipeline with loop and SLP vectorization, without the loop
/// unroller (the MLIR pipelines unroll register tiles themselves).
void optimizeModule(llvm::Module &module, llvm::TargetMachine &tm);

/// Runs the code generator on `module` into `os`; false with `error` set
/// when the target cannot emit that kind of file.
bool emitMachineCode(llvm::Module &module, llvm::TargetMachine &tm,
                     llvm::CodeGenFileType type, llvm::raw_pwrite_stream &os,
                     std::string &error);

} // namespace mlir::ds

#endif
