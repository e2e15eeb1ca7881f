// RUN: deepseek-opt %s -ds-gpu-serialize-ptx=chip=sm_90 -split-input-file -verify-diagnostics | FileCheck %s

// The kernel module becomes a gpu.binary holding PTX for the chip asked
// for; libdevice's square root becomes the PTX instruction, and its
// declaration goes away.
// CHECK-NOT: gpu.module
// CHECK: gpu.binary @kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90"{{.*}}>, assembly = "{{.*}}.target sm_90{{.*}}.visible .entry scale({{.*}}sqrt.rn.f32{{.*}}\00">]
// CHECK-NOT: __nv_sqrtf
module attributes {gpu.container_module} {
  gpu.module @kernels {
    llvm.func @scale(%p: !llvm.ptr) attributes {gpu.kernel, nvvm.kernel} {
      %tid = nvvm.read.ptx.sreg.tid.x : i32
      %at = llvm.getelementptr %p[%tid] : (!llvm.ptr, i32) -> !llvm.ptr, f32
      %v = llvm.load %at : !llvm.ptr -> f32
      %r = llvm.call @__nv_sqrtf(%v) : (f32) -> f32
      llvm.store %r, %at : f32, !llvm.ptr
      llvm.return
    }
    llvm.func @__nv_sqrtf(f32) -> f32
  }
}

// -----

// A libdevice function with no instruction cannot be linked.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    llvm.func @exp(%p: !llvm.ptr) attributes {gpu.kernel, nvvm.kernel} {
      %v = llvm.load %p : !llvm.ptr -> f64
      // expected-error @+1 {{kernel 'exp' calls '__nv_exp', which the cuda target cannot link (no libdevice)}}
      %r = llvm.call @__nv_exp(%v) : (f64) -> f64
      llvm.store %r, %p : f64, !llvm.ptr
      llvm.return
    }
    llvm.func @__nv_exp(f64) -> f64
  }
}

// -----

// A loop left in host code did not become a kernel.
func.func @host_loop(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  // expected-error @+1 {{'scf.parallel' was left in host code: it did not become a GPU kernel}}
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %v = memref.load %x[%i] : memref<8xf32>
    memref.store %v, %x[%i] : memref<8xf32>
  }
  return
}
