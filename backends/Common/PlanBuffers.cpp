//===- PlanBuffers.cpp - a function's buffers packed into one arena -------===//
//
// Ownership-based deallocation frees a block's buffers at the block's end,
// so every intermediate tensor of a model kept its own buffer for the whole
// run and each layer wrote into memory that no layer had touched since the
// previous run (MobileNetV2: 26 MB of buffers, more than this machine's
// caches; packed, 6.2 MB). Here each buffer of a function's body gets a
// lifetime, from the first to the last op of the body that uses it or a view of
// it, and the buffers are placed at offsets of one allocation such that no two
// live at once overlap: a layer writes where a dead one lived, while that
// memory is still in cache, and the run needs the peak of its live buffers, not
// their sum.
//
//===----------------------------------------------------------------------===//
#include "backends/Common/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/Support/MathExtras.h"

#include <limits>
#include <map>

namespace mlir::ds {
#define GEN_PASS_DEF_PLANBUFFERSPASS
#include "backends/Common/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {

/// Offsets and sizes in the arena are multiples of this: the payload
/// alignment allocations get anyway (a cache line, an AVX-512 vector).
constexpr int64_t kArenaAlignment = 64;

struct PlannedBuffer {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
  int64_t bytes = 0;
  // Positions, in the body, of the first and the last op using the buffer.
  int64_t first = 0, last = 0;
  int64_t offset = 0;
};

/// The bytes of a buffer of `type` the arena can hold (static, identity
/// layout, default memory space, scalar elements), rounded up to the
/// arena's alignment; nothing for any other.
std::optional<int64_t> arenaBytes(MemRefType type) {
  if (!type.hasStaticShape() || type.getRank() == 0 ||
      !type.getLayout().isIdentity() || type.getMemorySpace() ||
      !type.getElementType().isIntOrFloat())
    return std::nullopt;
  // LLVM stores i1 in a byte and i24 in four.
  int64_t elementBytes = llvm::PowerOf2Ceil(
      llvm::divideCeil(type.getElementType().getIntOrFloatBitWidth(), 8));
  int64_t bytes = type.getNumElements() * elementBytes;
  if (bytes == 0)
    return std::nullopt;
  return llvm::alignTo(bytes, kArenaAlignment);
}

/// Fills in `buffer`'s lifetime from the uses of its allocation and of the
/// views made of it. False where the buffer may outlive the body's ops
/// that use it, or alias memory the uses do not show: a view returned or
/// yielded, a memref result of an op that is not a view, a second
/// deallocation.
bool findLifetime(PlannedBuffer &buffer, Block &body,
                  const DenseMap<Operation *, int64_t> &position) {
  buffer.first = std::numeric_limits<int64_t>::max();
  buffer.last = std::numeric_limits<int64_t>::min();
  SmallVector<Value> aliases = {buffer.alloc.getResult()};
  while (!aliases.empty()) {
    Value alias = aliases.pop_back_val();
    for (OpOperand &use : alias.getUses()) {
      Operation *user = use.getOwner();
      if (user == buffer.dealloc)
        continue;
      if (isa<memref::DeallocOp>(user) ||
          user->hasTrait<OpTrait::IsTerminator>())
        return false;
      auto view = dyn_cast<ViewLikeOpInterface>(user);
      if (view && view.getViewSource() == alias) {
        aliases.push_back(user->getResult(0));
      } else if (llvm::any_of(user->getResultTypes(),
                              llvm::IsaPred<BaseMemRefType>)) {
        return false;
      }
      Operation *top = body.findAncestorOpInBlock(*user);
      if (!top)
        return false;
      int64_t at = position.lookup(top);
      buffer.first = std::min(buffer.first, at);
      buffer.last = std::max(buffer.last, at);
    }
  }
  // Never used: it lives at its allocation only.
  if (buffer.first > buffer.last)
    buffer.first = buffer.last = position.lookup(buffer.alloc);
  return true;
}

/// Places each buffer at the lowest offset where it overlaps no buffer
/// placed before it whose lifetime meets its own, the largest first (the
/// usual greedy by size; ties go by position, so the plan is deterministic).
/// Returns the arena's size.
int64_t assignOffsets(MutableArrayRef<PlannedBuffer> buffers) {
  SmallVector<PlannedBuffer *> order;
  for (PlannedBuffer &b : buffers)
    order.push_back(&b);
  llvm::stable_sort(order, [](PlannedBuffer *a, PlannedBuffer *b) {
    return a->bytes > b->bytes;
  });
  int64_t arena = 0;
  SmallVector<PlannedBuffer *> placed;
  for (PlannedBuffer *buffer : order) {
    SmallVector<PlannedBuffer *> live;
    for (PlannedBuffer *other : placed)
      if (other->first <= buffer->last && buffer->first <= other->last)
        live.push_back(other);
    llvm::stable_sort(live, [](PlannedBuffer *a, PlannedBuffer *b) {
      return a->offset < b->offset;
    });
    int64_t offset = 0;
    for (PlannedBuffer *other : live) {
      if (offset + buffer->bytes <= other->offset)
        break;
      offset = std::max(offset, other->offset + other->bytes);
    }
    buffer->offset = offset;
    arena = std::max(arena, offset + buffer->bytes);
    placed.push_back(buffer);
  }
  return arena;
}

struct PlanBuffersPass : ds::impl::PlanBuffersPassBase<PlanBuffersPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &body = func.getBody().front();
    DenseMap<Operation *, int64_t> position;
    for (auto [i, op] : llvm::enumerate(body))
      position[&op] = i;

    SmallVector<PlannedBuffer> buffers;
    for (auto alloc : body.getOps<memref::AllocOp>()) {
      std::optional<int64_t> bytes = arenaBytes(alloc.getType());
      if (!bytes || !alloc.getDynamicSizes().empty() ||
          !alloc.getSymbolOperands().empty() ||
          alloc.getAlignment().value_or(1) > kArenaAlignment)
        continue;
      PlannedBuffer buffer;
      buffer.alloc = alloc;
      buffer.bytes = *bytes;
      auto deallocs = llvm::to_vector(
          llvm::make_filter_range(alloc->getUsers(), [](Operation *user) {
            return isa<memref::DeallocOp>(user);
          }));
      if (deallocs.size() != 1 || deallocs[0]->getBlock() != &body)
        continue;
      buffer.dealloc = cast<memref::DeallocOp>(deallocs[0]);
      if (!findLifetime(buffer, body, position))
        continue;
      buffers.push_back(buffer);
    }
    if (buffers.size() < 2)
      return;
    int64_t arenaSize = assignOffsets(buffers);

    OpBuilder b(&body, body.begin());
    Location loc = func.getLoc();
    auto arenaType = MemRefType::get({arenaSize}, b.getI8Type());
    Value arena = b.create<memref::AllocOp>(
        loc, arenaType, b.getI64IntegerAttr(kArenaAlignment));
    // One constant per offset, next to the arena.
    std::map<int64_t, Value> offsets;
    for (PlannedBuffer &buffer : buffers)
      if (!offsets.count(buffer.offset))
        offsets[buffer.offset] =
            b.create<arith::ConstantIndexOp>(loc, buffer.offset);
    for (PlannedBuffer &buffer : buffers) {
      b.setInsertionPoint(buffer.alloc);
      Value offset = offsets[buffer.offset];
      Value view = b.create<memref::ViewOp>(buffer.alloc.getLoc(),
                                            buffer.alloc.getType(), arena,
                                            offset, ValueRange{});
      buffer.dealloc.erase();
      buffer.alloc.replaceAllUsesWith(view);
      buffer.alloc.erase();
    }
    b.setInsertionPoint(body.getTerminator());
    b.create<memref::DeallocOp>(loc, arena);
  }
};
} // namespace
