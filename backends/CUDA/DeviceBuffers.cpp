//===- DeviceBuffers.cpp - every buffer of a graph function on the GPU ----===//
#include "backends/CUDA/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::ds {
#define GEN_PASS_DEF_GPUDEVICEBUFFERSPASS
#include "backends/CUDA/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {

/// `buffer` and every memref derived from it by ops that only reinterpret
/// it (subviews, reshapes, casts): any op with a memref operand and memref
/// results that touches no memory counts.
SmallVector<Value> aliasesOf(Value buffer) {
  SmallVector<Value> aliases = {buffer};
  for (size_t i = 0; i < aliases.size(); ++i)
    for (Operation *user : aliases[i].getUsers()) {
      bool derives =
          isa<ViewLikeOpInterface>(user) ||
          (isMemoryEffectFree(user) &&
           llvm::any_of(user->getResultTypes(), llvm::IsaPred<BaseMemRefType>));
      if (!derives)
        continue;
      for (Value r : user->getResults())
        if (isa<BaseMemRefType>(r.getType()) && !llvm::is_contained(aliases, r))
          aliases.push_back(r);
    }
  return aliases;
}

struct Access {
  bool reads = false, writes = false;
};

/// Whether any op reads or writes `buffer` through one of its aliases. Ops
/// that do not describe their effects count as both.
Access accessOf(Value buffer) {
  Access access;
  for (Value alias : aliasesOf(buffer))
    for (OpOperand &use : alias.getUses()) {
      Operation *user = use.getOwner();
      auto effects = dyn_cast<MemoryEffectOpInterface>(user);
      if (!effects) {
        if (!isMemoryEffectFree(user))
          access.reads = access.writes = true;
        continue;
      }
      SmallVector<MemoryEffects::EffectInstance> list;
      effects.getEffects(list);
      for (const MemoryEffects::EffectInstance &e : list) {
        if (e.getValue() && e.getValue() != alias)
          continue;
        access.reads |= isa<MemoryEffects::Read>(e.getEffect());
        access.writes |= isa<MemoryEffects::Write>(e.getEffect());
      }
    }
  return access;
}

/// The last op of `block` that uses `buffer` or an alias, directly or from
/// inside its regions; null when an alias leaves the block (returned or
/// yielded). A scalar loaded from the buffer on the host counts as a use
/// wherever it is used, since ds-gpu-distribute moves such loads into the
/// kernels that use the value.
Operation *lastUseInBlock(Value buffer, Block *block) {
  Operation *last = nullptr;
  auto extendTo = [&](Operation *user) {
    Operation *inBlock = block->findAncestorOpInBlock(*user);
    if (inBlock && (!last || last->isBeforeInBlock(inBlock)))
      last = inBlock;
    return inBlock != nullptr;
  };
  for (Value alias : aliasesOf(buffer))
    for (Operation *user : alias.getUsers()) {
      if (user->hasTrait<OpTrait::ReturnLike>() && user->getBlock() == block)
        return nullptr;
      if (!extendTo(user))
        return nullptr;
      if (isa<memref::LoadOp>(user)) {
        SetVector<Operation *> slice;
        getForwardSlice(user, &slice);
        for (Operation *dependent : slice)
          extendTo(dependent);
      }
    }
  return last;
}

/// A dense device buffer of `type`'s shape, its dynamic sizes read from
/// `sizesOf`; the ops that read them are added to `created`.
Value allocateLike(OpBuilder &b, Location loc, MemRefType type, Value sizesOf,
                   SmallPtrSetImpl<Operation *> &created) {
  SmallVector<Value> dynamicSizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d)) {
      auto dim = b.create<memref::DimOp>(loc, sizesOf, d);
      created.insert(dim);
      dynamicSizes.push_back(dim);
    }
  return b
      .create<gpu::AllocOp>(
          loc, MemRefType::get(type.getShape(), type.getElementType()),
          /*asyncToken=*/Type(), ValueRange(), dynamicSizes, ValueRange())
      .getMemref();
}

/// The device copy the runtime keeps of constant global `host`: a call to
/// `ds_gpu_resident_<element type>` on it as an unranked memref, declared
/// in `module` on first use.
Value residentCopy(OpBuilder &b, Location loc, Value host, ModuleOp module) {
  auto type = cast<MemRefType>(host.getType());
  auto unranked =
      UnrankedMemRefType::get(type.getElementType(), type.getMemorySpace());
  std::string name = "ds_gpu_resident_";
  llvm::raw_string_ostream os(name);
  type.getElementType().print(os);
  auto callee = module.lookupSymbol<func::FuncOp>(name);
  if (!callee) {
    OpBuilder atEnd = OpBuilder::atBlockEnd(module.getBody());
    callee = atEnd.create<func::FuncOp>(
        loc, name, b.getFunctionType({unranked}, {unranked}));
    callee.setPrivate();
  }
  Value erased = b.create<memref::CastOp>(loc, unranked, host);
  Value device = b.create<func::CallOp>(loc, callee, erased).getResult(0);
  return b.create<memref::CastOp>(loc, type, device);
}

/// Element types the runtime keeps resident copies of (its
/// ds_gpu_resident_* functions).
bool hasResidentCopies(Type element) {
  return element.isF16() || element.isBF16() || element.isF32() ||
         element.isF64() || element.isInteger(1) || element.isInteger(8) ||
         element.isInteger(16) || element.isInteger(32) ||
         element.isInteger(64);
}

struct GPUDeviceBuffersPass
    : ds::impl::GPUDeviceBuffersPassBase<GPUDeviceBuffersPass> {
  void runOnOperation() override {
    for (auto func : llvm::to_vector(getOperation().getOps<func::FuncOp>()))
      if (!func.isExternal() && failed(placeBuffers(func)))
        return signalPassFailure();
  }

  LogicalResult placeBuffers(func::FuncOp func) {
    if (!func.getBody().hasOneBlock())
      return func.emitError(
          "the cuda target takes graph functions of one block");
    Block &entry = func.getBody().front();
    Location loc = func.getLoc();
    OpBuilder b(&getContext());
    b.setInsertionPointToStart(&entry);

    // Freed before every return, after the results are copied back.
    SmallVector<Value> freeAtExit;
    SmallVector<std::pair<Value, Value>> copyBack; // host, device

    for (BlockArgument arg : entry.getArguments()) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type)
        continue;
      Access access = accessOf(arg);
      SmallPtrSet<Operation *, 4> created;
      Value device = allocateLike(b, loc, type, arg, created);
      if (access.reads)
        created.insert(
            b.create<gpu::MemcpyOp>(loc, Type(), ValueRange(), device, arg));
      arg.replaceUsesWithIf(device, [&](OpOperand &use) {
        return !created.contains(use.getOwner());
      });
      if (access.writes)
        copyBack.push_back({arg, device});
      freeAtExit.push_back(device);
    }

    // One device copy of each constant global, wherever it is read: kept
    // by the runtime across runs where it can, else copied per run.
    llvm::MapVector<StringRef, SmallVector<memref::GetGlobalOp>> globals;
    func.walk([&](memref::GetGlobalOp get) {
      globals[get.getName()].push_back(get);
    });
    ModuleOp module = func->getParentOfType<ModuleOp>();
    for (auto &[name, gets] : globals) {
      auto type = cast<MemRefType>(gets.front().getType());
      Value host = b.create<memref::GetGlobalOp>(loc, type, name);
      Value device;
      if (hasResidentCopies(type.getElementType())) {
        device = residentCopy(b, loc, host, module);
      } else {
        SmallPtrSet<Operation *, 4> created;
        device = allocateLike(b, loc, type, host, created);
        b.create<gpu::MemcpyOp>(loc, Type(), ValueRange(), device, host);
        freeAtExit.push_back(device);
      }
      for (memref::GetGlobalOp get : gets)
        get.getResult().replaceAllUsesWith(device);
    }
    // Erased only now: the builder inserts before what was the first op.
    for (auto &entry : globals)
      for (memref::GetGlobalOp get : entry.second)
        get.erase();

    SmallVector<Operation *> allocations;
    func.walk([&](Operation *op) {
      if (isa<memref::AllocOp, memref::AllocaOp>(op))
        allocations.push_back(op);
    });
    for (Operation *op : allocations) {
      auto type = cast<MemRefType>(op->getResult(0).getType());
      if (!type.getLayout().isIdentity())
        return op->emitError("the cuda target allocates only dense buffers");
      b.setInsertionPoint(op);
      Location at = op->getLoc();
      Value device =
          b.create<gpu::AllocOp>(at, type, /*asyncToken=*/Type(), ValueRange(),
                                 op->getOperands(), ValueRange())
              .getMemref();
      op->getResult(0).replaceAllUsesWith(device);
      op->erase();
      if (Operation *last = lastUseInBlock(device, device.getParentBlock())) {
        b.setInsertionPointAfter(last);
        b.create<gpu::DeallocOp>(at, Type(), ValueRange(), device);
      } else if (device.getParentBlock() == &entry) {
        freeAtExit.push_back(device);
      }
    }

    func.walk([&](func::ReturnOp ret) {
      b.setInsertionPoint(ret);
      for (auto [host, device] : copyBack)
        b.create<gpu::MemcpyOp>(loc, Type(), ValueRange(), host, device);
      for (Value device : freeAtExit)
        b.create<gpu::DeallocOp>(loc, Type(), ValueRange(), device);
    });
    return success();
  }
};

} // namespace
