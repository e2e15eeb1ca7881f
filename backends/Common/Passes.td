//===- Passes.td - passes shared by the CPU backends ----------*- tablegen -*-===//
#ifndef DS_BACKENDS_COMMON_PASSES
#define DS_BACKENDS_COMMON_PASSES

include "mlir/Pass/PassBase.td"

def CopyAliasedResultsPass : Pass<"ds-copy-aliased-results", "func::FuncOp"> {
  let summary = "Give every returned tensor its own buffer";
  let description = [{
    The artifact ABI passes one caller-owned buffer per output. A function
    that returns an argument (ONNX Identity, or an op folded away) or the
    same value twice gets an explicit copy into a fresh tensor, so that
    bufferization turns each result into a distinct output parameter. Runs
    right before bufferization, after the last canonicalization.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def WriteResultsInPlacePass
    : Pass<"ds-write-results-in-place", "func::FuncOp"> {
  let summary = "Compute a result reached through reshapes in its output "
                "buffer instead of copying it there";
  let description = [{
    After buffer-results-to-out-params, a result that is a reshape of a
    static allocation (a convolution's [N, 1, F, H * W] product returned
    as [N, F, H, W]) is copied into its output parameter at the end; its
    static allocation is not hoisted, the reshape being in the way. Where
    that copy is the allocation's last use and the output parameter's only
    one, the allocation becomes the output parameter itself, reshaped back
    to the allocation's shape, and the copy folds away (1x1 convolution
    16 -> 96 channels at 112 x 112 as a model's output: a quarter of its
    time was that copy). CPU pipelines only: the GPU's keeps its output
    copies, which ds-gpu-device-buffers places.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def PackBoundedResultsPass : Pass<"ds-pack-bounded-results", "ModuleOp"> {
  let summary = "Return data-dependent results packed into their bound";
  let description = [{
    A result whose size is known only after the run (NonZero's count) is
    marked `ds.bounds` by the importer. Each becomes a static 1-D tensor of
    the bound's capacity holding the elements densely from the start, plus
    one extra `tensor<i64>` result per bounded dim giving its size: the
    caller allocates the capacity, and the entry point points the size
    results at its dims array. Runs before bufferization.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def CompressWeightsPass : Pass<"ds-compress-weights", "ModuleOp"> {
  let summary = "Store mostly-zero weights as a bitmap and their non-zeros";
  let description = [{
    A constant f32 global of at least `min-elements` elements whose zeros
    make it worth it (magnitude-pruned weights, say) is stored as a bitmap
    of the non-zero positions (one bit per element) and the packed non-zero
    values; the dense global becomes zero-initialized storage (no bytes in
    the artifact file), filled once by `ds_init_weights`, which the artifact
    runs as a load-time constructor. This pays when the bitmap and the
    non-zeros take under 90% of the dense bytes, that is from about 13%
    zeros up. Kernels still read dense weights: the file shrinks, not the
    memory or the FLOPs. The module's `ds.weight_storage` records what was
    done.
  }];
  let options = [
    Option<"minElements", "min-elements", "int64_t", "4096",
           "Smaller globals stay dense">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
}

def ApproximateMathPass : Pass<"ds-approximate-math"> {
  let summary = "Inline polynomial f32 exp, erf and tanh";
  let description = [{
    math.exp, math.erf and math.tanh on f32 (scalars or vectors) become
    MLIR's polynomial approximations: plain arithmetic the loop vectorizer
    can widen, where the libm calls they would otherwise lower to run one
    element at a time. Softmax, sigmoid and GELU are built on them. Other
    functions keep libm's accuracy.

    With `all-functions`, every f32 function that has an approximation or
    an expansion into others is inlined too (log, sin, cos, pow, atan, ...),
    and so are exp and log on f64 (to within an ulp or two, subnormals,
    infinities and NaN included; pow on f64 goes through them): GPU kernels
    have no libm, and linking NVIDIA's libdevice would make the build
    depend on a CUDA installation.
  }];
  let options = [
    Option<"allFunctions", "all-functions", "bool", "false",
           "Inline every function with an f32 approximation or expansion">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def VectorizeContractionsPass
    : Pass<"ds-vectorize-contractions", "func::FuncOp"> {
  let summary = "Tile matmul-like linalg ops for caches and registers and "
                "vectorize the register tiles";
  let description = [{
    Every linalg op that is a contraction (one mul-add body, projected
    permutation maps: MatMul, Gemm, batched matmul, convolutions lowered
    through im2col), or a windowed one (a stride-1 convolution whose input
    map reads `q + i * W + j`: a contraction at each tap (i, j), blocked
    like one, the tap loops inside each register tile around the
    reduction; an outer reduction loop over blocks of its channels is
    tiled by 1 at the cache level, never split among threads, and dropped
    from the register tile), is tiled twice with scf.for on tensors: cache tiles of
    `mc` x `nc` x `kc` (loops n, k, m from the outside, so a `kc` x `nc`
    panel of the right-hand side stays in L2 while the left-hand side
    streams past it), then register tiles of `mr` x `nr` x 1 with the
    reduction innermost. Each register tile is vectorized and its
    accumulator read/write is hoisted out of the reduction loop, so the
    inner loop is `mr` broadcasts, `nr`/lanes loads and `mr`*`nr`/lanes
    FMAs on registers (with fewer than `mr` rows the tile is widened
    instead; when the columns divide evenly into 2*`nr`, 3/4 of the rows
    by 2*`nr` columns, which loads less per FMA; the rows per tile drop by
    up to two where `mr` would leave a remainder tile of too few
    accumulators). Edges are peeled: static remainders get smaller static
    tiles (row remainders split into power-of-two widths), dynamic ones are
    tiled by 1. Thread and cache tiles over m and n, and cache tiles over k,
    are chosen to divide their loop evenly where a divisor near the wanted size exists (784 columns:
    7 x 112), so no tile has a dynamic shape. Batch dims and the extra m/n/k dims of a multi-dim contraction
    are tiled by 1. Above the cache tiles, one scf.forall over a batch dim,
    n or m splits the work among threads (see ds-outline-parallel-loops);
    a contraction's elementwise consumer (its activation epilogue) and its
    accumulator's initialization are fused into that loop, so they run on
    each output tile while it is in cache, and so is an all-parallel op
    that gathers an input of which each task reads its own slice (a
    strided convolution's columns, kept in output rows), so that each
    task gathers only what it reads. Iterations of a batch dim too small
    to be a task each go several to a task. Where no cache tile splits the
    reduction, the initialization moves further in, to each strip of `nr`
    columns of a cache tile, and, where the register rows divide the
    strip evenly, into each register tile, vectorized with it: the
    accumulators then start from the bias in registers, with no pass that
    stores it and no load of it back. There, too, an elementwise epilogue
    that reads only the product is applied to each register tile's
    accumulators before they are stored, and the product is computed into
    the epilogue's output. Large ops whose loops are all
    parallel get a forall of their own, and an input of theirs that is a
    view of a tensor.pad is padded per thread tile (see padPerThreadTile).
  }];
  let options = [
    Option<"mr", "mr", "int64_t", "8", "Register tile rows">,
    Option<"nr", "nr", "int64_t", "32", "Register tile columns">,
    Option<"wideTiles", "wide-tiles", "bool", "true",
           "When the columns divide into twice nr, take 3/4 of mr rows by "
           "2 nr columns (fewer loads per FMA; needs 3/2 the accumulator "
           "registers, which AVX2's 16 do not have)">,
    Option<"mc", "mc", "int64_t", "64", "Cache tile rows">,
    Option<"nc", "nc", "int64_t", "256", "Cache tile columns">,
    Option<"kc", "kc", "int64_t", "256", "Cache tile depth">,
    Option<"vnni", "vnni", "bool", "false",
           "Lower int8 contractions in dot-product groups to AVX-512 VNNI "
           "vpdpbusd (the target CPU has avx512vnni)">,
    Option<"sdot", "sdot", "bool", "false",
           "Lower int8 contractions in dot-product groups to AArch64 sdot "
           "(the target CPU has dotprod)">,
    Option<"pairDots", "pair-dots", "std::string", "\"\"",
           "Without vnni: lower int8 contractions in dot-product groups to "
           "x86 vpmaddubsw + vpmaddwd, on avx2 (ymm) or avx512bw (zmm); "
           "their weights must stay within 63 (int8-weight-limit)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::LLVM::LLVMDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def FillPadBordersPass : Pass<"ds-fill-pad-borders", "func::FuncOp"> {
  let summary = "Build a padded tensor from its data and its borders only";
  let description = [{
    Rewrites each tensor.pad of static shape and constant padding value as
    the source inserted into an empty tensor, then, per padded dimension,
    the slabs of padding filled in place: below and above the data in that
    dimension, within the data's range in the dimensions before it. After
    bufferization that is one copy and writes of the borders, where
    tensor.pad's own bufferization fills the whole buffer first and writes
    the data over it (MobileNetV2's 96 x 114 x 114 stride-2 window: a
    fifth of the layer's time went to that fill). Runs just before
    bufferization.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def PlanBuffersPass : Pass<"ds-plan-buffers", "func::FuncOp"> {
  let summary = "Pack a function's intermediate buffers into one arena by "
                "lifetime";
  let description = [{
    Each static buffer allocated in the function's body and freed once
    there (after ownership-based deallocation, at the body's end) gets a
    lifetime: the first to the last op of the body that uses it or a view
    of it. The buffers become memref.view ops into one allocation, at
    offsets where no two buffers live at the same time overlap (largest
    first, each at the lowest such offset). A layer then writes where a
    dead layer's result lived, while that memory is still in cache, and a
    run needs the peak of its live buffers rather than their sum. Buffers
    that a view may carry out of those ops (returned, yielded, behind a
    result that is not a view) keep their own allocation. Runs after
    deallocation has been lowered to memref.dealloc.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def VectorizeElementwisePass
    : Pass<"ds-vectorize-elementwise", "func::FuncOp"> {
  let summary = "Vectorize the parallel linalg ops left on buffers "
                "(elementwise ops, copies, fills)";
  let description = [{
    Runs after bufferization. Every linalg op on buffers whose loops are all
    parallel, whose innermost loop is the innermost, unit-stride dim of
    each operand that uses it (other operands are broadcast along it), and
    whose element types are whole bytes, is tiled by 1 over its outer loops
    and by 64 over the innermost one, peeled into full tiles and one
    remainder, and each static tile is vectorized (a remainder of dynamic
    size stays scalar). LLVM's loop vectorizer would leave such loops
    scalar when rows are short (a 14-element row) or when many buffers need
    run-time alias checks. An input may also be read with an innermost
    stride of up to 4 (the windows of stride-2 pooling and depthwise
    convolutions): its vectors are loaded contiguously, masked at the last
    element they use, and shuffled. Ops that do not qualify (transposes,
    gathers, i1) keep their scalar loops. First, every op whose loops are
    all parallel, of 32K elements or more and not already in a
    thread-level loop (fills, copies and transposes made by bufferization)
    is split among threads with an scf.forall. A reduction whose lowering
    marked it `ds.vectorize_innermost` (the weight-only product: its body
    unpacks codes, so it is no contraction for ds-vectorize-contractions)
    is vectorized the same way along its innermost, parallel loop, with 4
    rows of its first loop per tile when that loop is static, so that what
    the body computes from the weights alone serves 4 rows; from 1024
    columns on, its columns are split into thread-pool tasks of 512 (an
    scf.forall).
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def OutlineParallelLoopsPass
    : Pass<"ds-outline-parallel-loops", "ModuleOp"> {
  let summary = "Outline each scf.forall on buffers into a function over a "
                "range of its iterations";
  let description = [{
    The thread-level tile loops made by ds-vectorize-contractions are
    scf.forall ops. After bufferization each one becomes a private
    function `@<parent>__ds_parallel_<i>(%lo: index, %hi: index,
    captures...)` running iterations [lo, hi) in order, and the loop
    becomes a call over the whole range carrying the `ds.parallel_for`
    attribute. ds-dispatch-parallel-calls later hands that range to the
    runtime's thread pool. Loops nested in an outlined body are outlined
    too; the runtime runs such nested calls on the calling thread.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def DispatchParallelCallsPass
    : Pass<"ds-dispatch-parallel-calls", "ModuleOp"> {
  let summary = "Turn calls of outlined parallel bodies into "
                "ds_parallel_for calls into the runtime";
  let description = [{
    Runs on the LLVM dialect, after the function signatures are final. Each
    call of a function outlined by ds-outline-parallel-loops becomes: the
    captured arguments stored into a stack struct, and
    `ds_parallel_for(lo, hi, @<body>__task, &struct)`, where the generated
    `__task(lo, hi, ctx)` trampoline loads the captures back and calls the
    body. The runtime splits [lo, hi) into one contiguous chunk per thread.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def InstrumentLayersPass : Pass<"ds-instrument-layers", "ModuleOp"> {
  let summary = "Time every layer: a runtime call at each layer boundary";
  let description = [{
    For deepseek-profile's builds; runs on tensors after the contractions
    got their loop nests (and the elementwise consumers fused into them),
    just before bufferization, so that a layer is what the generated code
    computes as one piece: a MatMul with its fused residual Add is one
    layer, named after both nodes. Consecutive top-level ops that come
    from the same ONNX nodes (the NameLocs in and under them) form one
    layer; constants, tensor.empty and reshapes are no work of their own.
    Before each layer a call `ds_profile_mark(i32 layer)` is inserted, and
    one more, numbered after the last layer, before the return: the
    runtime records a timestamp per call, so layer i runs from mark i to
    mark i+1. What each layer is goes to the module's `ds.profile_layers`
    attribute: its nodes, the op moving the most data, the FLOPs and
    weight bytes of its nodes (taken from the module's `ds.node_costs`,
    which the driver measures on the graph before lowering; a node split
    over several layers counts in the first), and the bytes of the other
    tensors its ops read and write.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif
