//===- ImporterImpl.h - shared state of the ONNX importer -------*- C++ -*-===//
//
// Private to compiler/Import/ONNX: the per-node view handlers work through,
// and the handler table keyed by (op type, since-opset).
//
//===----------------------------------------------------------------------===//
#ifndef DS_COMPILER_IMPORT_ONNX_IMPORTERIMPL_H
#define DS_COMPILER_IMPORT_ONNX_IMPORTERIMPL_H

#include "dialects/Graph/IR/GraphOps.h"
#include "dialects/Quant/IR/QuantOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlir::ds::onnx_import {

/// Reads and parses a model file (no external data, no checks); `error`
/// names the file and the problem.
bool readModelFile(const std::string &path, onnx::ModelProto &model,
                   std::string &error);
/// The default-domain opset a model imports, 0 when none.
int64_t defaultOpset(const onnx::ModelProto &model);
/// Whether the importer has a handler for `node` at `opset`.
bool isSupported(const onnx::NodeProto &node, int64_t opset);

/// The most elements any tensor of a model may have (2^40, 4 TiB of
/// floats): larger shapes are corrupt or hostile, and products of their
/// dims would overflow int64 on the way.
constexpr int64_t kMaxTensorElements = int64_t(1) << 40;

/// ONNX element type code -> MLIR element type (unsigned ONNX types become
/// `ui*`), or null for types dsg has no use for (strings, complex).
Type elementTypeFor(MLIRContext *ctx, int32_t onnxType);

/// A TensorProto's data as an attribute; reports problems via `error`.
/// External data must have been loaded into the tensor already.
FailureOr<DenseElementsAttr> tensorToAttr(MLIRContext *ctx,
                                          const onnx::TensorProto &tensor,
                                          std::string &error);

/// An ONNX sequence whose length and element order are known at compile
/// time: its elements are ordinary tensor values. Sequence ops are resolved
/// while importing, so no sequence reaches the dsg IR.
using Sequence = std::vector<Value>;

/// Imports a control-flow body (If branch, Loop or Scan body) inline at
/// the builder's insertion point: its formal inputs bound to `args`, the
/// enclosing scopes' values visible. Returns its outputs.
using SubgraphImporter = std::function<FailureOr<std::vector<Value>>(
    const onnx::GraphProto &body, ArrayRef<Value> args)>;

/// Everything a handler needs about the node it imports.
class NodeImporter {
public:
  NodeImporter(const onnx::NodeProto &node, int64_t opset, OpBuilder &builder,
               Location loc, const std::string &file,
               std::vector<Value> inputs,
               std::vector<const Sequence *> sequenceInputs,
               std::vector<std::optional<RankedTensorType>> declaredOutputs,
               SubgraphImporter subgraphs)
      : node(node), opset(opset), b(builder), loc(loc), file(file),
        inputs(std::move(inputs)), sequenceInputs(std::move(sequenceInputs)),
        declared(std::move(declaredOutputs)), outputs(node.output_size()),
        sequenceOutputs(node.output_size()),
        subgraphs(std::move(subgraphs)) {}

  /// Imports graph attribute `name` inline (see SubgraphImporter).
  FailureOr<std::vector<Value>> importSubgraph(StringRef name,
                                               ArrayRef<Value> args);

  const onnx::NodeProto &node;
  const int64_t opset;
  OpBuilder &b;
  const Location loc;

  /// An error naming the node, its op, the opset and the file.
  InFlightDiagnostic error();

  // Inputs. Missing optional inputs ("" names) are null values.
  size_t numInputs() const { return inputs.size(); }
  bool hasInput(size_t i) const { return i < inputs.size() && inputs[i]; }
  Value input(size_t i) const { return hasInput(i) ? inputs[i] : Value(); }
  RankedTensorType inputType(size_t i) const {
    return llvm::cast<RankedTensorType>(input(i).getType());
  }
  /// Input `i` when it is a sequence, else null.
  const Sequence *sequenceInput(size_t i) const {
    return i < sequenceInputs.size() ? sequenceInputs[i] : nullptr;
  }
  /// A compile-time constant input, or null.
  DenseElementsAttr constantInput(size_t i) const;
  /// A constant integer input as int64 values.
  std::optional<std::vector<int64_t>> constantInts(size_t i) const;

  // Attributes.
  bool hasAttr(StringRef name) const { return findAttr(name) != nullptr; }
  int64_t attrInt(StringRef name, int64_t fallback) const;
  float attrFloat(StringRef name, float fallback) const;
  std::string attrString(StringRef name, StringRef fallback) const;
  std::optional<std::vector<int64_t>> attrInts(StringRef name) const;
  std::optional<std::vector<float>> attrFloats(StringRef name) const;
  const onnx::AttributeProto *findAttr(StringRef name) const;

  // Outputs.
  size_t numOutputs() const { return outputs.size(); }
  bool wantsOutput(size_t i) const {
    return i < (size_t)node.output_size() && !node.output(i).empty();
  }
  /// The output type ONNX shape inference (or the model) declares, if static.
  std::optional<RankedTensorType> declaredType(size_t i) const {
    return i < declared.size() ? declared[i] : std::nullopt;
  }
  /// `computed` when given; else the declared static type; else an error.
  FailureOr<RankedTensorType>
  outputType(size_t i, std::optional<RankedTensorType> computed = std::nullopt);
  /// Outputs past the node's own count are dropped: nothing can read them,
  /// and handlers may compute an optional output whose neighbour is absent.
  void setOutput(size_t i, Value v) {
    if (i < outputs.size())
      outputs[i] = v;
  }
  void setSequenceOutput(size_t i, Sequence elements) {
    if (i < sequenceOutputs.size())
      sequenceOutputs[i] = std::move(elements);
  }
  const std::vector<Value> &results() const { return outputs; }
  const std::vector<std::optional<Sequence>> &sequenceResults() const {
    return sequenceOutputs;
  }

  /// Fails, naming the node, when any of `dims` of input `i` is dynamic:
  /// `what` says what the handler computes from them.
  LogicalResult requireStaticDims(size_t i, ArrayRef<int64_t> dims,
                                  StringRef what);

  /// Normalizes a possibly negative axis against `rank`, or reports.
  FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);

  /// Creates `OpTy` and folds it when its operands are constants.
  template <typename OpTy, typename... Args>
  Value create(Args &&...args) {
    return b.createOrFold<OpTy>(loc, std::forward<Args>(args)...);
  }
  /// A dsg.constant.
  Value constant(DenseElementsAttr value) {
    return b.create<graph::ConstantOp>(loc, value);
  }

private:
  const std::string &file;
  std::vector<Value> inputs;
  std::vector<const Sequence *> sequenceInputs;
  std::vector<std::optional<RankedTensorType>> declared;
  std::vector<Value> outputs;
  std::vector<std::optional<Sequence>> sequenceOutputs;
  SubgraphImporter subgraphs;
};

/// Which dynamic (run-time sized) dimensions a handler accepts in its
/// inputs. The importer refuses any other node that sees one, naming the
/// node and pointing at --input-shape, rather than letting static shape
/// arithmetic run on unknown sizes.
enum class DynamicDims {
  None,  // every input fully static
  Batch, // only dim 0 of input 0 (Conv, pools, norms over channels)
  Any,   // the handler checks what it computes on itself
};

struct OpHandler {
  std::function<LogicalResult(NodeImporter &)> import;
  DynamicDims dynamic = DynamicDims::None;
};

/// Handlers by op type, each list sorted by since-opset.
class HandlerTable {
public:
  void add(StringRef opType, int64_t sinceVersion,
           std::function<LogicalResult(NodeImporter &)> handler) {
    table[opType.str()][sinceVersion] = {std::move(handler)};
  }
  /// Sets what every version of `opType` accepts.
  void setDynamic(StringRef opType, DynamicDims dynamic) {
    for (auto &[version, handler] : table.at(opType.str()))
      handler.dynamic = dynamic;
  }
  /// The handler for the newest since-version <= opset, or null.
  const OpHandler *lookup(StringRef opType, int64_t opset) const;

private:
  std::map<std::string, std::map<int64_t, OpHandler>> table;
};

/// Whether `type` has any dynamic dimension.
inline bool isDynamic(Type type) {
  auto ranked = llvm::dyn_cast<RankedTensorType>(type);
  return ranked && !ranked.hasStaticShape();
}

/// The result shape of a numpy matmul of `lhs` and `rhs` (OpHandlers.cpp).
FailureOr<SmallVector<int64_t>>
matmulResultShape(NodeImporter &n, RankedTensorType lhs, RankedTensorType rhs);

/// A dsg.conv of `input` and `weight` with the node's window attributes
/// (Conv's), its result of `input`'s element type (OpHandlers.cpp).
FailureOr<Value> buildConv(NodeImporter &n, Value input, Value weight,
                           Value bias);

/// Adds the quantization ops: QuantizeLinear, DequantizeLinear,
/// DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul,
/// QLinearConv and com.microsoft MatMulNBits (QuantHandlers.cpp).
void addQuantHandlers(HandlerTable &table);

/// The table of every op the importer supports (OpHandlers.cpp).
const HandlerTable &handlerTable();

/// The handler for `node` at the model's default-domain `opset`, or null;
/// com.microsoft ops are in the table as "com.microsoft.<op>".
const OpHandler *findHandler(const onnx::NodeProto &node, int64_t opset);

} // namespace mlir::ds::onnx_import

#endif
