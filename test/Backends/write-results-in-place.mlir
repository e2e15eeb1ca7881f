// RUN: deepseek-opt %s -split-input-file -ds-write-results-in-place -canonicalize | FileCheck %s

// A result returned through reshapes of its allocation is computed in the
// output parameter, seen through the inverse reshapes; the copy goes.
// CHECK-LABEL: func @reshaped_result
// CHECK-SAME: (%[[X:.*]]: memref<2x6xf32>, %[[OUT:.*]]: memref<2x2x3xf32>)
// CHECK-NOT: memref.alloc
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[OUT]] {{\[}}[0], [1, 2]] : memref<2x2x3xf32> into memref<2x6xf32>
// CHECK: linalg.copy ins(%[[X]] : memref<2x6xf32>) outs(%[[FLAT]] : memref<2x6xf32>)
// CHECK-NOT: linalg.copy
// CHECK: return
func.func @reshaped_result(%x: memref<2x6xf32>, %out: memref<2x2x3xf32>) {
  %a = memref.alloc() {alignment = 64 : i64} : memref<2x6xf32>
  linalg.copy ins(%x : memref<2x6xf32>) outs(%a : memref<2x6xf32>)
  %r = memref.expand_shape %a [[0], [1, 2]] output_shape [2, 2, 3] : memref<2x6xf32> into memref<2x2x3xf32>
  linalg.copy ins(%r : memref<2x2x3xf32>) outs(%out : memref<2x2x3xf32>)
  return
}

// -----

// An allocation still written after the copy keeps its own buffer: the
// output must hold what it held at the copy.
// CHECK-LABEL: func @written_after_copy
// CHECK: memref.alloc
// CHECK: linalg.copy
// CHECK: linalg.copy
// CHECK: linalg.fill
func.func @written_after_copy(%x: memref<2x6xf32>, %out: memref<2x2x3xf32>, %out2: memref<2x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<2x6xf32>
  linalg.copy ins(%x : memref<2x6xf32>) outs(%a : memref<2x6xf32>)
  %r = memref.expand_shape %a [[0], [1, 2]] output_shape [2, 2, 3] : memref<2x6xf32> into memref<2x2x3xf32>
  linalg.copy ins(%r : memref<2x2x3xf32>) outs(%out : memref<2x2x3xf32>)
  linalg.fill ins(%zero : f32) outs(%a : memref<2x6xf32>)
  linalg.copy ins(%a : memref<2x6xf32>) outs(%out2 : memref<2x6xf32>)
  return
}
