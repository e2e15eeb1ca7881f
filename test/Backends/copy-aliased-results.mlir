// RUN: deepseek-opt %s -split-input-file -ds-copy-aliased-results | FileCheck %s

// CHECK-LABEL: func @returned_argument
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
func.func @returned_argument(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: %[[DEST:.*]] = bufferization.alloc_tensor() : tensor<4xf32>
  // CHECK: %[[COPY:.*]] = linalg.copy ins(%[[X]] : tensor<4xf32>) outs(%[[DEST]] : tensor<4xf32>)
  // CHECK: return %[[COPY]]
  return %x : tensor<4xf32>
}

// -----

// The first use of a value keeps it; the second gets a copy.
// CHECK-LABEL: func @returned_twice
func.func @returned_twice(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  // CHECK: %[[V:.*]] = tensor.empty
  %0 = tensor.empty() : tensor<4xf32>
  // CHECK: %[[COPY:.*]] = linalg.copy ins(%[[V]]
  // CHECK: return %[[V]], %[[COPY]]
  return %0, %0 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Distinct computed results are left alone (negative case).
// CHECK-LABEL: func @distinct
func.func @distinct() -> (tensor<4xf32>, tensor<2xf32>) {
  %0 = tensor.empty() : tensor<4xf32>
  %1 = tensor.empty() : tensor<2xf32>
  // CHECK-NOT: linalg.copy
  // CHECK: return
  return %0, %1 : tensor<4xf32>, tensor<2xf32>
}
