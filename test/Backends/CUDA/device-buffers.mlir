// RUN: deepseek-opt %s -ds-gpu-device-buffers -split-input-file | FileCheck %s

// The input is copied to the device because it is read; the output only
// because it is written, back before the return. The constant is read
// from the copy the runtime keeps on the device (not freed here); the
// temporary is freed after its last use (through a view).
// CHECK-LABEL: func @graph(
// CHECK-SAME: %[[IN:.*]]: memref<4x8xf32>, %[[OUT:.*]]: memref<32xf32>)
// CHECK: %[[DIN:.*]] = gpu.alloc () : memref<4x8xf32>
// CHECK-NEXT: gpu.memcpy %[[DIN]], %[[IN]]
// CHECK-NEXT: %[[DOUT:.*]] = gpu.alloc () : memref<32xf32>
// CHECK-NOT: gpu.memcpy %[[DOUT]], %[[OUT]]
// CHECK: %[[HOST:.*]] = memref.get_global @weights
// CHECK-NEXT: %[[ERASED:.*]] = memref.cast %[[HOST]] : memref<4x8xf32> to memref<*xf32>
// CHECK-NEXT: %[[RESIDENT:.*]] = call @ds_gpu_resident_f32(%[[ERASED]]) : (memref<*xf32>) -> memref<*xf32>
// CHECK-NEXT: %[[DW:.*]] = memref.cast %[[RESIDENT]] : memref<*xf32> to memref<4x8xf32>
// CHECK: %[[TMP:.*]] = gpu.alloc () : memref<4x8xf32>
// CHECK: linalg.add ins(%[[DIN]], %[[DW]] : {{.*}}) outs(%[[TMP]]
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[TMP]]
// CHECK: linalg.copy ins(%[[FLAT]] : {{.*}}) outs(%[[DOUT]]
// CHECK-NEXT: gpu.dealloc %[[TMP]]
// CHECK: gpu.memcpy %[[OUT]], %[[DOUT]]
// CHECK-NOT: gpu.dealloc %[[DW]]
// CHECK-DAG: gpu.dealloc %[[DIN]]
// CHECK-DAG: gpu.dealloc %[[DOUT]]
// CHECK-NOT: gpu.dealloc %[[DW]]
// CHECK: return
// CHECK: func.func private @ds_gpu_resident_f32(memref<*xf32>) -> memref<*xf32>
// CHECK-NOT: memref.alloc
memref.global "private" constant @weights : memref<4x8xf32> = dense<1.0>
func.func @graph(%in: memref<4x8xf32>, %out: memref<32xf32>) {
  %w = memref.get_global @weights : memref<4x8xf32>
  %tmp = memref.alloc() {alignment = 64 : i64} : memref<4x8xf32>
  linalg.add ins(%in, %w : memref<4x8xf32>, memref<4x8xf32>) outs(%tmp : memref<4x8xf32>)
  %flat = memref.collapse_shape %tmp [[0, 1]] : memref<4x8xf32> into memref<32xf32>
  linalg.copy ins(%flat : memref<32xf32>) outs(%out : memref<32xf32>)
  return
}

// -----

// Dynamic sizes are read from the caller's buffer; an argument that is
// both read and written is copied both ways.
// CHECK-LABEL: func @inplace(
// CHECK-SAME: %[[BUF:.*]]: memref<?xf32>)
// CHECK: %[[N:.*]] = memref.dim %[[BUF]], %c0
// CHECK-NEXT: %[[DEV:.*]] = gpu.alloc (%[[N]]) : memref<?xf32>
// CHECK-NEXT: gpu.memcpy %[[DEV]], %[[BUF]]
// CHECK: linalg.generic {{.*}} outs(%[[DEV]]
// CHECK: gpu.memcpy %[[BUF]], %[[DEV]]
// CHECK-NEXT: gpu.dealloc %[[DEV]]
func.func @inplace(%buf: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%buf : memref<?xf32>) {
  ^bb0(%x: f32):
    %y = arith.addf %x, %x : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// A constant of a type the runtime keeps no copies of is copied per run.
// CHECK-LABEL: func @odd_constant(
// CHECK: %[[HOST:.*]] = memref.get_global @narrow
// CHECK-NEXT: %[[DEV:.*]] = gpu.alloc () : memref<4xf8E4M3FN>
// CHECK-NEXT: gpu.memcpy %[[DEV]], %[[HOST]]
// CHECK: gpu.dealloc %[[DEV]]
// CHECK-NOT: ds_gpu_resident
memref.global "private" constant @narrow : memref<4xf8E4M3FN> = dense<1.0>
func.func @odd_constant(%out: memref<4xf8E4M3FN>) {
  %c = memref.get_global @narrow : memref<4xf8E4M3FN>
  linalg.copy ins(%c : memref<4xf8E4M3FN>) outs(%out : memref<4xf8E4M3FN>)
  return
}

// -----

// A scalar the host reads from a temporary (a computed Clip bound) is
// moved into the kernels that use it by ds-gpu-distribute, so the
// temporary lives until the last op using the loaded value.
// CHECK-LABEL: func @loaded_bound(
// CHECK: %[[BOUND:.*]] = gpu.alloc () : memref<f32>
// CHECK: %[[V:.*]] = memref.load %[[BOUND]][] : memref<f32>
// CHECK-NOT: gpu.dealloc %[[BOUND]]
// CHECK: linalg.generic
// CHECK: arith.minimumf %{{.*}}, %[[V]]
// CHECK: linalg.yield
// CHECK-NEXT: }
// CHECK-NEXT: gpu.dealloc %[[BOUND]]
func.func @loaded_bound(%x: memref<8xf32>, %y: memref<8xf32>) {
  %b = memref.alloc() : memref<f32>
  linalg.generic {indexing_maps = [affine_map<(d) -> (d)>, affine_map<(d) -> ()>], iterator_types = ["reduction"]} ins(%x : memref<8xf32>) outs(%b : memref<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.maximumf %a, %acc : f32
    linalg.yield %m : f32
  }
  %v = memref.load %b[] : memref<f32>
  linalg.generic {indexing_maps = [affine_map<(d) -> (d)>, affine_map<(d) -> (d)>], iterator_types = ["parallel"]} ins(%x : memref<8xf32>) outs(%y : memref<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = arith.minimumf %a, %v : f32
    linalg.yield %c : f32
  }
  return
}
