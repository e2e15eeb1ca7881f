//===- ShapeInference.cpp - libonnx shape inference, hardened -------------===//
//
// InferShapes takes the schema registry to look ops up in. Ours hands out
// copies of libonnx's schemas whose inference function first checks what
// the original assumes. Found by ds-fuzz-import or by trying their
// neighbours: an `axis` far outside the input's rank (LayerNormalization
// indexes the shape with it), convolution and pooling dividing by strides
// and indexing the input's spatial dimensions by the weight's, MaxUnpool
// reading dim 1 of its indices, MaxRoiPool reading two pooled sizes
// whatever the input's rank.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ShapeInference.h"

#include <onnx/defs/schema.h>
#include <onnx/defs/shape_inference.h>
#include <onnx/shape_inference/implementation.h>

#include <climits>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

namespace mlir::ds::onnx_import {
namespace {

using Precondition = std::function<void(onnx::InferenceContext &)>;

void requirePositiveInts(onnx::InferenceContext &ctx,
                         std::initializer_list<const char *> names) {
  for (const char *name : names)
    if (const onnx::AttributeProto *attr = ctx.getAttribute(name))
      for (int64_t v : attr->ints())
        if (v <= 0)
          fail_shape_inference("attribute ", name, " has a value <= 0");
}

/// The rank of input `index` when its shape is known, else -1.
int rankOf(onnx::InferenceContext &ctx, size_t index) {
  if (!onnx::hasInputShape(ctx, index))
    return -1;
  return ctx.getInputType(index)->tensor_type().shape().dim_size();
}

/// Every op: the attributes its schema declares have the declared type
/// (inference reads them by that type).
void attributeTypesMatch(onnx::InferenceContext &ctx,
                         const onnx::OpSchema &schema) {
  for (const auto &[name, declared] : schema.attributes())
    if (const onnx::AttributeProto *attr = ctx.getAttribute(name))
      if (attr->type() != declared.type)
        fail_shape_inference("attribute ", name, " has the wrong type");
}

/// Every op: an `axis` attribute lies in [-r, r] for an input of rank r
/// (r itself for ops that insert one); OneHot's in [-r-1, r];
/// LayerNormalization's in [-r, r) (it reads dims [0, axis) for its
/// statistics outputs).
void axisInRange(onnx::InferenceContext &ctx, const std::string &op) {
  const onnx::AttributeProto *axis = ctx.getAttribute("axis");
  int rank = rankOf(ctx, 0);
  if (!axis || rank < 0)
    return;
  int64_t lowest = op == "OneHot" ? -rank - 1 : -rank;
  int64_t highest = op == "LayerNormalization" ? rank - 1 : rank;
  if (axis->i() < lowest || axis->i() > highest)
    fail_shape_inference("axis ", axis->i(), " is out of range");
}

Precondition convolution(size_t weightIndex) {
  return [weightIndex](onnx::InferenceContext &ctx) {
    requirePositiveInts(ctx, {"strides", "dilations", "kernel_shape"});
    int inputRank = rankOf(ctx, 0), weightRank = rankOf(ctx, weightIndex);
    if (inputRank >= 0 && weightRank >= 0 && inputRank != weightRank)
      fail_shape_inference("input and weight ranks differ");
  };
}

void pooling(onnx::InferenceContext &ctx) {
  requirePositiveInts(ctx, {"strides", "dilations", "kernel_shape"});
}

void maxUnpool(onnx::InferenceContext &ctx) {
  pooling(ctx);
  if (rankOf(ctx, 0) >= 0 && rankOf(ctx, 1) < 2)
    fail_shape_inference("indices need a known shape of rank >= 2");
}

void maxRoiPool(onnx::InferenceContext &ctx) {
  const onnx::AttributeProto *pooled = ctx.getAttribute("pooled_shape");
  if (pooled && pooled->ints_size() != 2)
    fail_shape_inference("pooled_shape needs 2 values");
}

const std::map<std::string, Precondition> &preconditions() {
  static const std::map<std::string, Precondition> table = {
      {"Conv", convolution(1)},
      {"ConvInteger", convolution(1)},
      {"ConvTranspose", convolution(1)},
      {"QLinearConv", convolution(3)},
      {"MaxPool", pooling},
      {"AveragePool", pooling},
      {"LpPool", pooling},
      {"MaxUnpool", maxUnpool},
      {"MaxRoiPool", maxRoiPool},
  };
  return table;
}

/// checkGraphWiring, with the names the enclosing graphs define.
bool checkWiring(const onnx::GraphProto &graph, std::set<std::string> defined,
                 std::string &problem) {
  for (const auto &v : graph.input()) {
    if (v.type().value_case() == onnx::TypeProto::VALUE_NOT_SET) {
      problem = "graph input '" + v.name() + "' has no type";
      return false;
    }
    defined.insert(v.name());
  }
  for (const auto &t : graph.initializer())
    defined.insert(t.name());
  for (const auto &node : graph.node()) {
    std::string where = "node '" + node.name() + "' (" + node.op_type() + ")";
    for (const std::string &name : node.input())
      if (!name.empty() && !defined.count(name)) {
        problem = where + ": input '" + name +
                  "' is not produced by any earlier node";
        return false;
      }
    if (const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(
            node.op_type(), INT_MAX, node.domain())) {
      if (node.input_size() < schema->min_input() ||
          node.output_size() < schema->min_output()) {
        problem = where + ": has " + std::to_string(node.input_size()) +
                  " inputs and " + std::to_string(node.output_size()) +
                  " outputs; it needs at least " +
                  std::to_string(schema->min_input()) + " and " +
                  std::to_string(schema->min_output());
        return false;
      }
    }
    for (const auto &attr : node.attribute()) {
      if (attr.has_g() && !checkWiring(attr.g(), defined, problem))
        return false;
      for (const auto &g : attr.graphs())
        if (!checkWiring(g, defined, problem))
          return false;
    }
    for (const std::string &name : node.output())
      if (!name.empty())
        defined.insert(name);
  }
  return true;
}

/// libonnx's registry, each op of the default domain wrapped with
/// attributeTypesMatch, axisInRange and its entry of preconditions().
class GuardedSchemaRegistry final : public onnx::ISchemaRegistry {
public:
  const onnx::OpSchema *GetSchema(const std::string &op, const int maxVersion,
                                  const std::string &domain) const override {
    const onnx::OpSchema *schema =
        onnx::OpSchemaRegistry::Schema(op, maxVersion, domain);
    if (!schema || !(domain.empty() || domain == "ai.onnx") ||
        !schema->has_type_and_shape_inference_function())
      return schema;
    auto entry = preconditions().find(op);
    Precondition specific =
        entry == preconditions().end() ? Precondition() : entry->second;
    std::unique_ptr<onnx::OpSchema> &guarded =
        wrapped[{op, schema->SinceVersion()}];
    if (!guarded) {
      guarded = std::make_unique<onnx::OpSchema>(*schema);
      guarded->TypeAndShapeInferenceFunction(
          [op, schema, specific,
           infer = schema->GetTypeAndShapeInferenceFunction()](
              onnx::InferenceContext &ctx) {
            attributeTypesMatch(ctx, *schema);
            axisInRange(ctx, op);
            if (specific)
              specific(ctx);
            infer(ctx);
          });
    }
    return guarded.get();
  }

private:
  mutable std::map<std::pair<std::string, int>, std::unique_ptr<onnx::OpSchema>>
      wrapped;
};

} // namespace

bool checkGraphWiring(const onnx::GraphProto &graph, std::string &problem) {
  return checkWiring(graph, {}, problem);
}

void inferShapesBestEffort(onnx::ModelProto &model) {
  // libonnx dereferences the type of every input a node names.
  std::string problem;
  if (!checkGraphWiring(model.graph(), problem))
    return;
  GuardedSchemaRegistry registry;
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/false,
                                        /*error_mode=*/0,
                                        /*enable_data_propagation=*/true);
    onnx::shape_inference::InferShapes(model, &registry, options);
  } catch (const std::exception &) {
    // Best effort, as documented in the header.
  }
}

} // namespace mlir::ds::onnx_import
