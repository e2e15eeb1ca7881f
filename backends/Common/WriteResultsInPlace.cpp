//===- WriteResultsInPlace.cpp - results computed in their out-params -----===//
#include "backends/Common/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::ds {
#define GEN_PASS_DEF_WRITERESULTSINPLACEPASS
#include "backends/Common/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {

/// The memref a linalg.copy on buffers (the pipeline's copy function,
/// also buffer-results-to-out-params') reads and the one it writes.
std::optional<std::pair<Value, Value>> copyOperands(Operation *op) {
  auto copy = dyn_cast<linalg::CopyOp>(op);
  if (!copy || !copy.hasPureBufferSemantics())
    return std::nullopt;
  return std::make_pair(copy.getInputs()[0], copy.getOutputs()[0]);
}

/// Whether every use of `value`, and of the reshapes of it, is an op of
/// `block` before `last`, or nested in one, or `last` itself.
bool usedOnlyUpTo(Value value, Operation *last, Block *block) {
  for (Operation *user : value.getUsers()) {
    if (user == last)
      continue;
    if (isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(user) &&
        usedOnlyUpTo(user->getResult(0), last, block))
      continue;
    Operation *ancestor = block->findAncestorOpInBlock(*user);
    if (!ancestor || !ancestor->isBeforeInBlock(last))
      return false;
  }
  return true;
}

struct WriteResultsInPlacePass
    : ds::impl::WriteResultsInPlacePassBase<WriteResultsInPlacePass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &entry = func.getBody().front();
    SmallVector<Operation *> copies;
    for (Operation &op : entry)
      if (std::optional<std::pair<Value, Value>> operands = copyOperands(&op))
        if (auto param = dyn_cast<BlockArgument>(operands->second))
          if (param.getOwner() == &entry && param.hasOneUse())
            copies.push_back(&op);
    for (Operation *copy : copies) {
      auto [source, param] = *copyOperands(copy);
      // source = reshape(...reshape(alloc)), each static and contiguous.
      SmallVector<Operation *> reshapes;
      Value base = source;
      while (Operation *def = base.getDefiningOp()) {
        if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(def))
          break;
        reshapes.push_back(def);
        base = def->getOperand(0);
      }
      auto alloc = base.getDefiningOp<memref::AllocOp>();
      auto paramType = dyn_cast<MemRefType>(param.getType());
      if (reshapes.empty() || !alloc || alloc->getBlock() != &entry ||
          !alloc.getType().hasStaticShape() ||
          !alloc.getType().getLayout().isIdentity() || !paramType ||
          !paramType.getLayout().isIdentity() ||
          !usedOnlyUpTo(alloc, copy, &entry))
        continue;
      // The output parameter through the inverse reshapes, innermost last.
      OpBuilder b(alloc);
      b.setInsertionPointAfter(alloc);
      Value view = param;
      for (Operation *reshape : reshapes) {
        Location loc = reshape->getLoc();
        auto sourceType = cast<MemRefType>(reshape->getOperand(0).getType());
        if (auto expand = dyn_cast<memref::ExpandShapeOp>(reshape))
          view = b.create<memref::CollapseShapeOp>(
              loc, view, expand.getReassociationIndices());
        else
          view = b.create<memref::ExpandShapeOp>(
              loc, sourceType.getShape(), view,
              cast<memref::CollapseShapeOp>(reshape)
                  .getReassociationIndices());
      }
      if (view.getType() != alloc.getType())
        continue;
      alloc.replaceAllUsesWith(view);
      alloc.erase();
    }
  }
};

} // namespace
