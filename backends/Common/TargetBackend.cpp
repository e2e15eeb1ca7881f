//===- TargetBackend.cpp - backend registry -------------------------------===//
#include "backends/Common/TargetBackend.h"

#include "llvm/ADT/StringMap.h"

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
