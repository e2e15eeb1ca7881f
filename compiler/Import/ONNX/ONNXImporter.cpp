//===- ONNXImporter.cpp - ONNX ModelProto to dsg --------------------------===//
//
// Parse with protobuf, validate with the ONNX checker, infer shapes with
// ONNX's own inference, then walk the (topologically sorted) nodes once and
// hand each to the handler registered for its op and opset.
//
//===----------------------------------------------------------------------===//

#include "compiler/Import/ONNX/ONNXImporter.h"

#include "compiler/Import/ONNX/ImporterImpl.h"
#include "compiler/Import/ONNX/ShapeInference.h"
#include "compiler/Support/PathSafety.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>

#include <google/protobuf/io/coded_stream.h>

#include <climits>
#include <fstream>
#include <sstream>

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::onnx_import;

//===----------------------------------------------------------------------===//
// Types and tensors
//===----------------------------------------------------------------------===//

Type onnx_import::elementTypeFor(MLIRContext *ctx, int32_t t) {
  Builder b(ctx);
  using TP = onnx::TensorProto;
  switch (t) {
  case TP::FLOAT: return b.getF32Type();
  case TP::DOUBLE: return b.getF64Type();
  case TP::FLOAT16: return b.getF16Type();
  case TP::BFLOAT16: return b.getBF16Type();
  case TP::BOOL: return b.getI1Type();
  case TP::INT8: return b.getI8Type();
  case TP::INT16: return b.getI16Type();
  case TP::INT32: return b.getI32Type();
  case TP::INT64: return b.getI64Type();
  case TP::UINT8: return IntegerType::get(ctx, 8, IntegerType::Unsigned);
  case TP::UINT16: return IntegerType::get(ctx, 16, IntegerType::Unsigned);
  case TP::UINT32: return IntegerType::get(ctx, 32, IntegerType::Unsigned);
  case TP::UINT64: return IntegerType::get(ctx, 64, IntegerType::Unsigned);
  default: return nullptr;
  }
}

static std::string dtypeName(int32_t t) {
  return onnx::TensorProto::DataType_IsValid(t)
             ? onnx::TensorProto::DataType_Name(
                   static_cast<onnx::TensorProto::DataType>(t))
             : "type " + std::to_string(t);
}

/// Reads external data named by `tensor` from inside `baseDir` only, and
/// no more than `budget` bytes of it.
static bool readExternalData(const onnx::TensorProto &tensor,
                             const std::string &baseDir, uint64_t budget,
                             std::string &bytes, std::string &error) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &entry : tensor.external_data()) {
    try {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset")
        offset = std::stoll(entry.value());
      else if (entry.key() == "length")
        length = std::stoll(entry.value());
    } catch (const std::exception &) {
      error = "external data field '" + entry.key() + "' is not a number";
      return false;
    }
  }
  std::string path;
  if (!::ds::support::resolveInside(baseDir, location, path, error)) {
    error = "external data '" + location + "': " + error;
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  in.seekg(0, std::ios::end);
  int64_t size = in.tellg();
  if (!in || offset < 0 || offset > size ||
      (length >= 0 && offset + length > size)) {
    error = "external data '" + location + "' is shorter than the tensor needs";
    return false;
  }
  if (length < 0)
    length = size - offset;
  if ((uint64_t)length > budget) {
    error = "external data '" + location + "' holds " + std::to_string(length) +
            " bytes, past what --max-model-bytes leaves (" +
            std::to_string(budget) + ")";
    return false;
  }
  bytes.resize(length);
  in.seekg(offset);
  in.read(bytes.data(), length);
  if (!in) {
    error = "cannot read external data '" + location + "'";
    return false;
  }
  return true;
}

FailureOr<DenseElementsAttr>
onnx_import::tensorToAttr(MLIRContext *ctx, const onnx::TensorProto &tensor,
                          std::string &error) {
  Type elt = elementTypeFor(ctx, tensor.data_type());
  if (!elt) {
    error = "tensor '" + tensor.name() + "' has unsupported element type " +
            dtypeName(tensor.data_type());
    return failure();
  }
  SmallVector<int64_t> shape;
  int64_t count = 1;
  for (int64_t d : tensor.dims()) {
    // Reject absurd shapes before anything is allocated for them.
    if (d < 0 || (d > 0 && count > kMaxTensorElements / d)) {
      error = "tensor '" + tensor.name() + "' has an invalid shape";
      return failure();
    }
    shape.push_back(d);
    count *= d;
  }
  auto type = RankedTensorType::get(shape, elt);
  unsigned width = elt.getIntOrFloatBitWidth();
  size_t eltBytes = width == 1 ? 1 : width / 8;

  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    error = "tensor '" + tensor.name() +
            "' keeps its data outside the model, which only initializers may";
    return failure();
  }
  const std::string *raw = tensor.has_raw_data() ? &tensor.raw_data() : nullptr;
  if (raw) {
    if (raw->size() != count * eltBytes) {
      error = "tensor '" + tensor.name() + "' holds " +
              std::to_string(raw->size()) + " bytes, its shape needs " +
              std::to_string(count * eltBytes);
      return failure();
    }
    if (width == 1) {
      // MLIR packs i1 data in bits; ONNX stores one byte per bool.
      SmallVector<bool> bits;
      for (char c : *raw)
        bits.push_back(c != 0);
      return DenseElementsAttr::get(type, bits);
    }
    return DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef<char>(raw->data(), raw->size()));
  }

  // Typed fields: which one holds the data depends on the element type.
  auto mismatch = [&](size_t have) {
    error = "tensor '" + tensor.name() + "' holds " + std::to_string(have) +
            " values, its shape needs " + std::to_string(count);
    return failure();
  };
  using TP = onnx::TensorProto;
  switch (tensor.data_type()) {
  case TP::FLOAT: {
    if (tensor.float_data_size() != count)
      return mismatch(tensor.float_data_size());
    return DenseElementsAttr::get(
        type, ArrayRef<float>(tensor.float_data().data(), count));
  }
  case TP::DOUBLE: {
    if (tensor.double_data_size() != count)
      return mismatch(tensor.double_data_size());
    return DenseElementsAttr::get(
        type, ArrayRef<double>(tensor.double_data().data(), count));
  }
  case TP::INT64: {
    if (tensor.int64_data_size() != count)
      return mismatch(tensor.int64_data_size());
    return DenseElementsAttr::get(
        type, ArrayRef<int64_t>(tensor.int64_data().data(), count));
  }
  case TP::UINT32:
  case TP::UINT64: {
    if (tensor.uint64_data_size() != count)
      return mismatch(tensor.uint64_data_size());
    SmallVector<APInt> values;
    for (uint64_t v : tensor.uint64_data())
      values.push_back(APInt(width, v));
    return DenseElementsAttr::get(type, values);
  }
  default: {
    // int32_data carries every narrower type, float16 and bfloat16 as bits.
    if (tensor.int32_data_size() != count)
      return mismatch(tensor.int32_data_size());
    if (width == 1) {
      SmallVector<bool> bits;
      for (int32_t v : tensor.int32_data())
        bits.push_back(v != 0);
      return DenseElementsAttr::get(type, bits);
    }
    std::vector<char> bytes(count * eltBytes);
    for (int64_t i = 0; i < count; ++i) {
      uint64_t v = static_cast<uint32_t>(tensor.int32_data(i));
      std::memcpy(bytes.data() + i * eltBytes, &v, eltBytes);
    }
    return DenseElementsAttr::getFromRawBuffer(type, bytes);
  }
  }
}

//===----------------------------------------------------------------------===//
// NodeImporter
//===----------------------------------------------------------------------===//

InFlightDiagnostic NodeImporter::error() {
  std::string name = node.name().empty() ? "<unnamed>" : node.name();
  return emitError(loc) << "node '" << name << "' (" << node.op_type()
                        << ", opset " << opset << ") in " << file << ": ";
}

DenseElementsAttr NodeImporter::constantInput(size_t i) const {
  DenseElementsAttr attr;
  if (hasInput(i) && matchPattern(input(i), m_Constant(&attr)))
    return attr;
  return nullptr;
}

std::optional<std::vector<int64_t>>
NodeImporter::constantInts(size_t i) const {
  DenseElementsAttr attr = constantInput(i);
  if (!attr || !llvm::isa<IntegerType>(attr.getElementType()))
    return std::nullopt;
  std::vector<int64_t> values;
  for (const APInt &v : attr.getValues<APInt>())
    values.push_back(v.getSExtValue());
  return values;
}

const onnx::AttributeProto *NodeImporter::findAttr(StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeImporter::attrInt(StringRef name, int64_t fallback) const {
  const auto *a = findAttr(name);
  return a ? a->i() : fallback;
}

float NodeImporter::attrFloat(StringRef name, float fallback) const {
  const auto *a = findAttr(name);
  return a ? a->f() : fallback;
}

std::string NodeImporter::attrString(StringRef name, StringRef fallback) const {
  const auto *a = findAttr(name);
  return a ? a->s() : fallback.str();
}

std::optional<std::vector<int64_t>>
NodeImporter::attrInts(StringRef name) const {
  const auto *a = findAttr(name);
  if (!a)
    return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::optional<std::vector<float>>
NodeImporter::attrFloats(StringRef name) const {
  const auto *a = findAttr(name);
  if (!a)
    return std::nullopt;
  return std::vector<float>(a->floats().begin(), a->floats().end());
}

FailureOr<RankedTensorType>
NodeImporter::outputType(size_t i, std::optional<RankedTensorType> computed) {
  if (computed)
    return *computed;
  if (auto d = declaredType(i))
    return *d;
  error() << "cannot determine a static shape for output '" << node.output(i)
          << "'";
  return failure();
}

FailureOr<int64_t> NodeImporter::normalizeAxis(int64_t axis, int64_t rank) {
  int64_t n = axis < 0 ? axis + rank : axis;
  if (n < 0 || n >= std::max<int64_t>(rank, 1)) {
    error() << "axis " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return n;
}

FailureOr<std::vector<Value>>
NodeImporter::importSubgraph(StringRef name, ArrayRef<Value> args) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr || !attr->has_g()) {
    error() << "graph attribute '" << name << "' is missing";
    return failure();
  }
  if (attr->g().input_size() != (int)args.size()) {
    error() << "body '" << name << "' takes " << attr->g().input_size()
            << " inputs, the op passes " << args.size();
    return failure();
  }
  return subgraphs(attr->g(), args);
}

LogicalResult NodeImporter::requireStaticDims(size_t i, ArrayRef<int64_t> dims,
                                             StringRef what) {
  auto type = inputType(i);
  for (int64_t d : dims)
    if (type.isDynamicDim(d))
      return error() << "dim " << d << " of input " << i
                     << " is dynamic, but " << what
                     << " needs its size; give it with --input-shape";
  return success();
}

const OpHandler *HandlerTable::lookup(StringRef opType, int64_t opset) const {
  auto it = table.find(opType.str());
  if (it == table.end())
    return nullptr;
  auto version = it->second.upper_bound(opset);
  if (version == it->second.begin())
    return nullptr;
  return &std::prev(version)->second;
}

//===----------------------------------------------------------------------===//
// The model walk
//===----------------------------------------------------------------------===//

namespace {
class ModelImporter {
public:
  ModelImporter(MLIRContext &ctx, const std::string &path,
                const ImportOptions &options)
      : ctx(ctx), path(path), options(options),
        baseDir(llvm::sys::path::parent_path(path).str()) {
    if (baseDir.empty())
      baseDir = ".";
  }

  FailureOr<OwningOpRef<ModuleOp>> run();

private:
  LogicalResult parse();
  LogicalResult validate();
  LogicalResult applyInputShapes();
  /// The tensor type of a graph input or output; symbolic or unknown
  /// dimensions become dynamic, their ONNX names (or "") go to `dimNames`.
  FailureOr<RankedTensorType> graphValueType(const onnx::TypeProto &type,
                                             const std::string &what,
                                             SmallVectorImpl<std::string> &dimNames);
  LogicalResult checkDynamicSupport(NodeImporter &node, const OpHandler &handler);
  /// The values and sequences a graph body defines; names it does not
  /// define are looked up in the enclosing scopes (an unrolled loop body
  /// imports once per iteration, so it must not copy them).
  struct Scope {
    llvm::StringMap<Value> values;
    std::map<std::string, Sequence> sequences;
    const Scope *parent = nullptr;

    Value findValue(StringRef name) const {
      for (const Scope *s = this; s; s = s->parent)
        if (auto it = s->values.find(name); it != s->values.end())
          return it->second;
      return nullptr;
    }
    const Sequence *findSequence(const std::string &name) const {
      for (const Scope *s = this; s; s = s->parent)
        if (auto it = s->sequences.find(name); it != s->sequences.end())
          return &it->second;
      return nullptr;
    }
  };
  LogicalResult importNodes(const onnx::GraphProto &graph, Scope &scope);
  bool reportUnsupported(const onnx::GraphProto &graph);
  std::optional<RankedTensorType> inferredType(const std::string &name);
  Location nodeLoc(const onnx::NodeProto &node, size_t index);
  LogicalResult checkSupported();

  MLIRContext &ctx;
  std::string path;
  const ImportOptions &options;
  std::string baseDir;
  onnx::ModelProto model;
  int64_t opset = 0;
  llvm::StringMap<const onnx::TypeProto *> valueTypes;
  OpBuilder builder{&ctx};
};
} // namespace

bool onnx_import::readModelFile(const std::string &path,
                                onnx::ModelProto &model, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open the file";
    return false;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string bytes = buffer.str();
  if (bytes.empty()) {
    error = path + ": the file is empty";
    return false;
  }
  if (model.ParseFromString(bytes) && model.has_graph())
    return true;
  // Protobuf stops at 100 levels of nested messages. A model that parses
  // with a deeper limit is well formed but nests its subgraphs (If and Loop
  // bodies) too deep to compile; say so rather than call it corrupt.
  constexpr int kProbeDepth = 10000;
  if (bytes.size() < (size_t)INT_MAX) {
    onnx::ModelProto deep;
    google::protobuf::io::CodedInputStream stream(
        reinterpret_cast<const uint8_t *>(bytes.data()), (int)bytes.size());
    stream.SetRecursionLimit(kProbeDepth);
    if (deep.ParseFromCodedStream(&stream) && stream.ConsumedEntireMessage() &&
        deep.has_graph()) {
      error = path + ": the model nests subgraphs (If/Loop bodies) deeper "
                     "than the 100 message levels protobuf reads";
      return false;
    }
  }
  error = path + ": not a valid ONNX model (protobuf parse failed or the "
                 "file is truncated)";
  return false;
}

int64_t onnx_import::defaultOpset(const onnx::ModelProto &model) {
  int64_t opset = 0;
  for (const auto &import : model.opset_import())
    if (import.domain().empty() || import.domain() == "ai.onnx")
      opset = import.version();
  return opset;
}

const OpHandler *onnx_import::findHandler(const onnx::NodeProto &node,
                                          int64_t opset) {
  if (node.domain().empty() || node.domain() == "ai.onnx")
    return handlerTable().lookup(node.op_type(), opset);
  // Contrib ops are versioned by their own domain, which has one version.
  if (node.domain() == "com.microsoft")
    return handlerTable().lookup("com.microsoft." + node.op_type(), 1);
  return nullptr;
}

bool onnx_import::isSupported(const onnx::NodeProto &node, int64_t opset) {
  return findHandler(node, opset) != nullptr;
}

LogicalResult ModelImporter::parse() {
  std::string readError;
  uint64_t fileBytes = 0;
  auto overLimit = [&](uint64_t bytes) {
    if (!options.maxModelBytes || bytes <= options.maxModelBytes)
      return false;
    emitError(UnknownLoc::get(&ctx))
        << path << ": the model holds " << bytes
        << " bytes with its external data, more than --max-model-bytes "
        << options.maxModelBytes;
    return true;
  };
  // Checked before reading: a limit must hold before the memory is spent.
  if (!llvm::sys::fs::file_size(path, fileBytes) && overLimit(fileBytes))
    return failure();
  if (!readModelFile(path, model, readError)) {
    emitError(UnknownLoc::get(&ctx)) << readError;
    return failure();
  }
  uint64_t modelBytes = fileBytes;
  // External data is pulled into the initializers here, from inside the
  // model's directory only, so everything after sees self-contained tensors.
  for (auto &tensor : *model.mutable_graph()->mutable_initializer()) {
    if (tensor.data_location() != onnx::TensorProto::EXTERNAL)
      continue;
    std::string bytes, error;
    uint64_t budget = options.maxModelBytes
                          ? options.maxModelBytes -
                                std::min(modelBytes, options.maxModelBytes)
                          : UINT64_MAX;
    if (!readExternalData(tensor, baseDir, budget, bytes, error)) {
      emitError(UnknownLoc::get(&ctx))
          << path << ": tensor '" << tensor.name() << "': " << error;
      return failure();
    }
    modelBytes += bytes.size();
    tensor.set_raw_data(std::move(bytes));
    tensor.clear_external_data();
    tensor.set_data_location(onnx::TensorProto::DEFAULT);
  }
  opset = defaultOpset(model);
  if (opset == 0) {
    emitError(UnknownLoc::get(&ctx))
        << path << ": the model imports no default-domain opset";
    return failure();
  }
  return success();
}

LogicalResult ModelImporter::validate() {
  // The checker in libonnx 1.12 knows opsets up to 17; newer models are
  // checked op by op by the handlers instead.
  constexpr int64_t kNewestCheckedOpset = 17;
  try {
    if (opset <= kNewestCheckedOpset)
      onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    std::string what = e.what();
    emitError(UnknownLoc::get(&ctx))
        << path << ": the ONNX checker rejects the model: "
        << StringRef(what).split('\n').first;
    return failure();
  }
  if (failed(applyInputShapes()))
    return failure();
  // libonnx's shape inference trusts the graph's wiring and dereferences
  // the type of every input it names; for models the checker did not see,
  // check that wiring first (a fuzzed model with a dangling input crashed
  // it).
  if (opset > kNewestCheckedOpset) {
    std::string problem;
    if (!onnx_import::checkGraphWiring(model.graph(), problem)) {
      emitError(UnknownLoc::get(&ctx)) << path << ": " << problem;
      return failure();
    }
  }
  // Inference is a helper, not a gate: handlers compute what it missed and
  // report what nobody could.
  onnx_import::inferShapesBestEffort(model);
  // Control-flow bodies share the name space (ONNX names are unique in a
  // model), so their inferred types go in the same table.
  std::function<void(const onnx::GraphProto &)> collect =
      [&](const onnx::GraphProto &graph) {
        for (const auto &v : graph.input())
          valueTypes[v.name()] = &v.type();
        for (const auto &v : graph.value_info())
          valueTypes[v.name()] = &v.type();
        for (const auto &v : graph.output())
          valueTypes[v.name()] = &v.type();
        for (const auto &node : graph.node())
          for (const auto &attr : node.attribute()) {
            if (attr.has_g())
              collect(attr.g());
            for (const auto &g : attr.graphs())
              collect(g);
          }
      };
  collect(model.graph());
  return success();
}

LogicalResult ModelImporter::applyInputShapes() {
  auto *inputs = model.mutable_graph()->mutable_input();
  for (const auto &[name, shape] : options.inputShapes) {
    auto it = llvm::find_if(*inputs, [&](const onnx::ValueInfoProto &v) {
      return v.name() == name;
    });
    if (it == inputs->end() || !it->type().has_tensor_type()) {
      emitError(UnknownLoc::get(&ctx))
          << path << ": --input-shape names '" << name
          << "', which is not a tensor input of the graph";
      return failure();
    }
    auto *dims = it->mutable_type()->mutable_tensor_type()->mutable_shape();
    if (it->type().tensor_type().has_shape() &&
        dims->dim_size() != (int)shape.size()) {
      emitError(UnknownLoc::get(&ctx))
          << path << ": --input-shape gives input '" << name << "' "
          << shape.size() << " dimensions; the model declares "
          << dims->dim_size();
      return failure();
    }
    if (dims->dim_size() == 0)
      for (size_t i = 0; i < shape.size(); ++i)
        dims->add_dim();
    for (auto [i, size] : llvm::enumerate(shape)) {
      auto *dim = dims->mutable_dim(i);
      if (dim->has_dim_value() && dim->dim_value() != size) {
        emitError(UnknownLoc::get(&ctx))
            << path << ": --input-shape sets dim " << i << " of input '"
            << name << "' to " << size << "; the model fixes it at "
            << dim->dim_value();
        return failure();
      }
      dim->set_dim_value(size);
    }
  }
  return success();
}

FailureOr<RankedTensorType>
ModelImporter::graphValueType(const onnx::TypeProto &type,
                              const std::string &what,
                              SmallVectorImpl<std::string> &dimNames) {
  if (!type.has_tensor_type()) {
    emitError(UnknownLoc::get(&ctx))
        << path << ": " << what
        << " is not a tensor (sequences, maps and optionals are unsupported)";
    return failure();
  }
  const auto &tensor = type.tensor_type();
  Type elt = elementTypeFor(&ctx, tensor.elem_type());
  if (!elt) {
    emitError(UnknownLoc::get(&ctx)) << path << ": " << what
                                     << " has unsupported element type "
                                     << dtypeName(tensor.elem_type());
    return failure();
  }
  if (!tensor.has_shape()) {
    emitError(UnknownLoc::get(&ctx)) << path << ": " << what
                                     << " has no shape";
    return failure();
  }
  SmallVector<int64_t> shape;
  dimNames.clear();
  for (const auto &dim : tensor.shape().dim()) {
    bool known = dim.has_dim_value() && dim.dim_value() >= 0;
    shape.push_back(known ? dim.dim_value() : ShapedType::kDynamic);
    dimNames.push_back(known ? "" : dim.dim_param());
  }
  return RankedTensorType::get(shape, elt);
}

std::optional<RankedTensorType>
ModelImporter::inferredType(const std::string &name) {
  auto it = valueTypes.find(name);
  if (it == valueTypes.end() || !it->second->has_tensor_type())
    return std::nullopt;
  const auto &tensor = it->second->tensor_type();
  Type elt = elementTypeFor(&ctx, tensor.elem_type());
  if (!elt || !tensor.has_shape())
    return std::nullopt;
  SmallVector<int64_t> shape;
  for (const auto &dim : tensor.shape().dim()) {
    if (!dim.has_dim_value())
      return std::nullopt;
    shape.push_back(dim.dim_value());
  }
  return RankedTensorType::get(shape, elt);
}

Location ModelImporter::nodeLoc(const onnx::NodeProto &node, size_t index) {
  std::string name = node.name().empty()
                         ? node.op_type() + "_" + std::to_string(index)
                         : node.name();
  return NameLoc::get(StringAttr::get(&ctx, name),
                      FileLineColLoc::get(&ctx, path, 0, 0));
}

LogicalResult ModelImporter::checkDynamicSupport(NodeImporter &node,
                                                 const OpHandler &handler) {
  for (size_t i = 0; i < node.numInputs(); ++i) {
    if (!node.hasInput(i) || !isDynamic(node.input(i).getType()))
      continue;
    auto shape = node.inputType(i).getShape();
    bool batchOnly = i == 0 && !shape.empty() &&
                     llvm::all_of(shape.drop_front(), [](int64_t d) {
                       return !ShapedType::isDynamic(d);
                     });
    if (handler.dynamic == DynamicDims::Any ||
        (handler.dynamic == DynamicDims::Batch && batchOnly))
      continue;
    node.error() << "input " << i << " has dynamic dimensions ("
                 << node.input(i).getType() << ") where this op needs "
                 << (handler.dynamic == DynamicDims::Batch
                         ? "all but the batch dimension"
                         : "every dimension")
                 << " fixed; give the sizes with --input-shape";
    return failure();
  }
  return success();
}

bool ModelImporter::reportUnsupported(const onnx::GraphProto &graph) {
  bool ok = true;
  for (const auto &node : graph.node()) {
    for (const auto &attr : node.attribute()) {
      if (attr.has_g())
        ok &= reportUnsupported(attr.g());
      for (const auto &g : attr.graphs())
        ok &= reportUnsupported(g);
    }
    if (isSupported(node, opset))
      continue;
    ok = false;
    std::string name = node.name().empty() ? "<unnamed>" : node.name();
    emitError(UnknownLoc::get(&ctx))
        << "unsupported op '"
        << (node.domain().empty() ? "" : node.domain() + ".") << node.op_type()
        << "' (node '" << name << "', opset " << opset << ") in " << path;
  }
  return ok;
}

LogicalResult ModelImporter::checkSupported() {
  // Report every unsupported op at once, control-flow bodies included: a
  // user fixing a model wants the whole list, not one op per attempt.
  return success(reportUnsupported(model.graph()));
}

/// Shapes computed from constants (Reshape, Expand, Tile, ...) are as
/// untrusted as declared ones: bound the element count of every result.
static LogicalResult checkElementCount(NodeImporter &importer, StringRef name,
                                       Type type) {
  auto shaped = llvm::dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasRank())
    return success();
  int64_t count = 1;
  for (int64_t d : shaped.getShape()) {
    if (ShapedType::isDynamic(d) || d == 0)
      continue;
    if (d < 0 || count > kMaxTensorElements / d)
      return importer.error() << "output '" << name << "' would have shape "
                              << type << ", more than 2^40 elements";
    count *= d;
  }
  return success();
}

/// Handlers take inputs and outputs by position, so the node must have
/// what its schema requires: every required input, at least the outputs it
/// must produce. The ONNX checker covers this only for the opsets it knows.
static LogicalResult checkArity(NodeImporter &importer,
                                const onnx::NodeProto &node, int64_t opset) {
  const onnx::OpSchema *schema =
      onnx::OpSchemaRegistry::Schema(node.op_type(), opset, node.domain());
  if (!schema)
    return success();
  for (auto [i, formal] : llvm::enumerate(schema->inputs())) {
    if (formal.GetOption() != onnx::OpSchema::Single)
      continue;
    if ((int)i >= node.input_size() || node.input((int)i).empty())
      return importer.error() << "input " << i << " ('" << formal.GetName()
                              << "') is required but missing";
  }
  if (node.input_size() < schema->min_input())
    return importer.error()
           << "has " << node.input_size() << " inputs; it takes at least "
           << schema->min_input();
  if (node.output_size() < schema->min_output() || node.output_size() == 0)
    return importer.error()
           << "has " << node.output_size() << " outputs; it produces at least "
           << std::max(1, schema->min_output());
  return success();
}

LogicalResult ModelImporter::importNodes(const onnx::GraphProto &graph,
                                         Scope &scope) {
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    Location loc = nodeLoc(node, index);
    std::vector<Value> inputs;
    std::vector<const Sequence *> sequenceInputs(node.input_size(), nullptr);
    for (auto [i, name] : llvm::enumerate(node.input())) {
      if (name.empty()) {
        inputs.push_back(nullptr);
        continue;
      }
      if (const Sequence *seq = scope.findSequence(name)) {
        inputs.push_back(nullptr);
        sequenceInputs[i] = seq;
        continue;
      }
      Value value = scope.findValue(name);
      if (!value) {
        emitError(loc) << "node '" << node.name() << "' (" << node.op_type()
                       << ") in " << path << ": input '" << name
                       << "' is not produced by any earlier node";
        return failure();
      }
      inputs.push_back(value);
    }
    std::vector<std::optional<RankedTensorType>> declared;
    for (const std::string &name : node.output())
      declared.push_back(inferredType(name));
    auto subgraphs = [&](const onnx::GraphProto &body, ArrayRef<Value> args)
        -> FailureOr<std::vector<Value>> {
      // A body sees everything its enclosing scopes define.
      Scope inner;
      inner.parent = &scope;
      for (auto [formal, arg] : llvm::zip(body.input(), args))
        inner.values[formal.name()] = arg;
      if (failed(importNodes(body, inner)))
        return failure();
      std::vector<Value> results;
      for (const auto &output : body.output()) {
        Value result = inner.findValue(output.name());
        if (!result) {
          emitError(loc) << path << ": body output '" << output.name()
                         << "' of node '" << node.name()
                         << "' is not a tensor produced in the body";
          return failure();
        }
        results.push_back(result);
      }
      return results;
    };
    NodeImporter importer(node, opset, builder, loc, path, std::move(inputs),
                          std::move(sequenceInputs), std::move(declared),
                          subgraphs);
    const OpHandler *handler = findHandler(node, opset);
    if (!handler)
      return importer.error() << "unsupported op";
    if (failed(checkArity(importer, node, opset)) ||
        failed(checkDynamicSupport(importer, *handler)) ||
        failed(handler->import(importer)))
      return failure();
    for (auto [i, name] : llvm::enumerate(node.output())) {
      if (name.empty())
        continue;
      if (const auto &seq = importer.sequenceResults()[i]) {
        scope.sequences[name] = *seq;
        continue;
      }
      Value v = importer.results()[i];
      if (!v) {
        importer.error() << "output '" << name << "' is not supported";
        return failure();
      }
      if (failed(checkElementCount(importer, name, v.getType())))
        return failure();
      scope.values[name] = v;
    }
  }
  return success();
}

FailureOr<OwningOpRef<ModuleOp>> ModelImporter::run() {
  if (failed(parse()) || failed(validate()) || failed(checkSupported()))
    return failure();
  ctx.loadDialect<graph::GraphDialect, quant::QuantDialect,
                  func::FuncDialect>();
  const onnx::GraphProto &graph = model.graph();

  OpBuilder &b = builder;
  Location fileLoc = FileLineColLoc::get(&ctx, path, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  llvm::StringMap<Value> values;

  // Initializers first: a graph input with an initializer of the same name
  // (IR version < 4 models) is a constant, not a runtime input.
  b.setInsertionPointToEnd(module->getBody());
  std::vector<std::pair<std::string, DenseElementsAttr>> initializers;
  llvm::StringSet<> initializerNames;
  for (const auto &tensor : graph.initializer()) {
    std::string error;
    auto attr = tensorToAttr(&ctx, tensor, error);
    if (failed(attr)) {
      emitError(fileLoc) << path << ": " << error;
      return failure();
    }
    initializers.emplace_back(tensor.name(), *attr);
    initializerNames.insert(tensor.name());
  }

  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  SmallVector<ArrayAttr> argDims;
  llvm::StringSet<> inputSymbols;
  for (const auto &input : graph.input()) {
    if (initializerNames.contains(input.name()))
      continue;
    SmallVector<std::string> dimNames;
    auto type = graphValueType(input.type(), "input '" + input.name() + "'",
                               dimNames);
    if (failed(type))
      return failure();
    for (auto [d, name] : llvm::enumerate(dimNames)) {
      if (!type->isDynamicDim(d))
        continue;
      if (name.empty()) {
        // An unnamed dynamic dim binds to nothing else: name it after its
        // place so the runtime can still report it.
        name = input.name() + ":" + std::to_string(d);
      }
      inputSymbols.insert(name);
    }
    argTypes.push_back(*type);
    argNames.push_back(input.name());
    argDims.push_back(b.getStrArrayAttr(
        SmallVector<StringRef>(dimNames.begin(), dimNames.end())));
  }
  SmallVector<RankedTensorType> declaredResults;
  SmallVector<SmallVector<std::string>> resultDimNames;
  for (const auto &output : graph.output()) {
    auto type = graphValueType(output.type(), "output '" + output.name() + "'",
                               resultDimNames.emplace_back());
    if (failed(type))
      return failure();
    declaredResults.push_back(*type);
  }

  // The result types are those computed, known once the body is built.
  auto func = b.create<func::FuncOp>(fileLoc, options.functionName,
                                     b.getFunctionType(argTypes, {}));
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, "ds.name", b.getStringAttr(name));
    if (isDynamic(argTypes[i]))
      func.setArgAttr(i, "ds.dims", argDims[i]);
  }
  Block *body = func.addEntryBlock();
  b.setInsertionPointToStart(body);
  for (auto [i, name] : llvm::enumerate(argNames))
    values[name] = body->getArgument(i);
  for (auto &[name, attr] : initializers)
    values[name] = b.create<graph::ConstantOp>(
        NameLoc::get(StringAttr::get(&ctx, name), fileLoc), attr);

  Scope scope{std::move(values), {}};
  if (failed(importNodes(graph, scope)))
    return failure();
  values = std::move(scope.values);

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  SmallVector<ArrayAttr> resultDims;
  SmallVector<DenseI64ArrayAttr> resultBounds;
  for (auto [i, output] : llvm::enumerate(graph.output())) {
    auto it = values.find(output.name());
    if (it == values.end()) {
      emitError(fileLoc) << path << ": graph output '" << output.name()
                         << "' is not produced by any node";
      return failure();
    }
    Value v = it->second;
    auto computed = llvm::cast<RankedTensorType>(v.getType());
    RankedTensorType declared = declaredResults[i];
    if (computed.getElementType() != declared.getElementType() ||
        (computed.hasStaticShape() && declared.hasStaticShape() &&
         computed.getNumElements() != declared.getNumElements()) ||
        (!computed.hasStaticShape() && computed != declared &&
         computed.getRank() != declared.getRank())) {
      emitError(fileLoc) << path << ": graph output '" << output.name()
                         << "' is declared " << declared
                         << " but computed as " << computed;
      return failure();
    }
    // A static declaration of another shape with the same elements (older
    // exporters) is honoured with a reshape.
    if (declared.hasStaticShape() && computed.hasStaticShape() &&
        declared != computed) {
      v = b.create<graph::ReshapeOp>(fileLoc, declared, v);
      computed = declared;
    }
    // The runtime sizes a dynamic output from the input dims it shares a
    // name with. A data-dependent size (NonZero's count) has an upper bound
    // instead: the caller provides that much room and learns the size after
    // the run. Any other dynamic output size cannot be known in advance.
    if (!computed.hasStaticShape()) {
      SmallVector<std::string> names;
      SmallVector<int64_t> bounds(computed.getRank(), 0);
      auto nonZero = v.getDefiningOp<graph::NonZeroOp>();
      for (int64_t d = 0; d < computed.getRank(); ++d) {
        std::string name = computed.isDynamicDim(d) && declared.getRank() ==
                                                           computed.getRank()
                               ? resultDimNames[i][d]
                               : "";
        if (computed.isDynamicDim(d) && nonZero && d == 1) {
          bounds[d] = nonZero.getInput().getType().getNumElements();
          name = output.name() + ":" + std::to_string(d);
        } else if (computed.isDynamicDim(d) && !inputSymbols.contains(name)) {
          emitError(fileLoc)
              << path << ": dim " << d << " of graph output '"
              << output.name()
              << "' has no size named after an input dimension ('" << name
              << "'), so it cannot be known before the run; give the input "
                 "sizes with --input-shape";
          return failure();
        }
        names.push_back(name);
      }
      resultDims.push_back(b.getStrArrayAttr(
          SmallVector<StringRef>(names.begin(), names.end())));
      resultBounds.push_back(llvm::any_of(bounds, [](int64_t x) { return x; })
                                 ? b.getDenseI64ArrayAttr(bounds)
                                 : nullptr);
    } else {
      resultDims.push_back(nullptr);
      resultBounds.push_back(nullptr);
    }
    results.push_back(v);
    resultTypes.push_back(computed);
  }
  func.setFunctionType(b.getFunctionType(argTypes, resultTypes));
  for (auto [i, output] : llvm::enumerate(graph.output())) {
    func.setResultAttr(i, "ds.name", b.getStringAttr(output.name()));
    if (resultDims[i])
      func.setResultAttr(i, "ds.dims", resultDims[i]);
    if (resultBounds[i])
      func.setResultAttr(i, "ds.bounds", resultBounds[i]);
  }
  b.create<func::ReturnOp>(fileLoc, results);
  if (failed(verify(*module)))
    return failure();
  return module;
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::ds::importONNXModel(MLIRContext &context, const std::string &path,
                          const ImportOptions &options) {
  // protobuf and libonnx throw; nothing may escape into MLIR code.
  try {
    ModelImporter importer(context, path, options);
    return importer.run();
  } catch (const std::exception &e) {
    emitError(UnknownLoc::get(&context))
        << path << ": cannot import the model: " << e.what();
    return failure();
  }
}

