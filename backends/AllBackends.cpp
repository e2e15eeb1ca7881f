//===- AllBackends.cpp - register the built-in backends -------------------===//
#include "backends/Common/TargetBackend.h"

#include <mutex>

void mlir::ds::registerAllTargetBackends() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerTargetBackend(createX86Backend());
    registerTargetBackend(createAArch64Backend());
    registerTargetBackend(createCUDABackend());
  });
}
