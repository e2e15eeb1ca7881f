//===- ParallelLoops.cpp - thread-level loops through the runtime pool ----===//
//
// Two halves of one mechanism. On buffers, each scf.forall is outlined into
// a function over a range of its iterations and replaced by a call marked
// `ds.parallel_for`. On the LLVM dialect, where the calling convention has
// turned every capture (memref descriptors included) into scalars, that
// call becomes `ds_parallel_for(lo, hi, task, ctx)` with the captures in a
// stack struct and a trampoline that unpacks them.
//
//===----------------------------------------------------------------------===//
#include "backends/Common/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::ds {
#define GEN_PASS_DEF_OUTLINEPARALLELLOOPSPASS
#define GEN_PASS_DEF_DISPATCHPARALLELCALLSPASS
#include "backends/Common/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kParallelForAttr = "ds.parallel_for";
constexpr llvm::StringLiteral kRuntimeParallelFor = "ds_parallel_for";

/// Outlines `loop` (one dim) into a function of (lo, hi, captures...) and
/// replaces it with a call over all its iterations.
LogicalResult outline(scf::ForallOp loop, StringRef name, SymbolTable &symbols) {
  if (loop.getRank() != 1 || loop.getNumResults() != 0)
    return failure();
  Location loc = loop.getLoc();
  OpBuilder b(loop);
  Value lb = getValueOrCreateConstantIndexOp(b, loc, loop.getMixedLowerBound()[0]);
  Value ub = getValueOrCreateConstantIndexOp(b, loc, loop.getMixedUpperBound()[0]);
  Value step = getValueOrCreateConstantIndexOp(b, loc, loop.getMixedStep()[0]);
  // Iterations: (ub - lb + step - 1) / step, all non-negative. (Plain ops:
  // arith.ceildivsi has no direct LLVM lowering.)
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  Value span = b.create<arith::SubIOp>(
      loc, b.create<arith::AddIOp>(loc, b.create<arith::SubIOp>(loc, ub, lb),
                                   step),
      one);
  Value trips = b.create<arith::DivUIOp>(loc, span, step);

  // Everything the body reads from outside, plus the bounds it needs;
  // constants are rematerialized in the body instead.
  llvm::SetVector<Value> used;
  getUsedValuesDefinedAbove(loop.getRegion(), used);
  used.insert(lb);
  used.insert(step);
  SmallVector<Value> captures;
  SmallVector<Operation *> constants;
  for (Value v : used) {
    Operation *def = v.getDefiningOp();
    if (def && def->hasTrait<OpTrait::ConstantLike>())
      constants.push_back(def);
    else
      captures.push_back(v);
  }

  SmallVector<Type> argTypes = {b.getIndexType(), b.getIndexType()};
  for (Value v : captures)
    argTypes.push_back(v.getType());
  auto module = loop->getParentOfType<ModuleOp>();
  OpBuilder moduleBuilder = OpBuilder::atBlockEnd(module.getBody());
  auto fn = moduleBuilder.create<func::FuncOp>(
      loc, name, moduleBuilder.getFunctionType(argTypes, {}));
  fn.setPrivate();
  symbols.insert(fn);
  Block *entry = fn.addEntryBlock();
  OpBuilder body = OpBuilder::atBlockBegin(entry);
  IRMapping mapping;
  for (Operation *c : constants)
    body.clone(*c, mapping);
  for (auto [v, arg] : llvm::zip(captures, entry->getArguments().drop_front(2)))
    mapping.map(v, arg);
  auto inner = body.create<scf::ForOp>(
      loc, entry->getArgument(0), entry->getArgument(1),
      body.create<arith::ConstantIndexOp>(loc, 1));
  body.create<func::ReturnOp>(loc);
  body.setInsertionPointToStart(inner.getBody());
  Value iv = body.create<arith::AddIOp>(
      loc, mapping.lookup(lb),
      body.create<arith::MulIOp>(loc, inner.getInductionVar(),
                                 mapping.lookup(step)));
  mapping.map(loop.getInductionVar(0), iv);
  for (Operation &op : loop.getBody()->without_terminator())
    body.clone(op, mapping);

  SmallVector<Value> operands = {
      b.create<arith::ConstantIndexOp>(loc, 0).getResult(), trips};
  llvm::append_range(operands, captures);
  auto call = b.create<func::CallOp>(loc, fn, operands);
  call->setAttr(kParallelForAttr, b.getUnitAttr());
  loop.erase();
  return success();
}

struct OutlineParallelLoopsPass
    : ds::impl::OutlineParallelLoopsPassBase<OutlineParallelLoopsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
    for (func::FuncOp fn : functions) {
      // Innermost first: an outer body then calls the inner one.
      SmallVector<scf::ForallOp> loops;
      fn.walk<WalkOrder::PostOrder>(
          [&](scf::ForallOp loop) { loops.push_back(loop); });
      unsigned index = 0;
      for (scf::ForallOp loop : loops) {
        std::string name =
            (fn.getSymName() + "__ds_parallel_" + Twine(index++)).str();
        if (failed(outline(loop, name, symbols))) {
          loop.emitError("cannot outline this parallel loop");
          return signalPassFailure();
        }
      }
    }
  }
};

struct DispatchParallelCallsPass
    : ds::impl::DispatchParallelCallsPassBase<DispatchParallelCallsPass> {
  /// `@<body>__task(i64 lo, i64 hi, ptr ctx)`: unpacks the captures of a
  /// call to `body` from `ctx` and calls it.
  LLVM::LLVMFuncOp trampoline(LLVM::LLVMFuncOp body, LLVM::LLVMStructType ctx,
                              SymbolTable &symbols) {
    std::string name = (body.getSymName() + "__task").str();
    if (auto existing = symbols.lookup<LLVM::LLVMFuncOp>(name))
      return existing;
    MLIRContext *mctx = &getContext();
    auto i64 = IntegerType::get(mctx, 64);
    auto ptr = LLVM::LLVMPointerType::get(mctx);
    OpBuilder b = OpBuilder::atBlockEnd(getOperation().getBody());
    Location loc = body.getLoc();
    auto fn = b.create<LLVM::LLVMFuncOp>(
        loc, name,
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(mctx),
                                    {i64, i64, ptr}),
        LLVM::Linkage::Internal);
    symbols.insert(fn);
    Block *entry = fn.addEntryBlock(b);
    b.setInsertionPointToStart(entry);
    SmallVector<Value> args = {entry->getArgument(0), entry->getArgument(1)};
    for (auto [i, type] : llvm::enumerate(ctx.getBody())) {
      Value field = b.create<LLVM::GEPOp>(
          loc, ptr, ctx, entry->getArgument(2),
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      args.push_back(b.create<LLVM::LoadOp>(loc, type, field));
    }
    b.create<LLVM::CallOp>(loc, body, args);
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
    return fn;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SymbolTable symbols(module);
    SmallVector<LLVM::CallOp> calls;
    module.walk([&](LLVM::CallOp call) {
      if (call->hasAttr(kParallelForAttr))
        calls.push_back(call);
    });
    if (calls.empty())
      return;
    auto i64 = IntegerType::get(ctx, 64);
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto runtime = symbols.lookup<LLVM::LLVMFuncOp>(kRuntimeParallelFor);
    if (!runtime) {
      OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
      runtime = b.create<LLVM::LLVMFuncOp>(
          module.getLoc(), kRuntimeParallelFor,
          LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                      {i64, i64, ptr, ptr}));
      symbols.insert(runtime);
    }
    for (LLVM::CallOp call : calls) {
      auto body = symbols.lookup<LLVM::LLVMFuncOp>(*call.getCallee());
      if (!body || call.getNumOperands() < 2) {
        call.emitError("ds.parallel_for call of an unknown body");
        return signalPassFailure();
      }
      // Only the trampoline calls the body now: keep it out of the
      // artifact's exported symbols.
      body.setLinkage(LLVM::Linkage::Internal);
      SmallVector<Type> fields;
      for (Value v : call.getOperands().drop_front(2))
        fields.push_back(v.getType());
      auto ctxType = LLVM::LLVMStructType::getLiteral(ctx, fields);
      LLVM::LLVMFuncOp task = trampoline(body, ctxType, symbols);

      // The struct lives in the caller's frame, allocated once at entry.
      auto caller = call->getParentOfType<LLVM::LLVMFuncOp>();
      OpBuilder b(call);
      Location loc = call.getLoc();
      Value storage;
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(&caller.getBody().front());
        Value one = b.create<LLVM::ConstantOp>(loc, i64, b.getI64IntegerAttr(1));
        storage = b.create<LLVM::AllocaOp>(loc, ptr, ctxType, one);
      }
      for (auto [i, v] : llvm::enumerate(call.getOperands().drop_front(2))) {
        Value field = b.create<LLVM::GEPOp>(
            loc, ptr, ctxType, storage,
            ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
        b.create<LLVM::StoreOp>(loc, v, field);
      }
      Value taskAddress = b.create<LLVM::AddressOfOp>(loc, task);
      b.create<LLVM::CallOp>(loc, runtime,
                             ValueRange{call.getOperand(0), call.getOperand(1),
                                        taskAddress, storage});
      call.erase();
    }
  }
};
} // namespace
