//===- ProfileReport.cpp - table, JSON and HTML of a profile -------------===//
#include "tools/deepseek-profile/ProfileReport.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <numeric>

using namespace ds::profile;

namespace {

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text;
  for (int64_t d : shape)
    text += (text.empty() ? "" : "x") + std::to_string(d);
  return text.empty() ? "scalar" : text;
}

std::string summaryLine(const Profile &p) {
  return llvm::formatv("{0} ({1}): {2} layers, input 0 {3}, {4} timed runs, "
                       "{5} thread{6}, median {7:F4} ms per run",
                       p.artifact, p.model, p.layers.size(),
                       shapeText(p.batchShape), p.runs, p.threads,
                       p.threads == 1 ? "" : "s", p.totalMs)
      .str();
}

/// Layer indices, most time first (ties in execution order).
std::vector<size_t> byTime(const Profile &p) {
  std::vector<size_t> order(p.layers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return p.layers[a].medianMs > p.layers[b].medianMs;
  });
  return order;
}

std::string escapeHtml(const std::string &text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

/// Column headings and one row's cells, for the table and the HTML.
std::vector<std::string> headings(const Profile &p) {
  std::vector<std::string> h = {"#", "layer", "op"};
  if (p.flops)
    h.insert(h.end(), {"MFLOP"});
  if (p.latency)
    h.insert(h.end(), {"median ms", "share %"});
  if (p.flops && p.latency)
    h.insert(h.end(), {"GFLOP/s"});
  if (p.memory)
    h.insert(h.end(), {"weights KiB", "activations KiB"});
  return h;
}

std::vector<std::string> cells(const Profile &p, size_t i) {
  const Layer &l = p.layers[i];
  std::vector<std::string> c = {std::to_string(i),
                                l.node.empty() ? "-" : l.node, l.op};
  if (p.flops)
    c.push_back(llvm::formatv("{0:F3}", l.flops / 1e6).str());
  if (p.latency) {
    c.push_back(llvm::formatv("{0:F4}", l.medianMs).str());
    c.push_back(llvm::formatv("{0:F1}", 100 * l.share).str());
  }
  if (p.flops && p.latency)
    c.push_back(
        l.medianMs > 0
            ? llvm::formatv("{0:F2}", l.flops / (l.medianMs * 1e6)).str()
            : "-");
  if (p.memory) {
    c.push_back(llvm::formatv("{0:F1}", l.weightBytes / 1024.0).str());
    c.push_back(llvm::formatv("{0:F1}", l.activationBytes / 1024.0).str());
  }
  return c;
}

} // namespace

std::string ds::profile::formatTable(const Profile &p) {
  std::vector<std::vector<std::string>> rows = {headings(p)};
  for (size_t i = 0; i < p.layers.size(); ++i)
    rows.push_back(cells(p, i));
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto &row : rows)
    for (size_t c = 0; c < row.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  std::string out = summaryLine(p) + "\n";
  for (const auto &row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      // Names left-aligned, numbers right-aligned.
      bool left = c == 1 || c == 2;
      std::string pad(width[c] - row[c].size(), ' ');
      line += (c ? "  " : "") + (left ? row[c] + pad : pad + row[c]);
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string ds::profile::formatJson(const Profile &p) {
  llvm::json::Array layers;
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const Layer &l = p.layers[i];
    llvm::json::Object o{{"index", (int64_t)i}, {"node", l.node}, {"op", l.op}};
    if (p.flops)
      o["flops"] = l.flops;
    if (p.latency) {
      o["median_ms"] = l.medianMs;
      o["share"] = l.share;
    }
    if (p.memory) {
      o["weight_bytes"] = l.weightBytes;
      o["activation_bytes"] = l.activationBytes;
    }
    layers.push_back(std::move(o));
  }
  llvm::json::Object root{
      {"model", p.model},
      {"artifact", p.artifact},
      {"runs", p.runs},
      {"threads", p.threads},
      {"input_shape", llvm::json::Array(p.batchShape)},
      {"total_median_ms", p.totalMs},
      {"layers", std::move(layers)},
  };
  return llvm::formatv("{0:2}", llvm::json::Value(std::move(root))).str() +
         "\n";
}

std::string ds::profile::formatHtml(const Profile &p) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
        "charset=\"utf-8\">\n"
     << "<title>deepseek-profile: " << escapeHtml(p.artifact) << "</title>\n"
     << "<style>\n"
     << "body{font-family:sans-serif;margin:2em;color:#222}\n"
     << "table{border-collapse:collapse;font-size:13px}\n"
     << "th,td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}\n"
     << "td.name,th.name{text-align:left}\n"
     << "svg text{font-size:12px;font-family:sans-serif}\n"
     << "</style>\n</head>\n<body>\n"
     << "<h1>Where the time goes</h1>\n<p id=\"summary\">"
     << escapeHtml(summaryLine(p)) << "</p>\n";
  if (p.latency && !p.layers.empty()) {
    // The layers that take the most time, one bar each, widest first.
    std::vector<size_t> order = byTime(p);
    size_t shown = std::min<size_t>(order.size(), 20);
    const int labelWidth = 320, barWidth = 480, rowHeight = 22;
    double widest = std::max(1e-9, p.layers[order.front()].share);
    os << "<h2>Top " << shown << " layers by median time</h2>\n"
       << "<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\""
       << labelWidth + barWidth + 90 << "\" height=\"" << shown * rowHeight + 10
       << "\" role=\"img\" aria-label=\"time per layer\">\n";
    for (size_t r = 0; r < shown; ++r) {
      const Layer &l = p.layers[order[r]];
      double w = barWidth * l.share / widest;
      int y = (int)r * rowHeight + 5;
      std::string label = "#" + std::to_string(order[r]) + " " +
                          (l.node.empty() ? l.op : l.node + " (" + l.op + ")");
      os << "<text x=\"" << labelWidth - 6 << "\" y=\"" << y + 14
         << "\" text-anchor=\"end\">" << escapeHtml(label) << "</text>"
         << llvm::formatv("<rect class=\"bar\" x=\"{0}\" y=\"{1}\" "
                          "width=\"{2:F1}\" height=\"{3}\" fill=\"#3b7dd8\">"
                          "<title>{4:F4} ms</title></rect>",
                          labelWidth, y, std::max(1.0, w), rowHeight - 6,
                          l.medianMs)
         << llvm::formatv("<text x=\"{0:F1}\" y=\"{1}\">{2:F1}%</text>\n",
                          labelWidth + std::max(1.0, w) + 6, y + 14,
                          100 * l.share);
    }
    os << "</svg>\n";
  }
  os << "<h2>All layers, in execution order</h2>\n<table id=\"layers\">\n<tr>";
  for (const std::string &h : headings(p))
    os << "<th" << (h == "layer" || h == "op" ? " class=\"name\"" : "") << ">"
       << escapeHtml(h) << "</th>";
  os << "</tr>\n";
  for (size_t i = 0; i < p.layers.size(); ++i) {
    os << "<tr>";
    std::vector<std::string> row = cells(p, i);
    for (size_t c = 0; c < row.size(); ++c)
      os << "<td" << (c == 1 || c == 2 ? " class=\"name\"" : "") << ">"
         << escapeHtml(row[c]) << "</td>";
    os << "</tr>\n";
  }
  os << "</table>\n</body>\n</html>\n";
  return out;
}
