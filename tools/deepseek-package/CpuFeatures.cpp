//===- CpuFeatures.cpp - LLVM's view of a CPU's features ------------------===//

#include "tools/deepseek-package/CpuFeatures.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"

#include <memory>
#include <mutex>

namespace ds::package {

bool lookupCpuFeatures(const std::string &triple, const std::string &cpu,
                       const std::string &extra,
                       std::set<std::string> &features, std::string &error) {
  // Only the targets presets name; the subtarget tables live in the MC
  // layer, so no code generator is initialised.
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86TargetMC();
    LLVMInitializeAArch64TargetInfo();
    LLVMInitializeAArch64TargetMC();
  });
  std::string lookupError;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!target) {
    error = "LLVM has no target for " + triple + ": " + lookupError;
    return false;
  }
  // Asked of a generic subtarget first: LLVM prints a warning and carries
  // on with a generic CPU when handed a name it does not know.
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!generic || !generic->isCPUStringValid(cpu)) {
    error = "LLVM knows no CPU '" + cpu + "' for " + triple;
    return false;
  }
  // Same for features: an unknown one would be dropped with a warning.
  llvm::StringRef rest = extra;
  while (!rest.empty()) {
    auto [item, tail] = rest.split(',');
    rest = tail;
    llvm::StringRef name = item.trim();
    if (name.empty())
      continue;
    if (!name.consume_front("+"))
      name.consume_front("-");
    bool known = false;
    for (const llvm::SubtargetFeatureKV &kv :
         generic->getAllProcessorFeatures())
      known = known || name == kv.Key;
    if (!known) {
      error = "LLVM knows no feature '" + item.trim().str() + "' for " + triple;
      return false;
    }
  }
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      target->createMCSubtargetInfo(triple, cpu, extra));
  if (!info) {
    error = "LLVM cannot describe CPU '" + cpu + "' for " + triple;
    return false;
  }
  features.clear();
  for (const llvm::SubtargetFeatureKV &kv : info->getAllProcessorFeatures())
    if (info->getFeatureBits()[kv.Value])
      features.insert(kv.Key);
  return true;
}

} // namespace ds::package
