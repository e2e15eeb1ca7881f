//===- TargetBackend.cpp - backend registry -------------------------------===//
#include "backends/Common/TargetBackend.h"
#include "backends/Common/LLVMCodegen.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>

using namespace mlir::ds;

static llvm::StringMap<std::unique_ptr<TargetBackend>> &registry() {
  static llvm::StringMap<std::unique_ptr<TargetBackend>> backends;
  return backends;
}

void mlir::ds::registerTargetBackend(std::unique_ptr<TargetBackend> backend) {
  std::string key = backend->name().str();
  registry()[key] = std::move(backend);
}

const TargetBackend *mlir::ds::lookupTargetBackend(llvm::StringRef name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : it->second.get();
}

std::vector<std::string> mlir::ds::registeredTargetNames() {
  std::vector<std::string> names;
  for (auto &entry : registry())
    names.push_back(entry.getKey().str());
  std::sort(names.begin(), names.end());
  return names;
}

static bool hostIs(llvm::Triple::ArchType arch) {
  return llvm::Triple(llvm::sys::getProcessTriple()).getArch() == arch;
}

std::vector<std::string>
TargetBackend::driversFor(llvm::Triple::ArchType arch,
                          llvm::StringRef crossDriver) {
  if (hostIs(arch))
    return {"cc", "gcc", "clang", "clang-19"};
  return {crossDriver.str()};
}

bool CPUTargetBackend::compilesForHost(const TargetOptions &options) const {
  return hostIs(arch) && (options.cpu.empty() || options.cpu == "native" ||
                          options.cpu == "host");
}

std::string CPUTargetBackend::resolveCPU(const TargetOptions &options) const {
  if (compilesForHost(options))
    return llvm::sys::getHostCPUName().str();
  return options.cpu.empty() ? baselineCPU.str() : options.cpu;
}

std::string
CPUTargetBackend::resolveFeatures(const TargetOptions &options) const {
  std::vector<std::string> list;
  if (compilesForHost(options))
    for (auto &f : llvm::sys::getHostCPUFeatures())
      list.push_back((f.getValue() ? "+" : "-") + f.getKey().str());
  std::sort(list.begin(), list.end());
  if (!options.features.empty())
    list.push_back(options.features);
  std::string features;
  for (const std::string &f : list)
    features += (features.empty() ? "" : ",") + f;
  return features;
}

std::vector<std::string> CPUTargetBackend::linkerDrivers() const {
  return driversFor(arch, crossDriver);
}

std::string
CPUTargetBackend::missingForPrecision(llvm::StringRef precision,
                                      const TargetOptions &options) const {
  if (precision == "fp32")
    return "";
  PrecisionFeature needed = precisionFeature(precision);
  if (needed.feature.empty())
    return "--target cuda";
  if (hasFeatures(options, needed.feature))
    return "";
  return ("--target cuda or " + needed.description + " (the target CPU '" +
          resolveCPU(options) + "' lacks it)")
      .str();
}

bool TargetBackend::hasFeatures(const TargetOptions &options,
                                llvm::StringRef features) const {
  std::string error;
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(
      triple(), resolveCPU(options), resolveFeatures(options), error);
  return tm && tm->getMCSubtargetInfo()->checkFeatures(features);
}

bool TargetBackend::runsOnHost(const TargetOptions &options) const {
  if (llvm::Triple(triple()).getArch() !=
      llvm::Triple(llvm::sys::getProcessTriple()).getArch())
    return false;
  std::string error;
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(
      triple(), resolveCPU(options), resolveFeatures(options), error);
  if (!tm)
    return false;
  const llvm::MCSubtargetInfo *target = tm->getMCSubtargetInfo();
  for (const auto &feature : llvm::sys::getHostCPUFeatures())
    if (!feature.getValue() &&
        target->checkFeatures(("+" + feature.getKey()).str()))
      return false;
  return true;
}
