//===- Passes.td - passes of the CUDA backend -----------------*- tablegen -*-===//
#ifndef DS_BACKENDS_CUDA_PASSES
#define DS_BACKENDS_CUDA_PASSES

include "mlir/Pass/PassBase.td"

def GPUDeviceBuffersPass : Pass<"ds-gpu-device-buffers", "ModuleOp"> {
  let summary = "Keep every tensor of a graph function in GPU memory";
  let description = [{
    Runs on bufferized graph functions, before their loops become kernels.
    Every buffer the kernels touch must live in device memory:

    - each memref argument (the caller's host buffers) gets a device copy,
      filled at entry when the function reads it and copied back before
      each return when it writes it;
    - each constant global is read from a copy the runtime keeps on the GPU
      (`ds_gpu_resident_<type>`, called with the host global as an unranked
      memref): uploaded at its first use, kept until the model is freed, so
      runs do not copy weights;
    - memref.alloc and memref.alloca become gpu.alloc, freed right after
      the last use of the buffer or of a view of it in its block (a buffer
      that escapes its block is freed at the function's exit if it was
      allocated there, and otherwise left to the allocator's pool).

    The copies and frees are synchronous gpu ops; gpu-async-region then
    orders them on one stream.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def GPUDistributePass : Pass<"ds-gpu-distribute", "func::FuncOp"> {
  let summary = "Turn every linalg op into a grid of thread blocks";
  let description = [{
    Each linalg op on buffers becomes loops (scf.parallel over its parallel
    dimensions, scf.for over its reductions, so that each thread reduces
    its own outputs). The parallel dimensions are collapsed into one and
    tiled by `block-size`: the tile loop is mapped to blocks, the loop in
    the tile to threads, so that consecutive threads touch consecutive
    elements of the innermost dimension. An op with no parallel dimension
    (a full reduction, a scalar) runs as one thread. Memory accesses left
    in host code afterwards are errors that name the op: the host never
    reads device buffers.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "256",
           "Threads per block">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def GPUMergeModulesPass : Pass<"ds-gpu-merge-modules", "ModuleOp"> {
  let summary = "Put every outlined kernel into one gpu.module";
  let description = [{
    Kernel outlining gives each kernel its own gpu.module. One module makes
    one PTX file per model and one module load at run time.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GPUSerializeToPTXPass : Pass<"ds-gpu-serialize-ptx", "ModuleOp"> {
  let summary = "Compile each NVVM gpu.module to PTX with LLVM's NVPTX target";
  let description = [{
    Each gpu.module, already in the NVVM and LLVM dialects, is translated
    to LLVM IR, optimized at O3 and compiled by LLVM's NVPTX backend for
    `chip`. The module is replaced by a gpu.binary holding the PTX text,
    which the host code loads through the CUDA driver at run time (JIT
    compiled by the driver for the GPU present). Calls to functions with no
    definition (libdevice's __nv_*) and math intrinsics NVPTX cannot
    select are reported as errors naming the kernel.
  }];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_80\"",
           "GPU architecture (sm_75, sm_80, sm_86, sm_89, sm_90)">,
    Option<"features", "features", "std::string", "\"\"",
           "NVPTX subtarget features (+ptx80 style); empty picks the "
           "lowest PTX version the chip needs">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::NVVM::NVVMDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

#endif
