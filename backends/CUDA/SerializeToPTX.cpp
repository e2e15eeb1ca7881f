//===- SerializeToPTX.cpp - gpu.module to PTX through LLVM's NVPTX target -===//
#include "backends/CUDA/Passes.h"

#include "backends/Common/LLVMCodegen.h"

#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

namespace mlir::ds {
#define GEN_PASS_DEF_GPUSERIALIZETOPTXPASS
#include "backends/CUDA/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kNVPTXTriple = "nvptx64-nvidia-cuda";

/// libdevice functions that are one NVPTX instruction (or a short
/// expansion LLVM's NVPTX backend knows), as the LLVM intrinsic that
/// selects to it. convert-gpu-to-nvvm lowers these math ops to libdevice
/// calls, which would need libdevice linked.
StringRef intrinsicFor(StringRef libdeviceFunction) {
  static const llvm::StringMap<StringRef> table = {
      {"__nv_fabsf", "llvm.intr.fabs"},
      {"__nv_fabs", "llvm.intr.fabs"},
      {"__nv_floorf", "llvm.intr.floor"},
      {"__nv_floor", "llvm.intr.floor"},
      {"__nv_ceilf", "llvm.intr.ceil"},
      {"__nv_ceil", "llvm.intr.ceil"},
      {"__nv_sqrtf", "llvm.intr.sqrt"},
      {"__nv_sqrt", "llvm.intr.sqrt"},
      {"__nv_truncf", "llvm.intr.trunc"},
      {"__nv_trunc", "llvm.intr.trunc"},
      {"__nv_rintf", "llvm.intr.rint"},
      {"__nv_rint", "llvm.intr.rint"},
      {"__nv_roundf", "llvm.intr.round"},
      {"__nv_round", "llvm.intr.round"},
      {"__nv_fmaf", "llvm.intr.fma"},
      {"__nv_fma", "llvm.intr.fma"},
      {"__nv_copysignf", "llvm.intr.copysign"},
      {"__nv_copysign", "llvm.intr.copysign"},
      {"__nv_fmodf", "llvm.frem"},
      {"__nv_fmod", "llvm.frem"},
  };
  return table.lookup(libdeviceFunction);
}

/// Replaces calls to the libdevice functions above by their intrinsics
/// (rsqrt by a division by the square root).
void useNVPTXInstructions(gpu::GPUModuleOp kernels) {
  SmallVector<LLVM::CallOp> calls;
  kernels.walk([&](LLVM::CallOp call) {
    if (call.getCallee())
      calls.push_back(call);
  });
  for (LLVM::CallOp call : calls) {
    StringRef callee = *call.getCallee();
    OpBuilder b(call);
    Location loc = call.getLoc();
    Value result;
    if (callee == "__nv_rsqrtf" || callee == "__nv_rsqrt") {
      Type type = call.getResult().getType();
      Value sqrt = b.create<LLVM::SqrtOp>(loc, call.getOperand(0));
      Value one =
          b.create<LLVM::ConstantOp>(loc, type, b.getFloatAttr(type, 1.0));
      result = b.create<LLVM::FDivOp>(loc, one, sqrt);
    } else if (StringRef name = intrinsicFor(callee); !name.empty()) {
      OperationState state(loc, name);
      state.addOperands(call.getOperands());
      state.addTypes(call.getResultTypes());
      result = b.create(state)->getResult(0);
    } else {
      continue;
    }
    call.getResult().replaceAllUsesWith(result);
    call.erase();
  }
  // Declarations nobody calls any more.
  for (auto function :
       llvm::make_early_inc_range(kernels.getOps<LLVM::LLVMFuncOp>()))
    if (function.isExternal() &&
        SymbolTable::symbolKnownUseEmpty(function, kernels))
      function.erase();
}

/// Math intrinsics LLVM's NVPTX backend has no instruction for: it would
/// turn them into libm calls, which do not exist on the GPU.
bool isUnselectableIntrinsic(Operation *op) {
  return isa<LLVM::ExpOp, LLVM::Exp2Op, LLVM::LogOp, LLVM::Log2Op,
             LLVM::Log10Op, LLVM::SinOp, LLVM::CosOp, LLVM::PowOp,
             LLVM::PowIOp>(op);
}

/// An error naming the first thing in `kernels` the GPU cannot run: a call
/// to a function with no body (libdevice's __nv_* functions, libm) or a
/// math intrinsic NVPTX cannot select.
LogicalResult checkSelfContained(gpu::GPUModuleOp kernels) {
  WalkResult result = kernels.walk([&](Operation *op) {
    if (auto call = dyn_cast<LLVM::CallOp>(op)) {
      auto callee =
          call.getCallee()
              ? kernels.lookupSymbol<LLVM::LLVMFuncOp>(*call.getCallee())
              : LLVM::LLVMFuncOp();
      if (!callee || callee.isExternal()) {
        auto kernel = op->getParentOfType<LLVM::LLVMFuncOp>();
        op->emitError("kernel '")
            << (kernel ? kernel.getName() : StringRef("?")) << "' calls '"
            << call.getCallee().value_or("an indirect target")
            << "', which the cuda target cannot link (no libdevice)";
        return WalkResult::interrupt();
      }
    }
    if (isUnselectableIntrinsic(op)) {
      op->emitError("'") << op->getName()
                         << "' has no GPU instruction and no approximation "
                            "for this element type";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

struct GPUSerializeToPTXPass
    : ds::impl::GPUSerializeToPTXPassBase<GPUSerializeToPTXPass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    registerBuiltinDialectTranslation(registry);
    registerLLVMDialectTranslation(registry);
    registerNVVMDialectTranslation(registry);
    registerGPUDialectTranslation(registry);
    // gpu.binary checks that its objects' targets are serialization targets.
    NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Every loop over tensor data must have become a kernel by now.
    WalkResult hostLoop = module.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (!isa<scf::ParallelOp, memref::LoadOp, memref::StoreOp>(op) ||
          !op->getParentOfType<func::FuncOp>())
        return WalkResult::advance();
      op->emitError("'") << op->getName()
                         << "' was left in host code: it did not become a "
                            "GPU kernel";
      return WalkResult::interrupt();
    });
    if (hostLoop.wasInterrupted())
      return signalPassFailure();
    std::string error;
    std::unique_ptr<llvm::TargetMachine> tm =
        ds::createTargetMachine(kNVPTXTriple, chip, features, error);
    if (!tm) {
      module.emitError("cannot compile for ") << chip << ": " << error;
      return signalPassFailure();
    }
    for (gpu::GPUModuleOp kernels :
         llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>())) {
      useNVPTXInstructions(kernels);
      if (failed(checkSelfContained(kernels)))
        return signalPassFailure();
      llvm::LLVMContext llvmContext;
      std::unique_ptr<llvm::Module> llvmModule =
          translateModuleToLLVMIR(kernels, llvmContext, kernels.getName());
      if (!llvmModule) {
        kernels.emitError("translation of the kernels to LLVM IR failed");
        return signalPassFailure();
      }
      llvmModule->setTargetTriple(kNVPTXTriple);
      llvmModule->setDataLayout(tm->createDataLayout());
      ds::optimizeModule(*llvmModule, *tm);
      llvm::SmallString<0> ptx;
      llvm::raw_svector_ostream os(ptx);
      if (!ds::emitMachineCode(*llvmModule, *tm,
                               llvm::CodeGenFileType::AssemblyFile, os,
                               error)) {
        kernels.emitError("PTX emission failed: ") << error;
        return signalPassFailure();
      }

      // The driver reads PTX as a C string, and the gpu.binary translation
      // embeds exactly the bytes it is given.
      ptx.push_back('\0');
      OpBuilder b(kernels);
      MLIRContext *ctx = &getContext();
      auto target =
          NVVM::NVVMTargetAttr::get(ctx, /*optLevel=*/3, kNVPTXTriple, chip,
                                    tm->getTargetFeatureString());
      auto object =
          gpu::ObjectAttr::get(ctx, target, gpu::CompilationTarget::Assembly,
                               b.getStringAttr(ptx), nullptr);
      b.create<gpu::BinaryOp>(kernels.getLoc(), kernels.getName(),
                              /*offloadingHandler=*/nullptr,
                              ArrayRef<Attribute>{object});
      kernels.erase();
    }
  }
};

} // namespace
