//===- Artifact.h - LLVM dialect to object, library and header --*- C++ -*-===//
#ifndef DS_BACKENDS_COMMON_ARTIFACT_H
#define DS_BACKENDS_COMMON_ARTIFACT_H

#include "backends/Common/TargetBackend.h"
#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::ds {

/// One tensor of the compiled entry point, as the manifest records it.
struct TensorSignature {
  std::string name;
  int32_t onnxDtype = 0; // ONNX TensorProto.DataType
  std::vector<int64_t> shape; // -1 for a dynamic dim
  std::vector<std::string> dimNames; // a dynamic dim's symbol, else ""
  std::vector<int64_t> dimBounds; // a data-dependent dim's bound, else 0
  bool bounded() const {
    for (int64_t b : dimBounds)
      if (b)
        return true;
    return false;
  }
};

struct ModelSignature {
  std::vector<TensorSignature> inputs, outputs;
};

enum class EmitKind { LLVMIR, Assembly, Object, SharedLibrary };

struct ArtifactRequest {
  const TargetBackend *backend = nullptr;
  TargetOptions target;
  ModelSignature signature;
  /// The graph function (a memref per input, then per output, expanded as
  /// MLIR's default LLVM calling convention does) the entry point calls.
  std::string graphFunction = "main_graph";
  EmitKind kind = EmitKind::SharedLibrary;
};

/// Translates an LLVM-dialect module to LLVM IR, adds the ds_artifact_run entry
/// point and the manifest, optimizes at O3 for the target CPU, and writes
/// `outputPath` (linking a shared library with the system C compiler driver
/// when kind is SharedLibrary). Output bytes depend only on the inputs.
LogicalResult emitArtifact(ModuleOp module, const ArtifactRequest &request,
                           const std::string &outputPath, std::string &error);

/// The assembly text of each GPU kernel module left in `module` (PTX, from
/// gpu.binary objects), as file name (the module's name plus ".ptx") and
/// text.
std::vector<std::pair<std::string, std::string>>
kernelAssembly(ModuleOp module);

/// The C header that describes the artifact's entry point and tensors.
std::string generateModelHeader(const ModelSignature &signature);

/// ONNX dtype code of an MLIR element type (signless ints are signed), 0
/// when ONNX has none.
int32_t onnxDtypeOf(Type elementType);

} // namespace mlir::ds

#endif
