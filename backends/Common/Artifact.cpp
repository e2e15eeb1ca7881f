//===- Artifact.cpp - LLVM dialect to object, library and header ----------===//
#include "backends/Common/Artifact.h"

#include "backends/Common/LLVMCodegen.h"
#include "backends/Common/Manifest_generated.h"
#include "runtime-stub/include/ds_runtime.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"

using namespace mlir;
using namespace mlir::ds;

int32_t mlir::ds::onnxDtypeOf(Type t) {
  if (t.isF32()) return DS_FLOAT;
  if (t.isF64()) return DS_DOUBLE;
  if (t.isF16()) return DS_FLOAT16;
  if (t.isBF16()) return DS_BFLOAT16;
  if (t.isInteger(1)) return DS_BOOL;
  if (auto i = llvm::dyn_cast<IntegerType>(t)) {
    bool u = i.isUnsigned();
    switch (i.getWidth()) {
    case 8: return u ? DS_UINT8 : DS_INT8;
    case 16: return u ? DS_UINT16 : DS_INT16;
    case 32: return u ? DS_UINT32 : DS_INT32;
    case 64: return u ? DS_UINT64 : DS_INT64;
    default: return 0;
    }
  }
  return 0;
}

static std::vector<uint8_t> buildManifest(const ArtifactRequest &request) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.ForceDefaults(true);
  auto tensors = [&](const std::vector<TensorSignature> &list) {
    std::vector<flatbuffers::Offset<::ds::manifest::TensorInfo>> out;
    for (const TensorSignature &t : list)
      out.push_back(::ds::manifest::CreateTensorInfo(
          fbb, fbb.CreateString(t.name), t.onnxDtype, fbb.CreateVector(t.shape),
          fbb.CreateVectorOfStrings(t.dimNames),
          fbb.CreateVector(t.dimBounds)));
    return fbb.CreateVector(out);
  };
  auto inputs = tensors(request.signature.inputs);
  auto outputs = tensors(request.signature.outputs);
  auto model = ::ds::manifest::CreateModel(
      fbb, DS_ABI_VERSION, fbb.CreateString("deepseek-convert"),
      fbb.CreateString(request.backend->name().str()), inputs, outputs);
  ::ds::manifest::FinishModelBuffer(fbb, model);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

/// Adds `int ds_artifact_run(void *const *buffers, const int64_t *dims)`
/// calling the graph function, and the manifest symbols the runtime reads.
/// Each buffer becomes the memref descriptor fields the graph function
/// takes: allocated and aligned pointer, offset 0, sizes (static ones as
/// constants, dynamic ones read from `dims` in order), row-major strides.
static LogicalResult addEntryPoint(llvm::Module &module,
                                   const ArtifactRequest &request,
                                   std::string &error) {
  llvm::Function *graph = module.getFunction(request.graphFunction);
  if (!graph) {
    error = "lowered module has no function '" + request.graphFunction + "'";
    return failure();
  }
  std::vector<const TensorSignature *> tensors;
  size_t expectedArgs = 0;
  for (const auto *list : {&request.signature.inputs, &request.signature.outputs})
    for (const TensorSignature &t : *list) {
      tensors.push_back(&t);
      // A bounded output is a 1-D buffer of its capacity, and each of its
      // data-dependent sizes a rank-0 result.
      expectedArgs += t.bounded() ? 5 + 3 * llvm::count_if(t.dimBounds,
                                                           [](int64_t b) {
                                                             return b != 0;
                                                           })
                                  : 3 + 2 * t.shape.size();
    }
  if (graph->arg_size() != expectedArgs) {
    error = "graph function takes " + std::to_string(graph->arg_size()) +
            " arguments, the signature needs " + std::to_string(expectedArgs);
    return failure();
  }
  // Internal linkage lets LLVM inline the graph into the entry point.
  graph->setLinkage(llvm::GlobalValue::InternalLinkage);
  // Compressed weights (ds-compress-weights) are expanded once, when the
  // artifact is loaded.
  if (llvm::Function *init = module.getFunction("ds_init_weights")) {
    init->setLinkage(llvm::GlobalValue::InternalLinkage);
    llvm::appendToGlobalCtors(module, init, /*Priority=*/65535);
  }

  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *ptrTy = llvm::PointerType::get(ctx, 0);
  llvm::Type *i32Ty = llvm::Type::getInt32Ty(ctx);
  llvm::Type *i64Ty = llvm::Type::getInt64Ty(ctx);
  auto *entry = llvm::Function::Create(
      llvm::FunctionType::get(i32Ty, {ptrTy, ptrTy}, false),
      llvm::GlobalValue::ExternalLinkage, "ds_artifact_run", module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
  std::vector<llvm::Value *> args, sizeResults;
  size_t nextDim = 0;
  for (auto [i, t] : llvm::enumerate(tensors)) {
    llvm::Value *slot = b.CreateConstInBoundsGEP1_64(ptrTy, entry->getArg(0), i);
    llvm::Value *buffer = b.CreateLoad(ptrTy, slot);
    args.push_back(buffer);
    args.push_back(buffer);
    args.push_back(b.getInt64(0));
    if (t->bounded()) {
      // The graph writes the sizes it found into the dims slots, where
      // the caller put the bounds.
      int64_t capacity = 1;
      for (auto [size, bound] : llvm::zip(t->shape, t->dimBounds)) {
        capacity *= bound ? bound : size;
        if (size >= 0)
          continue;
        llvm::Value *at =
            b.CreateConstInBoundsGEP1_64(i64Ty, entry->getArg(1), nextDim++);
        if (bound)
          sizeResults.insert(sizeResults.end(), {at, at, b.getInt64(0)});
      }
      args.push_back(b.getInt64(capacity));
      args.push_back(b.getInt64(1));
      continue;
    }
    std::vector<llvm::Value *> sizes;
    for (int64_t size : t->shape) {
      if (size >= 0) {
        sizes.push_back(b.getInt64(size));
        continue;
      }
      llvm::Value *at =
          b.CreateConstInBoundsGEP1_64(i64Ty, entry->getArg(1), nextDim++);
      sizes.push_back(b.CreateLoad(i64Ty, at));
    }
    std::vector<llvm::Value *> strides(sizes.size());
    llvm::Value *stride = b.getInt64(1);
    for (size_t d = sizes.size(); d-- > 0;) {
      strides[d] = stride;
      stride = b.CreateMul(stride, sizes[d]);
    }
    args.insert(args.end(), sizes.begin(), sizes.end());
    args.insert(args.end(), strides.begin(), strides.end());
  }
  args.insert(args.end(), sizeResults.begin(), sizeResults.end());
  b.CreateCall(graph, args);
  b.CreateRet(llvm::ConstantInt::get(i32Ty, 0));

  std::vector<uint8_t> manifest = buildManifest(request);
  auto *data = llvm::ConstantDataArray::get(ctx, llvm::ArrayRef<uint8_t>(manifest));
  auto *manifestVar = new llvm::GlobalVariable(
      module, data->getType(), true, llvm::GlobalValue::ExternalLinkage, data,
      "ds_model_manifest");
  manifestVar->setAlignment(llvm::Align(8));
  new llvm::GlobalVariable(module, i64Ty, true,
                           llvm::GlobalValue::ExternalLinkage,
                           llvm::ConstantInt::get(i64Ty, manifest.size()),
                           "ds_model_manifest_size");
  return success();
}

static LogicalResult writeCodegen(llvm::Module &module, llvm::TargetMachine &tm,
                                  llvm::CodeGenFileType type,
                                  const std::string &path, std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write " + path + ": " + ec.message();
    return failure();
  }
  if (!emitMachineCode(module, tm, type, os, error))
    return failure();
  os.flush();
  if (os.has_error()) {
    error = "error writing " + path;
    return failure();
  }
  return success();
}

/// Links one object into a shared library with the first of `drivers` (C
/// compiler drivers for the target) found, which knows where the target's
/// C library and linker are.
static LogicalResult linkSharedLibrary(const std::string &object,
                                       const std::string &output,
                                       const std::vector<std::string> &drivers,
                                       std::string &error) {
  std::string driver, names;
  for (const std::string &name : drivers) {
    names += (names.empty() ? "" : ", ") + name;
    if (auto path = llvm::sys::findProgramByName(name)) {
      driver = *path;
      break;
    }
  }
  if (driver.empty()) {
    error = "no C compiler driver (" + names +
            ") found to link the shared library; install one or use "
            "--emit obj";
    return failure();
  }
  llvm::SmallVector<llvm::StringRef> args = {
      driver, "-shared", "-nostartfiles", "-Wl,--build-id=none",
      "-Wl,-z,noexecstack", "-o", output, object, "-lm"};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(driver, args, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0) {
    error = "linking " + output + " with " + driver + " failed" +
            (message.empty() ? "" : ": " + message);
    return failure();
  }
  return success();
}

LogicalResult mlir::ds::emitArtifact(ModuleOp module,
                                     const ArtifactRequest &request,
                                     const std::string &outputPath,
                                     std::string &error) {
  // Anything but the LLVM dialect here is a lowering gap; name it rather
  // than letting the translation fail with a generic message.
  // GPU backends leave their kernels' binaries and launches to the
  // translation, which embeds the one and calls the runtime for the other.
  Operation *leftover = nullptr;
  module.walk([&](Operation *op) {
    if (!leftover && op != module.getOperation() &&
        op->getDialect()->getNamespace() != "llvm" &&
        !isa<gpu::BinaryOp, gpu::LaunchFuncOp>(op))
      leftover = op;
  });
  if (leftover) {
    error = "lowering left '" + leftover->getName().getStringRef().str() +
            "' unconverted";
    return failure();
  }
  DialectRegistry translations;
  registerBuiltinDialectTranslation(translations);
  registerLLVMDialectTranslation(translations);
  registerGPUDialectTranslation(translations);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(translations);
  NVVM::registerNVVMTargetInterfaceExternalModels(translations);
  module.getContext()->appendDialectRegistry(translations);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "deepseek_model");
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return failure();
  }
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(
      request.backend->triple(), request.backend->resolveCPU(request.target),
      request.backend->resolveFeatures(request.target), error);
  if (!tm)
    return failure();
  llvmModule->setDataLayout(tm->createDataLayout());
  llvmModule->setTargetTriple(tm->getTargetTriple().str());
  if (failed(addEntryPoint(*llvmModule, request, error)))
    return failure();
  std::string verifyMessage;
  llvm::raw_string_ostream verifyStream(verifyMessage);
  if (llvm::verifyModule(*llvmModule, &verifyStream)) {
    error = "generated LLVM IR is invalid: " + verifyMessage;
    return failure();
  }
  optimizeModule(*llvmModule, *tm);

  switch (request.kind) {
  case EmitKind::LLVMIR: {
    std::error_code ec;
    llvm::raw_fd_ostream os(outputPath, ec, llvm::sys::fs::OF_Text);
    if (ec) {
      error = "cannot write " + outputPath + ": " + ec.message();
      return failure();
    }
    llvmModule->print(os, nullptr);
    return success();
  }
  case EmitKind::Assembly:
    return writeCodegen(*llvmModule, *tm, llvm::CodeGenFileType::AssemblyFile,
                        outputPath, error);
  case EmitKind::Object:
    return writeCodegen(*llvmModule, *tm, llvm::CodeGenFileType::ObjectFile,
                        outputPath, error);
  case EmitKind::SharedLibrary: {
    std::string object = outputPath + ".o";
    if (failed(writeCodegen(*llvmModule, *tm,
                            llvm::CodeGenFileType::ObjectFile, object, error)))
      return failure();
    LogicalResult linked = linkSharedLibrary(
        object, outputPath, request.backend->linkerDrivers(), error);
    llvm::sys::fs::remove(object);
    return linked;
  }
  }
  return failure();
}

std::vector<std::pair<std::string, std::string>>
mlir::ds::kernelAssembly(ModuleOp module) {
  std::vector<std::pair<std::string, std::string>> files;
  for (auto binary : module.getOps<gpu::BinaryOp>())
    for (Attribute attr : binary.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attr);
      // Assembly is embedded NUL-terminated for the driver.
      if (object.getFormat() == gpu::CompilationTarget::Assembly)
        files.push_back({binary.getName().str() + ".ptx",
                         object.getObject().getValue().rtrim('\0').str()});
    }
  return files;
}

static std::string cTypeOf(int32_t dtype) {
  switch (dtype) {
  case DS_FLOAT: return "float";
  case DS_DOUBLE: return "double";
  case DS_INT8: return "int8_t";
  case DS_UINT8: return "uint8_t";
  case DS_INT16: return "int16_t";
  case DS_UINT16: return "uint16_t";
  case DS_INT32: return "int32_t";
  case DS_UINT32: return "uint32_t";
  case DS_INT64: return "int64_t";
  case DS_UINT64: return "uint64_t";
  case DS_BOOL: return "bool";
  default: return "uint16_t"; // float16 / bfloat16 bit patterns
  }
}

std::string mlir::ds::generateModelHeader(const ModelSignature &signature) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "/* Generated by deepseek-convert. Do not edit. */\n"
     << "#ifndef DEEPSEEK_MODEL_H\n#define DEEPSEEK_MODEL_H\n\n"
     << "#include <stdbool.h>\n#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* Runs the model. `buffers` holds the inputs, then the outputs, as\n"
     << " * dense row-major arrays in the order below; `dims` the size of\n"
     << " * each dynamic dimension (named below), in that order, or NULL\n"
     << " * when there are none. Returns 0. */\n"
     << "int ds_artifact_run(void *const *buffers, const int64_t *dims);\n\n";
  auto describe = [&](const char *kind, size_t index, const TensorSignature &t) {
    int64_t count = 1;
    os << "/* " << kind << " " << index << ": '" << t.name << "' "
       << cTypeOf(t.onnxDtype) << "[";
    for (size_t i = 0; i < t.shape.size(); ++i) {
      os << (i ? "][" : "");
      if (t.shape[i] < 0 && t.dimBounds[i])
        os << t.dimNames[i] << " <= " << t.dimBounds[i];
      else if (t.shape[i] < 0)
        os << t.dimNames[i];
      else
        os << t.shape[i];
      count = t.shape[i] < 0 || count < 0 ? -1 : count * t.shape[i];
    }
    os << "] */\n";
    if (count >= 0)
      os << "#define DS_" << kind << "_" << index << "_NUM_ELEMENTS " << count
         << "\n";
  };
  for (size_t i = 0; i < signature.inputs.size(); ++i)
    describe("INPUT", i, signature.inputs[i]);
  for (size_t i = 0; i < signature.outputs.size(); ++i)
    describe("OUTPUT", i, signature.outputs[i]);
  os << "#define DS_NUM_INPUTS " << signature.inputs.size() << "\n"
     << "#define DS_NUM_OUTPUTS " << signature.outputs.size() << "\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* DEEPSEEK_MODEL_H */\n";
  return s;
}
