//===- CompressWeights.cpp - mostly-zero weights as bitmap + non-zeros ----===//
#include "backends/Common/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace mlir::ds {
#define GEN_PASS_DEF_COMPRESSWEIGHTSPASS
#include "backends/Common/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {

/// The function the artifact runs at load time to expand the weights.
constexpr llvm::StringLiteral kInitFunction = "ds_init_weights";

struct CompressWeightsPass
    : ds::impl::CompressWeightsPassBase<CompressWeightsPass> {
  using CompressWeightsPassBase::CompressWeightsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<memref::GlobalOp> globals;
    for (auto global : module.getOps<memref::GlobalOp>()) {
      auto dense =
          llvm::dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr());
      if (global.getConstant() && dense && !dense.isSplat() &&
          dense.getElementType().isF32() &&
          dense.getNumElements() >= minElements)
        globals.push_back(global);
    }
    int64_t count = 0, denseBytes = 0, storedBytes = 0;
    func::FuncOp init;
    Block *body = nullptr;
    for (memref::GlobalOp global : globals) {
      auto dense = llvm::cast<DenseElementsAttr>(global.getInitialValueAttr());
      int64_t n = dense.getNumElements();
      std::vector<float> nonZeros;
      std::vector<uint8_t> bitmap((n + 7) / 8, 0);
      int64_t i = 0;
      // Plain floats, not APFloat: this loop sees every weight of the model.
      for (float v : dense.getValues<float>()) {
        // Exact bits: -0.0 is kept as a non-zero.
        if (llvm::bit_cast<uint32_t>(v) != 0) {
          nonZeros.push_back(v);
          bitmap[i / 8] |= uint8_t(1) << (i % 8);
        }
        ++i;
      }
      int64_t stored = bitmap.size() + 4 * (int64_t)nonZeros.size();
      if (stored * 10 > n * 4 * 9)
        continue;
      if (!init) {
        OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
        init = b.create<func::FuncOp>(module.getLoc(), kInitFunction,
                                      b.getFunctionType({}, {}));
        body = init.addEntryBlock();
        OpBuilder::atBlockEnd(body).create<func::ReturnOp>(module.getLoc());
      }
      expand(global, bitmap, nonZeros, body);
      ++count;
      denseBytes += 4 * n;
      storedBytes += stored;
    }
    if (count == 0)
      return;
    Builder b(ctx);
    module->setAttr(
        "ds.weight_storage",
        b.getDictionaryAttr(
            {b.getNamedAttr("format", b.getStringAttr("bitmap+nonzeros")),
             b.getNamedAttr("tensors", b.getI64IntegerAttr(count)),
             b.getNamedAttr("dense_bytes", b.getI64IntegerAttr(denseBytes)),
             b.getNamedAttr("stored_bytes", b.getI64IntegerAttr(storedBytes))}));
  }

  /// Turns `global` into zero-initialized storage and adds to `body` the
  /// loop that fills it from the bitmap and the non-zeros.
  void expand(memref::GlobalOp global, ArrayRef<uint8_t> bitmap,
              ArrayRef<float> nonZeros, Block *body) {
    MLIRContext *ctx = global.getContext();
    Location loc = global.getLoc();
    OpBuilder b(global);
    auto newGlobal = [&](StringRef suffix, RankedTensorType type,
                         DenseElementsAttr value) {
      auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
      return b.create<memref::GlobalOp>(
          loc, (global.getSymName() + suffix).str(), b.getStringAttr("private"),
          memrefType, value, /*constant=*/true, global.getAlignmentAttr());
    };
    auto maskType = RankedTensorType::get({(int64_t)bitmap.size()},
                                          IntegerType::get(ctx, 8));
    auto mask = newGlobal("_bitmap", maskType,
                          DenseElementsAttr::get(maskType, bitmap));
    int64_t nnz = std::max<int64_t>(1, nonZeros.size());
    auto valueType = RankedTensorType::get({nnz}, b.getF32Type());
    std::vector<float> padded(nonZeros.begin(), nonZeros.end());
    padded.resize(nnz, 0.0f);
    auto values = newGlobal("_nonzeros", valueType,
                            DenseElementsAttr::get(valueType, ArrayRef<float>(padded)));
    global.setConstant(false);
    global.setInitialValueAttr(UnitAttr::get(ctx));

    b.setInsertionPoint(body->getTerminator());
    MemRefType type = global.getType();
    Value dense = b.create<memref::GetGlobalOp>(loc, type, global.getSymName());
    ReassociationIndices all;
    for (int64_t d = 0; d < type.getRank(); ++d)
      all.push_back(d);
    if (type.getRank() != 1)
      dense = b.create<memref::CollapseShapeOp>(
          loc, dense, ArrayRef<ReassociationIndices>{all});
    Value maskRef = b.create<memref::GetGlobalOp>(loc, mask.getType(),
                                                  mask.getSymName());
    Value valueRef = b.create<memref::GetGlobalOp>(loc, values.getType(),
                                                   values.getSymName());
    auto index = [&](int64_t v) {
      return b.create<arith::ConstantIndexOp>(loc, v).getResult();
    };
    Value zero = index(0), one = index(1), eight = index(8);
    Value fzero = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0.0f));
    b.create<scf::ForOp>(
        loc, zero, index(type.getNumElements()), one, ValueRange{zero},
        [&](OpBuilder &lb, Location l, Value i, ValueRange next) {
          Value byte = lb.create<memref::LoadOp>(
              l, maskRef, ValueRange{lb.create<arith::DivUIOp>(l, i, eight)});
          Value shift = lb.create<arith::IndexCastOp>(
              l, lb.getI8Type(), lb.create<arith::RemUIOp>(l, i, eight));
          Value bit = lb.create<arith::AndIOp>(
              l, lb.create<arith::ShRUIOp>(l, byte, shift),
              lb.create<arith::ConstantOp>(l, lb.getI8IntegerAttr(1)));
          Value set = lb.create<arith::CmpIOp>(
              l, arith::CmpIPredicate::ne, bit,
              lb.create<arith::ConstantOp>(l, lb.getI8IntegerAttr(0)));
          auto branch = lb.create<scf::IfOp>(
              l, set,
              [&](OpBuilder &tb, Location tl) {
                Value v = tb.create<memref::LoadOp>(tl, valueRef, next[0]);
                tb.create<memref::StoreOp>(tl, v, dense, i);
                tb.create<scf::YieldOp>(
                    tl, ValueRange{tb.create<arith::AddIOp>(tl, next[0], one)});
              },
              [&](OpBuilder &eb, Location el) {
                eb.create<memref::StoreOp>(el, fzero, dense, i);
                eb.create<scf::YieldOp>(el, ValueRange{next[0]});
              });
          lb.create<scf::YieldOp>(l, branch.getResults());
        });
  }
};
} // namespace
