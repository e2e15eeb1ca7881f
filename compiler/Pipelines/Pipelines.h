//===- Pipelines.h - target-independent pass pipelines ----------*- C++ -*-===//
//
// The stages every compilation runs before a backend takes over: graph
// cleanup on dsg, then the lowering to linalg on tensors.
//
//===----------------------------------------------------------------------===//
#ifndef DS_COMPILER_PIPELINES_PIPELINES_H
#define DS_COMPILER_PIPELINES_PIPELINES_H

#include <string>
#include <vector>

namespace mlir {
class OpPassManager;
namespace ds {

struct GraphPipelineOptions {
  // CSE beyond canonicalization.
  bool optimize = true;
  // Operator fusion: GELU/LayerNorm recomposition, BatchNorm folding,
  // MatMul bias and activation epilogues (--no-fusion turns it off).
  bool fusion = true;
  // Weight pruning, after fusion (BatchNorm already folded into weights);
  // off while sparsity is 0.
  struct {
    double sparsity = 0.0;
    bool structured = false; // L1-norm channel removal, else magnitudes
    bool global = false;     // one magnitude threshold over all layers
    std::vector<std::string> exclude;
  } prune;
  // Weight quantization, last (after BatchNorm folding and pruning, so the
  // weights it quantizes are final); off while mode is empty.
  struct {
    std::string mode; // int8, int4, int2, or none (only layerBits)
    int64_t groupSize = 128;
    int64_t int8WeightLimit = 127; // the target's (TargetBackend)
    std::vector<std::string> excludeNodes, excludeOps;
    std::vector<std::string> layerBits;        // NODE=BITS
    std::vector<std::string> activationRanges; // NODE=MIN:MAX
    std::vector<std::string> inputMeans;       // NODE=V0:V1:...
  } quantize;
  // Return every MatMul/Gemm input as an extra result (calibration builds).
  bool exposeLayerInputs = false;
};

/// dsg -> dsg: folding, fusion, dead-node removal, common subexpressions.
void buildGraphOptimizationPipeline(OpPassManager &pm,
                                    const GraphPipelineOptions &options);

/// dsg -> linalg/tensor/arith/math on tensors, elementwise producers fused
/// into their consumers. With `precision` "f16" or "bf16", the graph
/// computes in that type (ds-lower-precision); "" or "f32" keeps float32.
/// `cpuKernels` false (for a GPU) keeps to ops that each become a kernel
/// and computes convolutions directly, as does a reduced `precision` (no
/// Winograd).
/// `int8DotLimit`: the target's int8 weight limit, `registerTileColumns`
/// its register tile's width (both TargetBackend).
void buildGraphToLinalgPipeline(OpPassManager &pm,
                                const std::string &precision = "",
                                bool cpuKernels = true,
                                int64_t int8DotLimit = 127,
                                int64_t registerTileColumns = 64);

/// Registers the pipelines above with the pass registry, for deepseek-opt.
void registerPipelines();

} // namespace ds
} // namespace mlir

#endif
