// RUN: deepseek-opt %s -split-input-file -ds-compress-weights='min-elements=8' | FileCheck %s
// Mostly-zero constant globals become a bitmap, their non-zeros, and
// zero-initialized storage that ds_init_weights fills at load time.

// CHECK: module attributes {ds.weight_storage = {dense_bytes = 64 : i64, format = "bitmap+nonzeros", stored_bytes = 10 : i64, tensors = 1 : i64}}
// CHECK: memref.global "private" constant @w_bitmap : memref<2xi8> = dense<[1, -128]>
// CHECK: memref.global "private" constant @w_nonzeros : memref<2xf32> = dense<[1.000000e+00, 2.000000e+00]>
// CHECK: memref.global "private" @w : memref<4x4xf32> = uninitialized
// CHECK: func.func @ds_init_weights()
// CHECK: scf.for
// CHECK: memref.store
memref.global "private" constant @w : memref<4x4xf32> = dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0]]>
func.func @f() -> memref<4x4xf32> {
  %0 = memref.get_global @w : memref<4x4xf32>
  return %0 : memref<4x4xf32>
}

// -----

// Dense enough, or too small: left as they are.
// CHECK-NOT: ds_init_weights
// CHECK: memref.global "private" constant @dense : memref<8xf32>
// CHECK: memref.global "private" constant @small : memref<4xf32>
memref.global "private" constant @dense : memref<8xf32> = dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 0.0]>
memref.global "private" constant @small : memref<4xf32> = dense<[1.0, 0.0, 0.0, 0.0]>
