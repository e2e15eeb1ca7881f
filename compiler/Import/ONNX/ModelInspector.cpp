//===- ModelInspector.cpp - summarize an ONNX model without compiling -----===//
#include "compiler/Import/ONNX/ModelInspector.h"

#include "compiler/Import/ONNX/ImporterImpl.h"
#include "compiler/Import/ONNX/ShapeInference.h"
#include "compiler/Support/TensorFile.h"

#include "llvm/ADT/StringSet.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <functional>
#include <onnx/defs/schema.h>

#include <unordered_map>

using namespace mlir::ds;

namespace {
using Shape = std::vector<int64_t>;

/// Static shapes of every value ONNX inference could resolve.
std::unordered_map<std::string, Shape> staticShapes(const onnx::GraphProto &g) {
  std::unordered_map<std::string, Shape> shapes;
  auto add = [&](const onnx::ValueInfoProto &v) {
    if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape())
      return;
    Shape s;
    for (const auto &d : v.type().tensor_type().shape().dim()) {
      if (!d.has_dim_value())
        return;
      s.push_back(d.dim_value());
    }
    shapes[v.name()] = s;
  };
  for (const auto &v : g.input())
    add(v);
  for (const auto &v : g.value_info())
    add(v);
  for (const auto &v : g.output())
    add(v);
  for (const auto &t : g.initializer())
    shapes[t.name()] = Shape(t.dims().begin(), t.dims().end());
  return shapes;
}

// A hostile model's dims can overflow any count; the summary saturates
// instead (a negative dim counts as 0).
int64_t saturatingMul(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

int64_t saturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

int64_t product(const Shape &s) {
  int64_t p = 1;
  for (int64_t d : s)
    p = saturatingMul(p, std::max<int64_t>(d, 0));
  return p;
}

/// FLOPs of one node, from its input and output shapes.
int64_t nodeFlops(const onnx::NodeProto &node,
                  const std::unordered_map<std::string, Shape> &shapes) {
  auto shapeOf = [&](int i, bool output) -> const Shape * {
    const std::string &name = output ? node.output(i) : node.input(i);
    auto it = shapes.find(name);
    return it == shapes.end() ? nullptr : &it->second;
  };
  if (node.output_size() == 0)
    return 0;
  const Shape *out = shapeOf(0, true);
  if (!out)
    return 0;
  const std::string &op = node.op_type();
  if ((op == "Conv" || op == "ConvTranspose") && node.input_size() >= 2) {
    const Shape *w = shapeOf(1, false);
    if (!w || w->size() < 2)
      return 0;
    // Each output (Conv) or input (ConvTranspose) element does
    // C_in/group * kernel multiply-adds per output channel.
    int64_t kernel = product(Shape(w->begin() + 2, w->end()));
    const Shape *x = op == "Conv" ? out : shapeOf(0, false);
    return x ? product({2, product(*x), (*w)[1], kernel}) : 0;
  }
  if ((op == "MatMul" || op == "Gemm") && node.input_size() >= 2) {
    const Shape *a = shapeOf(0, false);
    if (!a || a->empty())
      return 0;
    bool transA = false;
    for (const auto &attr : node.attribute())
      if (attr.name() == "transA")
        transA = attr.i();
    int64_t k = op == "Gemm" && transA ? (*a)[0] : a->back();
    return product({2, product(*out), k});
  }
  static const char *free[] = {"Reshape", "Flatten", "Squeeze", "Unsqueeze",
                               "Identity", "Constant", "Shape", "Transpose",
                               "Concat", "Slice", "Gather", "Expand", "Cast"};
  for (const char *f : free)
    if (op == f)
      return 0;
  return product(*out);
}
} // namespace

bool mlir::ds::inspectONNXModel(const std::string &path, ModelSummary &summary,
                                std::string &error) {
  onnx::ModelProto model;
  try {
    if (!onnx_import::readModelFile(path, model, error))
      return false;
    // FLOPs of nodes without inferred shapes count 0.
    onnx_import::inferShapesBestEffort(model);
  } catch (const std::exception &e) {
    error = path + ": cannot read the model: " + e.what();
    return false;
  }
  const onnx::GraphProto &g = model.graph();
  summary.path = path;
  summary.producer = model.producer_name() +
                     (model.producer_version().empty() ? "" : " " + model.producer_version());
  summary.irVersion = model.ir_version();
  for (const auto &import : model.opset_import())
    summary.opsets[import.domain()] = import.version();
  int64_t opset = onnx_import::defaultOpset(model);
  auto shapes = staticShapes(g);
  // Control-flow bodies count too: their ops are compiled (If, Loop and
  // Scan are imported inline) and must be supported like any other.
  std::function<void(const onnx::GraphProto &)> visit =
      [&](const onnx::GraphProto &graph) {
        for (const auto &[index, node] : llvm::enumerate(graph.node())) {
          ++summary.nodes;
          std::string op =
              (node.domain().empty() ? "" : node.domain() + ".") + node.op_type();
          ++summary.opHistogram[op];
          summary.flops = saturatingAdd(summary.flops, nodeFlops(node, shapes));
          if (!onnx_import::isSupported(node, opset))
            summary.unsupported[op].push_back(
                node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                                    : node.name());
          for (const auto &attr : node.attribute()) {
            if (attr.has_g())
              visit(attr.g());
            for (const auto &body : attr.graphs())
              visit(body);
          }
        }
      };
  visit(g);
  llvm::StringSet<> initializers;
  for (const auto &t : g.initializer()) {
    int64_t count = product(Shape(t.dims().begin(), t.dims().end()));
    summary.parameters = saturatingAdd(summary.parameters, count);
    summary.parameterBytes = saturatingAdd(
        summary.parameterBytes,
        saturatingMul(count, ::ds::support::dtypeSize(t.data_type())));
    initializers.insert(t.name());
  }
  for (const auto &in : g.input()) {
    if (initializers.contains(in.name()) || !in.type().has_tensor_type())
      continue;
    const auto &shape = in.type().tensor_type().shape();
    for (int d = 0; d < shape.dim_size(); ++d)
      if (!shape.dim(d).has_dim_value())
        summary.dynamicDims.push_back(
            "input '" + in.name() + "' dim " + std::to_string(d) + " ('" +
            (shape.dim(d).dim_param().empty() ? "?" : shape.dim(d).dim_param()) + "')");
  }
  return true;
}

std::string mlir::ds::formatSummaryText(const ModelSummary &s) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "model: " << s.path << "\n"
     << "producer: " << (s.producer.empty() ? "(none)" : s.producer)
     << ", IR version " << s.irVersion << "\nopsets:";
  for (const auto &[domain, version] : s.opsets)
    os << " " << (domain.empty() ? "ai.onnx" : domain) << "=" << version;
  os << "\nnodes: " << s.nodes << "\nparameters: " << s.parameters << " ("
     << s.parameterBytes << " bytes)\n"
     << llvm::formatv("FLOPs (estimate): {0} ({1:F3} GFLOP)\n", s.flops,
                      s.flops / 1e9);
  os << "dynamic dimensions: "
     << (s.dynamicDims.empty() ? "none" : "") << "\n";
  for (const std::string &d : s.dynamicDims)
    os << "  " << d << "\n";
  // Most frequent ops first.
  std::vector<std::pair<std::string, int64_t>> ops(s.opHistogram.begin(),
                                                   s.opHistogram.end());
  std::stable_sort(ops.begin(), ops.end(),
                   [](auto &a, auto &b) { return a.second > b.second; });
  os << "ops:\n";
  for (const auto &[op, count] : ops)
    os << llvm::formatv("  {0,6}  {1}\n", count, op);
  os << "unsupported ops: " << (s.unsupported.empty() ? "none" : "") << "\n";
  for (const auto &[op, nodes] : s.unsupported) {
    os << "  " << op << ":";
    for (const std::string &n : nodes)
      os << " " << n;
    os << "\n";
  }
  return text;
}

std::string mlir::ds::formatSummaryJson(const ModelSummary &s) {
  llvm::json::Object opsets, histogram, unsupported;
  for (const auto &[domain, version] : s.opsets)
    opsets[domain.empty() ? "ai.onnx" : domain] = version;
  for (const auto &[op, count] : s.opHistogram)
    histogram[op] = count;
  for (const auto &[op, nodes] : s.unsupported) {
    llvm::json::Array names;
    for (const std::string &n : nodes)
      names.push_back(n);
    unsupported[op] = std::move(names);
  }
  llvm::json::Array dynamic;
  for (const std::string &d : s.dynamicDims)
    dynamic.push_back(d);
  llvm::json::Object root{{"model", s.path},
                          {"producer", s.producer},
                          {"ir_version", s.irVersion},
                          {"opsets", std::move(opsets)},
                          {"nodes", s.nodes},
                          {"ops", std::move(histogram)},
                          {"parameters", s.parameters},
                          {"parameter_bytes", s.parameterBytes},
                          {"flops", s.flops},
                          {"dynamic_dims", std::move(dynamic)},
                          {"unsupported", std::move(unsupported)},
                          {"compilable", s.unsupported.empty()}};
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  return text;
}
