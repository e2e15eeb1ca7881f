//===- ImportFuzzer.cpp - libFuzzer target for the ONNX importer ----------===//
//
// Each input is written as model.onnx into a private directory and imported
// exactly as deepseek-convert imports a file (parse, checks, external data
// resolved inside that directory, dsg construction), then the module is
// verified; `deepseek-convert inspect`'s summary is taken of it too. Rejections
// are expected; crashes, sanitizer reports, hangs and a module that fails
// verification after a successful import are bugs.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ModelInspector.h"
#include "compiler/Import/ONNX/ONNXImporter.h"
#include "dialects/Graph/IR/GraphOps.h"
#include "dialects/Quant/IR/QuantOps.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

/// A directory of this process's own, so parallel fuzzing jobs (-jobs=N)
/// do not read each other's files.
const std::string &workDirectory() {
  static const std::string dir = [] {
    std::string templ = "/tmp/ds-fuzz-import-XXXXXX";
    if (!mkdtemp(templ.data())) {
      std::perror("ds-fuzz-import: mkdtemp");
      std::abort();
    }
    return templ;
  }();
  return dir;
}

const mlir::DialectRegistry &registry() {
  static const mlir::DialectRegistry instance = [] {
    mlir::DialectRegistry r;
    mlir::registerAllDialects(r);
    r.insert<mlir::ds::graph::GraphDialect, mlir::ds::quant::QuantDialect>();
    return r;
  }();
  return instance;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = workDirectory() + "/model.onnx";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data), (std::streamsize)size);
  }
  // A fresh context per input: one shared across inputs would keep every
  // attribute and type ever uniqued and grow without bound.
  mlir::MLIRContext context(registry());
  context.disableMultithreading();
  mlir::ScopedDiagnosticHandler quiet(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });
  mlir::ds::ImportOptions options;
  // Keeps a hostile size field from asking for more memory than libFuzzer's
  // RSS limit allows; deepseek-convert users set this with --max-model-bytes.
  options.maxModelBytes = 64 << 20;
  auto module = mlir::ds::importONNXModel(context, path, options);
  if (mlir::succeeded(module) && mlir::failed(mlir::verify(**module))) {
    std::fprintf(stderr, "ds-fuzz-import: the importer accepted the model "
                         "but built a module that does not verify\n");
    std::abort();
  }
  mlir::ds::ModelSummary summary;
  std::string error;
  (void)mlir::ds::inspectONNXModel(path, summary, error);
  return 0;
}
