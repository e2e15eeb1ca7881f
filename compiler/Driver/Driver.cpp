//===- Driver.cpp - compile an ONNX model into an artifact ----------------===//
#include "compiler/Driver/Driver.h"
#include "compiler/Driver/AdaptiveQuantization.h"
#include "compiler/Driver/Calibration.h"
#include "compiler/Driver/ModelEvaluation.h"

#include "backends/Common/Artifact.h"
#include "backends/Common/LLVMCodegen.h"
#include "backends/Common/TargetBackend.h"
#include "compiler/Import/ONNX/ONNXImporter.h"
#include "compiler/Pipelines/Pipelines.h"
#include "compiler/Support/AtomicOutput.h"
#include "dialects/Graph/IR/GraphOps.h"
#include "dialects/Quant/IR/QuantOps.h"
#include "runtime-stub/include/ds_runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <set>

using namespace mlir;
using namespace mlir::ds;

namespace {

/// Prints each diagnostic as one line on stderr; importer messages already
/// name the file, node and op, and pass errors get the node from the
/// location.
void printDiagnostic(Diagnostic &diag) {
  llvm::raw_ostream &os = llvm::errs();
  os << "deepseek-convert: "
     << (diag.getSeverity() == DiagnosticSeverity::Error ? "error: "
                                                          : "warning: ");
  if (auto name = llvm::dyn_cast<NameLoc>(diag.getLocation());
      name && !StringRef(diag.str()).starts_with("node '"))
    os << "node '" << name.getName().getValue() << "': ";
  os << diag.str() << "\n";
}

ModelSignature signatureOf(func::FuncOp func) {
  ModelSignature sig;
  auto describe = [](Type type, DictionaryAttr attrs, size_t index,
                     const char *kind) {
    auto tensor = llvm::cast<RankedTensorType>(type);
    TensorSignature t;
    auto name = attrs ? attrs.getAs<StringAttr>("ds.name") : StringAttr();
    t.name = name ? name.str() : std::string(kind) + std::to_string(index);
    t.onnxDtype = onnxDtypeOf(tensor.getElementType());
    for (int64_t d = 0; d < tensor.getRank(); ++d) {
      t.shape.push_back(tensor.isDynamicDim(d) ? -1 : tensor.getDimSize(d));
      auto names = attrs ? attrs.getAs<ArrayAttr>("ds.dims") : ArrayAttr();
      auto dimName = names && d < (int64_t)names.size()
                         ? llvm::dyn_cast<StringAttr>(names[d])
                         : StringAttr();
      t.dimNames.push_back(dimName ? dimName.str() : "");
      auto bounds = attrs ? attrs.getAs<DenseI64ArrayAttr>("ds.bounds")
                          : DenseI64ArrayAttr();
      t.dimBounds.push_back(bounds && d < bounds.size() ? bounds[d] : 0);
    }
    return t;
  };
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    sig.inputs.push_back(describe(func.getArgumentTypes()[i],
                                  func.getArgAttrDict(i), i, "input_"));
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    sig.outputs.push_back(describe(func.getResultTypes()[i],
                                   func.getResultAttrDict(i), i, "output_"));
  return sig;
}

/// JSON for the plain attributes passes leave for the report
/// (dictionaries, arrays, strings, numbers, booleans).
llvm::json::Value attributeToJson(Attribute attr) {
  if (auto dict = llvm::dyn_cast<DictionaryAttr>(attr)) {
    llvm::json::Object object;
    for (NamedAttribute entry : dict)
      object[entry.getName().str()] = attributeToJson(entry.getValue());
    return object;
  }
  if (auto array = llvm::dyn_cast<ArrayAttr>(attr)) {
    llvm::json::Array list;
    for (Attribute a : array)
      list.push_back(attributeToJson(a));
    return list;
  }
  if (auto str = llvm::dyn_cast<StringAttr>(attr))
    return str.str();
  if (auto b = llvm::dyn_cast<BoolAttr>(attr))
    return b.getValue();
  if (auto i = llvm::dyn_cast<IntegerAttr>(attr))
    return i.getInt();
  if (auto f = llvm::dyn_cast<FloatAttr>(attr))
    return f.getValueAsDouble();
  return nullptr;
}

/// Bytes of a statically shaped tensor of whole-byte (or bool) elements;
/// 0 for anything else.
int64_t staticTensorBytes(Type type) {
  auto t = llvm::dyn_cast<RankedTensorType>(type);
  if (!t || !t.hasStaticShape() || !t.getElementType().isIntOrFloat())
    return 0;
  return t.getNumElements() * std::max(1u, t.getElementTypeBitWidth() / 8);
}

/// Op counts and constant bytes of the dsg graph, for the report.
llvm::json::Object graphSummary(ModuleOp module) {
  std::map<std::string, int64_t> ops;
  int64_t weightBytes = 0, weightCount = 0;
  module.walk([&](Operation *op) {
    if (op->getDialect() && op->getDialect()->getNamespace() == "dsg")
      ops[op->getName().getStringRef().str()]++;
    if (auto c = llvm::dyn_cast<graph::ConstantOp>(op)) {
      weightBytes += staticTensorBytes(c.getType());
      ++weightCount;
    }
  });
  llvm::json::Object counts;
  int64_t total = 0;
  for (auto &[name, count] : ops) {
    counts[name] = count;
    total += count;
  }
  return llvm::json::Object{{"ops", total},
                            {"ops_by_kind", std::move(counts)},
                            {"constants", weightCount},
                            {"constant_bytes", weightBytes}};
}

llvm::json::Array tensorsJson(const std::vector<TensorSignature> &list) {
  llvm::json::Array out;
  for (const TensorSignature &t : list) {
    llvm::json::Array shape;
    for (int64_t d : t.shape)
      shape.push_back(d);
    out.push_back(llvm::json::Object{
        {"name", t.name}, {"dtype", t.onnxDtype}, {"shape", std::move(shape)}});
  }
  return out;
}

bool writeText(const std::string &path, const std::string &text) {
  std::string error;
  if (::ds::support::writeFileAtomically(path, text.data(), text.size(), error))
    return true;
  llvm::errs() << "deepseek-convert: error: " << error << "\n";
  return false;
}

/// Times the stages for report.json and tells CompileOptions::onStage.
class StageTimer {
public:
  explicit StageTimer(const CompileOptions &options) : options(options) {}
  void start(StringRef name) {
    stage = name.str();
    if (options.onStage)
      options.onStage(stage, -1);
    begin = std::chrono::steady_clock::now();
  }
  void stop() {
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - begin)
                    .count();
    timings[stage] = std::round(ms * 10) / 10;
    if (options.onStage)
      options.onStage(stage, ms);
  }
  llvm::json::Object timings;

private:
  const CompileOptions &options;
  std::string stage;
  std::chrono::steady_clock::time_point begin;
};

/// The names of the passes in `pm`, from its textual form
/// ("builtin.module(ds-a{opt=1}, func.func(canonicalize))").
static std::set<std::string> passNames(OpPassManager &pm) {
  std::string text;
  llvm::raw_string_ostream os(text);
  pm.printAsTextualPipeline(os);
  std::set<std::string> names;
  std::string word;
  int braces = 0; // pass options are not names
  for (char c : text) {
    if (c == '{')
      ++braces;
    if (c == '}')
      --braces;
    if (braces == 0 && (llvm::isAlnum(c) || c == '-' || c == '_' || c == '.')) {
      word += c;
      continue;
    }
    if (!word.empty() && c != '(')
      names.insert(word);
    word.clear();
  }
  if (!word.empty())
    names.insert(word);
  return names;
}

/// --dump-ir-after: prints the module after each named pass of `pm`, to
/// stderr or under --dump-ir-dir/`pipeline`.
static LogicalResult enableIRDump(PassManager &pm,
                                  const CompileOptions &options,
                                  StringRef pipeline) {
  if (options.dumpIRAfter.empty())
    return success();
  // Weights would drown the IR; 16 elements show what a constant is.
  OpPrintingFlags flags;
  flags.elideLargeElementsAttrs(16);
  auto never = [](Pass *, Operation *) { return false; };
  auto after = [names = options.dumpIRAfter](Pass *pass, Operation *) {
    return llvm::is_contained(names, "all") ||
           llvm::is_contained(names, pass->getArgument().str());
  };
  if (options.dumpIRDir.empty()) {
    pm.enableIRPrinting(never, after, /*printModuleScope=*/true,
                        /*printAfterOnlyOnChange=*/false,
                        /*printAfterOnlyOnFailure=*/false, llvm::errs(), flags);
    return success();
  }
  llvm::SmallString<256> dir(options.dumpIRDir);
  llvm::sys::path::append(dir, pipeline);
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
    llvm::errs() << "deepseek-convert: error: --dump-ir-dir: cannot create '"
                 << dir << "': " << ec.message() << "\n";
    return failure();
  }
  pm.enableIRPrintingToFileTree(never, after, /*printModuleScope=*/true,
                                /*printAfterOnlyOnChange=*/false,
                                /*printAfterOnlyOnFailure=*/false, dir, flags);
  return success();
}

} // namespace

llvm::json::Object
mlir::ds::codegenOptionsJson(const CompileOptions &options,
                             const std::map<std::string, int> &layerBits) {
  auto strings = [](const std::vector<std::string> &list) {
    return llvm::json::Array(list);
  };
  llvm::json::Object bits;
  for (auto &[node, width] : layerBits)
    bits[node] = width;
  llvm::json::Object shapes;
  for (auto &[name, dims] : options.inputShapes)
    shapes[name] = llvm::json::Array(dims);
  return llvm::json::Object{
      {"target", options.target},
      {"cpu", options.cpu},
      {"features", options.features},
      {"gpu", options.gpu},
      {"precision", options.precision},
      {"fusion", options.fusion},
      {"prune_sparsity", options.pruneSparsity},
      {"prune_structured", options.pruneStructured},
      {"prune_global", options.pruneGlobal},
      {"prune_exclude", strings(options.pruneExclude)},
      // Adaptive quantization's choice is recorded as the widths it chose.
      {"quantize", options.quantize == "adaptive" ? "none" : options.quantize},
      {"group_size", options.groupSize},
      {"exclude_nodes", strings(options.quantizeExcludeNodes)},
      {"exclude_ops", strings(options.quantizeExcludeOps)},
      {"layer_bits", std::move(bits)},
      {"calibration_data", options.calibrationDir},
      {"calibration_method", options.calibrationMethod},
      {"calibration_percentile", options.calibrationPercentile},
      {"input_shapes", std::move(shapes)},
  };
}

bool mlir::ds::codegenOptionsFromJson(const llvm::json::Object &json,
                                      CompileOptions &options,
                                      std::string &error) {
  llvm::json::Value value = llvm::json::Object(json);
  llvm::json::Path::Root root("options");
  llvm::json::ObjectMapper map(value, root);
  std::map<std::string, int> bits;
  std::map<std::string, std::vector<int64_t>> shapes;
  CompileOptions read = options;
  bool ok = map && map.map("target", read.target) && map.map("cpu", read.cpu) &&
            map.map("features", read.features) && map.map("gpu", read.gpu) &&
            map.map("precision", read.precision) &&
            map.map("fusion", read.fusion) &&
            map.map("prune_sparsity", read.pruneSparsity) &&
            map.map("prune_structured", read.pruneStructured) &&
            map.map("prune_global", read.pruneGlobal) &&
            map.map("prune_exclude", read.pruneExclude) &&
            map.map("quantize", read.quantize) &&
            map.map("group_size", read.groupSize) &&
            map.map("exclude_nodes", read.quantizeExcludeNodes) &&
            map.map("exclude_ops", read.quantizeExcludeOps) &&
            map.map("layer_bits", bits) &&
            map.map("calibration_data", read.calibrationDir) &&
            map.map("calibration_method", read.calibrationMethod) &&
            map.map("calibration_percentile", read.calibrationPercentile) &&
            map.map("input_shapes", shapes);
  if (!ok) {
    error = "report.json 'options' is malformed: " +
            llvm::toString(root.getError());
    return false;
  }
  read.quantizeLayerBits = std::move(bits);
  read.inputShapes = std::move(shapes);
  options = std::move(read);
  return true;
}

CompileStatus mlir::ds::compileModel(const CompileOptions &options) {
  registerAllTargetBackends();
  const TargetBackend *backend = lookupTargetBackend(options.target);
  if (!backend) {
    std::string names;
    for (const std::string &n : registeredTargetNames())
      names += (names.empty() ? "" : ", ") + n;
    llvm::errs() << "deepseek-convert: error: unknown target '"
                 << options.target << "' (available: " << names << ")\n";
    return CompileStatus::BadInput;
  }
  {
    TargetOptions target{options.cpu, options.features, options.gpu};
    // LLVM only warns about a CPU it does not know, then compiles for its
    // baseline: not what someone who named a CPU wants.
    std::string cpu = backend->resolveCPU(target);
    if (!isKnownCPU(backend->triple(), cpu)) {
      llvm::errs() << "deepseek-convert: error: unknown --cpu '" << cpu
                   << "' for --target " << options.target << "\n";
      return CompileStatus::BadInput;
    }
    std::string needed =
        backend->missingForPrecision(options.precision, target);
    if (!needed.empty()) {
      llvm::errs() << "deepseek-convert: error: --precision "
                   << options.precision << " needs " << needed << "\n";
      return CompileStatus::BadInput;
    }
  }
  static const std::map<std::string, std::pair<EmitKind, const char *>> kinds = {
      {"llvm", {EmitKind::LLVMIR, "model.ll"}},
      {"asm", {EmitKind::Assembly, "model.s"}},
      {"obj", {EmitKind::Object, "model.o"}},
      {"lib", {EmitKind::SharedLibrary, "model.so"}}};
  if (options.emit != "mlir" && !kinds.count(options.emit)) {
    llvm::errs() << "deepseek-convert: error: unknown --emit '" << options.emit
                 << "' (mlir, llvm, asm, obj or lib)\n";
    return CompileStatus::BadInput;
  }

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<graph::GraphDialect, quant::QuantDialect>();
  MLIRContext context(registry);
  context.disableMultithreading();
  ScopedDiagnosticHandler diagnostics(&context, [](Diagnostic &diag) {
    printDiagnostic(diag);
    return success();
  });

  StageTimer timer(options);
  timer.start("import");
  ImportOptions importOptions;
  importOptions.inputShapes = options.inputShapes;
  importOptions.maxModelBytes = options.maxModelBytes;
  auto imported = importONNXModel(context, options.inputPath, importOptions);
  if (failed(imported))
    return CompileStatus::BadInput;
  OwningOpRef<ModuleOp> module = std::move(*imported);
  timer.stop();
  auto func = *module->getOps<func::FuncOp>().begin();
  ModelSignature signature = signatureOf(func);
  llvm::json::Object importedSummary = graphSummary(*module);

  // What pruning and quantization are measured on; adaptive quantization
  // measures before compiling.
  EvaluationInputs evaluation;
  std::string error;
  if (!options.calibrationDir.empty() &&
      (!EvaluationInputs::readCalibrationDirectory(options.calibrationDir,
                                                   signature.inputs.size(),
                                                   evaluation, error) ||
       !evaluation.fits(signature, error))) {
    llvm::errs() << "deepseek-convert: error: " << error << "\n";
    return CompileStatus::BadInput;
  }
  std::optional<AdaptivePlan> adaptive;
  std::map<std::string, int> layerBits = options.quantizeLayerBits;
  if (options.quantize == "adaptive") {
    adaptive.emplace();
    timer.start("quantization_search");
    CompileStatus planned =
        planAdaptiveQuantization(options, evaluation, *adaptive);
    if (planned != CompileStatus::Success)
      return planned;
    timer.stop();
    layerBits = adaptive->layerBits();
  }
  // Static int8 takes its activation scales from calibration; it and the
  // low-bit modes take each layer's input means, for bias correction. A
  // model with dynamic input dims cannot run to be measured: static int8
  // refuses it (in calibration), the low-bit modes go uncorrected.
  LayerInputStatistics calibrated;
  bool dynamicInputs = llvm::any_of(signature.inputs, [](const auto &input) {
    return llvm::is_contained(input.shape, -1);
  });
  bool lowBit = llvm::is_contained({"int4", "int2", "w4a8", "w2a8"},
                                    options.quantize);
  if (options.quantize == "static-int8" || (lowBit && !dynamicInputs)) {
    timer.start("calibration");
    CompileStatus status =
        calibrateLayerInputs(options, evaluation, calibrated);
    if (status != CompileStatus::Success)
      return status;
    timer.stop();
  }

  // The output's parent may not exist yet; the output itself appears only
  // when complete.
  ::ds::support::StagingDirectory staging;
  llvm::StringRef parent = llvm::sys::path::parent_path(options.outputDir);
  if (!parent.empty())
    llvm::sys::fs::create_directories(parent);
  if (!staging.create(options.outputDir, error)) {
    llvm::errs() << "deepseek-convert: error: " << error << "\n";
    return CompileStatus::BadInput;
  }
  auto stagedPath = [&](StringRef file) {
    llvm::SmallString<256> p(staging.path());
    llvm::sys::path::append(p, file);
    return std::string(p);
  };

  TargetOptions targetOptions{options.cpu, options.features, options.gpu,
                              options.instrumentLayers};
  // What the target's int8 dot products take; ds-quantize quantizes
  // weights to it, and the lowering gives dot-product groups only to
  // products whose weights keep within it.
  int64_t int8WeightLimit = backend->int8WeightLimit(targetOptions);
  PassManager graphPM(&context);
  GraphPipelineOptions graphOptions;
  graphOptions.fusion = options.fusion;
  graphOptions.prune.sparsity = options.pruneSparsity;
  graphOptions.prune.structured = options.pruneStructured;
  graphOptions.prune.global = options.pruneGlobal;
  graphOptions.prune.exclude = options.pruneExclude;
  if (options.quantize != "none" || !layerBits.empty()) {
    graphOptions.quantize.mode =
        options.quantize == "adaptive" ? "none" : options.quantize;
    graphOptions.quantize.groupSize = options.groupSize;
    graphOptions.quantize.int8WeightLimit = int8WeightLimit;
    graphOptions.quantize.excludeNodes = options.quantizeExcludeNodes;
    graphOptions.quantize.excludeOps = options.quantizeExcludeOps;
    for (auto &[node, bits] : layerBits)
      graphOptions.quantize.layerBits.push_back(node + "=" +
                                                std::to_string(bits));
    for (auto &[node, range] : calibrated.ranges)
      graphOptions.quantize.activationRanges.push_back(
          llvm::formatv("{0}={1}:{2}", node, llvm::format("%.17g", range.first),
                        llvm::format("%.17g", range.second))
              .str());
    for (auto &[node, mean] : calibrated.means) {
      std::string entry = node + "=";
      for (auto [i, v] : llvm::enumerate(mean))
        entry += (i ? ":" : "") +
                 llvm::formatv("{0}", llvm::format("%.9g", v)).str();
      graphOptions.quantize.inputMeans.push_back(std::move(entry));
    }
  }
  graphOptions.exposeLayerInputs = options.exposeLayerInputs;
  buildGraphOptimizationPipeline(graphPM, graphOptions);
  // The element type the graph computes in (MLIR's name for it).
  std::string computeType = options.precision == "fp16"   ? "f16"
                            : options.precision == "bf16" ? "bf16"
                                                          : "";
  auto buildLowering = [&](PassManager &pm) {
    buildGraphToLinalgPipeline(pm, computeType,
                               backend->resolveGPU(targetOptions).empty(),
                               int8WeightLimit,
                               backend->registerTileColumns(targetOptions));
    backend->buildCodegenPipeline(pm, targetOptions);
  };
  if (!options.dumpIRAfter.empty()) {
    // A misspelt pass name is caught before anything runs.
    std::set<std::string> known = passNames(graphPM);
    PassManager lowering(&context);
    buildLowering(lowering);
    known.merge(passNames(lowering));
    for (const std::string &name : options.dumpIRAfter)
      if (name != "all" && !known.count(name)) {
        std::string list;
        for (const std::string &k : known)
          if (k != "builtin.module" && k != "func.func" && k != "gpu.module")
            list += (list.empty() ? "" : ", ") + k;
        llvm::errs() << "deepseek-convert: error: --dump-ir-after '" << name
                     << "' is not a pass of this compilation (its passes: "
                     << list << ")\n";
        return CompileStatus::BadInput;
      }
  }
  if (failed(enableIRDump(graphPM, options, "1-graph")))
    return CompileStatus::BadInput;
  timer.start("graph_passes");
  if (failed(graphPM.run(*module)))
    return CompileStatus::CompileFailure;
  timer.stop();
  if (options.exposeLayerInputs)
    signature = signatureOf(func);
  llvm::json::Object optimizedSummary = graphSummary(*module);
  // Fusions applied, by kind, as the passes counted them per function.
  std::map<std::string, int64_t> fusionCounts;
  module->walk([&](func::FuncOp func) {
    if (auto counts = func->getAttrOfType<DictionaryAttr>("ds.fusions"))
      for (NamedAttribute entry : counts)
        fusionCounts[entry.getName().str()] +=
            llvm::cast<IntegerAttr>(entry.getValue()).getInt();
    func->removeAttr("ds.fusions");
  });
  llvm::json::Object fusions;
  for (auto &[kind, count] : fusionCounts)
    fusions[kind] = count;
  // What pruning did, layer by layer, as the pass recorded it.
  llvm::json::Value pruning = nullptr;
  module->walk([&](func::FuncOp func) {
    if (auto record = func->getAttr("ds.pruning"))
      pruning = attributeToJson(record);
    func->removeAttr("ds.pruning");
  });
  // What quantization did, layer by layer.
  llvm::json::Value quantization = nullptr;
  module->walk([&](func::FuncOp func) {
    if (auto record = func->getAttr("ds.quantization"))
      quantization = attributeToJson(record);
    func->removeAttr("ds.quantization");
  });

  // What each node costs, for the layers ds-instrument-layers will time
  // (by then the graph ops are gone).
  if (options.instrumentLayers) {
    Builder b(&context);
    std::map<std::string, std::pair<int64_t, int64_t>> costs;
    module->walk([&](Operation *op) {
      std::string name = graph::nodeName(op);
      if (name.empty() || op->hasTrait<OpTrait::ConstantLike>())
        return;
      auto &[flops, weightBytes] = costs[name];
      flops += graph::estimateFlops(op);
      for (Value operand : op->getOperands())
        if (Operation *def = operand.getDefiningOp();
            def && def->hasTrait<OpTrait::ConstantLike>())
          weightBytes += staticTensorBytes(operand.getType());
    });
    NamedAttrList entries;
    for (auto &[name, cost] : costs)
      entries.append(name, b.getDenseI64ArrayAttr({cost.first, cost.second}));
    (*module)->setAttr("ds.node_costs", entries.getDictionary(&context));
  }

  std::string artifact;
  llvm::json::Value profileLayers = nullptr;
  // How the weights are stored in the artifact, when not plainly dense.
  llvm::json::Value weightStorage = nullptr;
  if (options.emit == "mlir") {
    artifact = "model.mlir";
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    if (!writeText(stagedPath(artifact), text))
      return CompileStatus::CompileFailure;
  } else {
    PassManager lowerPM(&context);
    buildLowering(lowerPM);
    if (failed(enableIRDump(lowerPM, options, "2-lowering")))
      return CompileStatus::BadInput;
    timer.start("lowering");
    if (failed(lowerPM.run(*module))) {
      llvm::errs() << "deepseek-convert: error: lowering " << options.inputPath
                   << " for " << backend->name() << " failed\n";
      return CompileStatus::CompileFailure;
    }
    timer.stop();
    if (auto storage = (*module)->getAttr("ds.weight_storage"))
      weightStorage = attributeToJson(storage);
    // What each timed layer is, for deepseek-profile.
    if (auto layers = (*module)->getAttr("ds.profile_layers")) {
      profileLayers = attributeToJson(layers);
      (*module)->removeAttr("ds.profile_layers");
    }

    timer.start("codegen");
    auto [kind, fileName] = kinds.at(options.emit);
    artifact = fileName;
    ArtifactRequest request;
    request.backend = backend;
    request.target = targetOptions;
    request.signature = signature;
    request.kind = kind;
    if (failed(emitArtifact(*module, request, stagedPath(artifact), error))) {
      llvm::errs() << "deepseek-convert: error: " << error << "\n";
      return CompileStatus::CompileFailure;
    }
    timer.stop();
    // GPU kernels also go beside the library, for inspection and ptxas.
    for (auto [name, text] : kernelAssembly(*module))
      if (!writeText(stagedPath(name), text))
        return CompileStatus::CompileFailure;
    if (!writeText(stagedPath("model.h"), generateModelHeader(signature)))
      return CompileStatus::CompileFailure;
  }

  // How far pruning and quantization moved the outputs: the artifact
  // against a float build of the same model without them, on the same
  // inputs. Adaptive quantization measured its final choice already.
  if (adaptive)
    if (auto *record = quantization.getAsObject())
      adaptive->annotate(*record, options.maxError, evaluation);
  if (!calibrated.inputs.empty())
    if (auto *record = quantization.getAsObject()) {
      llvm::json::Object calibration{{"inputs", calibrated.inputs}};
      if (options.quantize == "static-int8")
        calibration["method"] = options.calibrationMethod;
      if (options.quantize == "static-int8" &&
          options.calibrationMethod == "percentile")
        calibration["percentile"] = options.calibrationPercentile;
      (*record)["calibration"] = std::move(calibration);
    }
  ScratchBuilds references(options, evaluation);
  // The artifact's own outputs, run once for both records.
  std::optional<std::vector<float>> ours;
  std::string why;
  bool measuring = false;
  for (llvm::json::Value *recordValue : {&pruning, &quantization}) {
    auto *record = recordValue->getAsObject();
    if (!record || options.emit != "lib" || !options.measureSimilarity ||
        (adaptive && recordValue == &quantization))
      continue;
    if (!measuring)
      timer.start("similarity");
    measuring = true;
    std::optional<double> cosine;
    if (!ours && why.empty()) {
      // An x86-64 artifact for another CPU would load here and stop on the
      // first instruction this one lacks.
      if (backend->runsOnHost(targetOptions))
        ours = runOnInputs(stagedPath(artifact), evaluation, why);
      else
        why = "the artifact does not run on this machine (another "
              "architecture, or instructions its CPU lacks)";
    }
    if (ours) {
      CompileOptions reference = options;
      if (recordValue == &pruning) {
        reference.pruneSparsity = 0;
      } else {
        reference.quantize = "none";
        reference.quantizeLayerBits.clear();
      }
      ScratchBuilds::Result built;
      CompileStatus status = references.build(reference, /*run=*/true,
                                              "the output similarity", built);
      if (status != CompileStatus::Success)
        return status;
      cosine = cosineSimilarity(*ours, concatenate(built.runs));
    }
    if (cosine)
      (*record)["output_cosine_similarity"] = *cosine;
    else
      (*record)["output_cosine_similarity"] = nullptr;
    (*record)["similarity_inputs"] =
        cosine ? evaluation.describe() : "not measured: " + why;
  }
  if (measuring)
    timer.stop();

  TargetOptions resolved{options.cpu, options.features, options.gpu};
  llvm::json::Object report{
      {"producer", "deepseek-convert"},
      {"input", options.inputPath},
      {"target", backend->name()},
      {"cpu", backend->resolveCPU(resolved)},
      {"gpu", backend->resolveGPU(resolved).empty()
                  ? llvm::json::Value(nullptr)
                  : llvm::json::Value(backend->resolveGPU(resolved))},
      {"artifact", artifact},
      {"inputs", tensorsJson(signature.inputs)},
      {"outputs", tensorsJson(signature.outputs)},
      {"imported", std::move(importedSummary)},
      {"optimized", std::move(optimizedSummary)},
      {"fusion", options.fusion},
      {"precision", options.precision},
      {"fusions", std::move(fusions)},
      {"pruning", std::move(pruning)},
      {"quantization", std::move(quantization)},
      {"weight_storage", std::move(weightStorage)},
      {"options", codegenOptionsJson(options, layerBits)},
      {"profile_layers", std::move(profileLayers)},
      // The only field that differs between identical compilations.
      {"compile_ms", std::move(timer.timings)}};
  std::string reportText;
  llvm::raw_string_ostream reportStream(reportText);
  reportStream << llvm::formatv("{0:2}", llvm::json::Value(std::move(report)))
               << "\n";
  if (!writeText(stagedPath("report.json"), reportText))
    return CompileStatus::CompileFailure;
  if (!staging.commit(error)) {
    llvm::errs() << "deepseek-convert: error: " << error << "\n";
    return CompileStatus::CompileFailure;
  }
  if (!options.reportPath.empty() && !writeText(options.reportPath, reportText))
    return CompileStatus::CompileFailure;
  return CompileStatus::Success;
}
