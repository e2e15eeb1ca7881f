//===- CpuFeatures.h - LLVM's view of a CPU's features ----------*- C++ -*-===//
//
// The feature sets the code generator used: the same LLVM subtarget tables
// deepseek-convert's backends compile with, so a package is checked against
// what the artifact may really contain.
//
//===----------------------------------------------------------------------===//

#ifndef DS_TOOLS_DEEPSEEK_PACKAGE_CPUFEATURES_H
#define DS_TOOLS_DEEPSEEK_PACKAGE_CPUFEATURES_H

#include <set>
#include <string>

namespace ds::package {

/// A ds::support::CpuFeatureLookup: every subtarget feature LLVM enables
/// for `cpu` on `triple` plus `extra` ("+avx2,-fma"), implied ones included.
bool lookupCpuFeatures(const std::string &triple, const std::string &cpu,
                       const std::string &extra,
                       std::set<std::string> &features, std::string &error);

} // namespace ds::package

#endif // DS_TOOLS_DEEPSEEK_PACKAGE_CPUFEATURES_H
