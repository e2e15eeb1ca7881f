//===- ProfileReport.h - table, JSON and HTML of a profile ----*- C++ -*-===//
#ifndef DS_TOOLS_DEEPSEEK_PROFILE_PROFILEREPORT_H
#define DS_TOOLS_DEEPSEEK_PROFILE_PROFILEREPORT_H

#include <cstdint>
#include <string>
#include <vector>

namespace ds::profile {

/// One layer of the compiled graph (after fusion), as measured.
struct Layer {
  std::string node, op;
  int64_t flops = 0, weightBytes = 0, activationBytes = 0;
  double medianMs = 0; // over the timed runs
  double share = 0;    // of the sum of all layers' medians
};

struct Profile {
  std::string model, artifact;
  int runs = 0, threads = 1;
  std::vector<int64_t> batchShape; // input 0's shape as run
  double totalMs = 0;              // median of whole runs, instrumented
  std::vector<Layer> layers;
  // Which columns to show: --metrics.
  bool flops = true, latency = true, memory = true;
};

/// The terminal table, one row per layer in execution order.
std::string formatTable(const Profile &profile);
/// The same as JSON.
std::string formatJson(const Profile &profile);
/// A self-contained HTML page: summary, a bar chart (inline SVG) of the
/// layers that take the most time, and the full table.
std::string formatHtml(const Profile &profile);

} // namespace ds::profile

#endif
