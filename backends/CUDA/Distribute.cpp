//===- Distribute.cpp - linalg ops as grids of thread blocks --------------===//
#include "backends/CUDA/Passes.h"

#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <numeric>

namespace mlir::ds {
#define GEN_PASS_DEF_GPUDISTRIBUTEPASS
#include "backends/CUDA/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {

bool insideKernelLoop(Operation *op) {
  return op->getParentOfType<scf::ParallelOp>() != nullptr;
}

/// Lowers `op` to loops: scf.parallel over its parallel dims, scf.for over
/// its reductions. An op without parallel dims is first wrapped in a
/// one-iteration scf.parallel so that it, too, becomes a kernel.
LogicalResult lowerToLoops(IRRewriter &rewriter, linalg::LinalgOp op) {
  rewriter.setInsertionPoint(op);
  if (op.getNumParallelLoops() == 0) {
    Location loc = op.getLoc();
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
    auto single = rewriter.create<scf::ParallelOp>(
        loc, ValueRange{zero}, ValueRange{one}, ValueRange{one});
    rewriter.setInsertionPointToStart(single.getBody());
    Operation *inside = rewriter.clone(*op);
    rewriter.eraseOp(op);
    op = cast<linalg::LinalgOp>(inside);
  }
  if (failed(linalg::linalgOpToParallelLoops(rewriter, op)))
    return op->emitError("cannot lower '")
           << op->getName() << "' to loops for the cuda target";
  rewriter.eraseOp(op);
  return success();
}

/// The kernel (outermost scf.parallel) around `op`, if any.
scf::ParallelOp kernelAround(Operation *op) {
  auto kernel = op->getParentOfType<scf::ParallelOp>();
  while (kernel && kernel->getParentOfType<scf::ParallelOp>())
    kernel = kernel->getParentOfType<scf::ParallelOp>();
  return kernel;
}

/// A scalar read on the host whose value only kernels use, directly or
/// through pure host arithmetic (Clip's bounds, Trilu's diagonal, taken
/// from their tensors by tensor.extract), is read and computed in each
/// kernel instead: the host never reads device buffers.
void sinkScalarLoadsIntoKernels(func::FuncOp func) {
  SmallVector<memref::LoadOp> loads;
  func.walk([&](memref::LoadOp load) {
    if (!insideKernelLoop(load))
      loads.push_back(load);
  });
  for (memref::LoadOp load : loads) {
    // The load and the host ops computed from it, in program order.
    SmallVector<Operation *> slice = {load};
    SmallVector<scf::ParallelOp> kernels;
    bool sinkable = true;
    for (size_t i = 0; i < slice.size() && sinkable; ++i)
      for (Operation *user : slice[i]->getUsers()) {
        if (scf::ParallelOp kernel = kernelAround(user)) {
          if (!llvm::is_contained(kernels, kernel))
            kernels.push_back(kernel);
          continue;
        }
        if (user->getBlock() != load->getBlock() || !isPure(user) ||
            user->getNumRegions() != 0) {
          sinkable = false;
          break;
        }
        if (!llvm::is_contained(slice, user))
          slice.push_back(user);
      }
    if (!sinkable || kernels.empty())
      continue;
    llvm::sort(slice, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    for (scf::ParallelOp kernel : kernels) {
      OpBuilder b = OpBuilder::atBlockBegin(kernel.getBody());
      IRMapping mapping;
      for (Operation *op : slice) {
        Operation *copy = b.clone(*op, mapping);
        for (auto [from, to] : llvm::zip(op->getResults(), copy->getResults()))
          from.replaceUsesWithIf(to, [&](OpOperand &use) {
            return kernel->isProperAncestor(use.getOwner());
          });
      }
    }
    for (Operation *op : llvm::reverse(slice))
      op->erase();
  }
}

/// Collapses the dims of a top-level scf.parallel into one.
LogicalResult collapse(IRRewriter &rewriter, scf::ParallelOp loop) {
  if (loop.getNumLoops() == 1)
    return success();
  std::vector<unsigned> all(loop.getNumLoops());
  std::iota(all.begin(), all.end(), 0u);
  rewriter.setInsertionPoint(loop);
  collapseParallelLoops(rewriter, loop, {all});
  return success();
}

/// Rewrites a result-less scf.parallel as a nest of scf.for.
LogicalResult toSequentialLoops(IRRewriter &rewriter, scf::ParallelOp loop) {
  if (loop.getNumResults() != 0)
    return failure();
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> ivs;
  for (auto [lb, ub, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    auto sequential = rewriter.create<scf::ForOp>(loop.getLoc(), lb, ub, step);
    ivs.push_back(sequential.getInductionVar());
    rewriter.setInsertionPointToStart(sequential.getBody());
  }
  Block *innermost = rewriter.getInsertionBlock();
  Block *body = loop.getBody();
  rewriter.eraseOp(body->getTerminator());
  rewriter.inlineBlockBefore(body, innermost->getTerminator(), ivs);
  rewriter.eraseOp(loop);
  return success();
}

/// Tiles a one-dim top-level scf.parallel by the block size and maps tiles
/// to blocks and the loop in a tile to threads (loops nested deeper run
/// sequentially in each thread).
LogicalResult mapToBlocksAndThreads(IRRewriter &rewriter, scf::ParallelOp loop,
                                    int64_t blockSize) {
  if (loop.getNumLoops() != 1)
    return failure();
  // A small static loop gets one block of just enough warps.
  int64_t tile = blockSize;
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()[0]);
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound()[0]);
  std::optional<int64_t> step = getConstantIntValue(loop.getStep()[0]);
  if (lb && ub && step && *step > 0) {
    int64_t trips = (*ub - *lb + *step - 1) / *step;
    tile = std::min(blockSize, std::max<int64_t>(32, (trips + 31) / 32 * 32));
  }
  auto [blocks, threads] =
      scf::tileParallelLoop(loop, {tile}, /*noMinMaxBounds=*/true);
  MLIRContext *ctx = rewriter.getContext();
  AffineMap identity = rewriter.getDimIdentityMap();
  auto mapping = [&](gpu::Processor processor) {
    return gpu::ParallelLoopDimMappingAttr::get(ctx, processor, identity,
                                                identity);
  };
  if (failed(gpu::setMappingAttr(blocks, {mapping(gpu::Processor::BlockX)})) ||
      failed(gpu::setMappingAttr(threads, {mapping(gpu::Processor::ThreadX)})))
    return failure();
  // Parallel loops nested deeper (under a reduction's scf.for) run in each
  // thread; loop-to-launch conversion takes them only as plain loops.
  SmallVector<scf::ParallelOp> nested;
  threads.getBody()->walk(
      [&](scf::ParallelOp inner) { nested.push_back(inner); });
  for (scf::ParallelOp inner : nested)
    if (failed(toSequentialLoops(rewriter, inner)))
      return failure();
  return success();
}

struct GPUDistributePass : ds::impl::GPUDistributePassBase<GPUDistributePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());

    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (!insideKernelLoop(op))
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops)
      if (failed(lowerToLoops(rewriter, op)))
        return signalPassFailure();

    sinkScalarLoadsIntoKernels(func);

    SmallVector<scf::ParallelOp> loops;
    func.walk([&](scf::ParallelOp loop) {
      if (!insideKernelLoop(loop))
        loops.push_back(loop);
    });
    for (scf::ParallelOp loop : loops)
      if (failed(collapse(rewriter, loop))) {
        loop.emitError("cannot collapse this loop nest");
        return signalPassFailure();
      }
    // Constant bounds fold, so that tiles fit small loops and outlining
    // sinks the constants into the kernels rather than passing them. No
    // canonicalization patterns: they would inline one-iteration loops.
    (void)applyPatternsAndFoldGreedily(func, FrozenRewritePatternSet());
    loops.clear();
    func.walk([&](scf::ParallelOp loop) {
      if (!insideKernelLoop(loop))
        loops.push_back(loop);
    });
    for (scf::ParallelOp loop : loops)
      if (failed(mapToBlocksAndThreads(rewriter, loop, blockSize))) {
        loop.emitError("cannot map this loop nest to GPU blocks and threads");
        return signalPassFailure();
      }
    // The tiles' bounds and guards fold to constants too.
    (void)applyPatternsAndFoldGreedily(func, FrozenRewritePatternSet());

    // Whatever still touches memory outside a kernel would read device
    // buffers from the host.
    WalkResult hostAccess = func.walk([&](Operation *op) {
      if (!isa<memref::LoadOp, memref::StoreOp, vector::TransferReadOp,
               vector::TransferWriteOp, vector::LoadOp, vector::StoreOp>(op) ||
          insideKernelLoop(op))
        return WalkResult::advance();
      op->emitError("'")
          << op->getName()
          << "' reads or writes tensor data on the host, which the cuda "
             "target does not support (data-dependent control flow or "
             "shapes)";
      return WalkResult::interrupt();
    });
    if (hostAccess.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
