// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-prune-weights{sparsity=0.5 structured=true}))' | FileCheck %s
// Structured pruning: the output channels of a Conv with the smallest L1
// norm go, and the shapes follow through per-channel ops to the next
// Conv's input channels.

// Channels 1 and 3 (norms 1 and 2) go; 0 and 2 (norms 10 and 30) stay.
// CHECK-LABEL: func @chain
// CHECK-SAME: ds.pruning = {{.*}}sparsity = 5.000000e-01
// CHECK: %[[W1:.*]] = dsg.constant dense<{{\[\[\[\[}}1.000000e+01]]], {{\[\[\[}}3.000000e+01]]]]> : tensor<2x1x1x1xf32>
// CHECK: %[[C1:.*]] = dsg.conv %arg0, %[[W1]] {{.*}} -> tensor<1x2x4x4xf32>
// CHECK: dsg.batch_norm %[[C1]], {{.*}} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
// CHECK: dsg.relu {{.*}} : tensor<1x2x4x4xf32>
// CHECK: dsg.max_pool {{.*}} -> tensor<1x2x2x2xf32>
// CHECK: %[[W2:.*]] = dsg.constant dense<{{\[\[\[\[}}1.000000e+00]], {{\[\[}}3.000000e+00]]]]> : tensor<1x2x1x1xf32>
// CHECK: dsg.conv {{.*}}, %[[W2]] {{.*}} -> tensor<1x1x2x2xf32>
func.func @chain(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %w1 = dsg.constant dense<[[[[10.0]]], [[[-1.0]]], [[[30.0]]], [[[2.0]]]]> : tensor<4x1x1x1xf32>
  %p = dsg.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w2 = dsg.constant dense<[[[[1.0]], [[2.0]], [[3.0]], [[4.0]]]]> : tensor<1x4x1x1xf32>
  %0 = dsg.conv %x, %w1 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<4x1x1x1xf32>) -> tensor<1x4x4x4xf32>
  %1 = dsg.batch_norm %0, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %2 = dsg.relu %1 : tensor<1x4x4x4xf32>
  %3 = dsg.max_pool %2 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x4x4x4xf32> -> tensor<1x4x2x2xf32>
  %4 = dsg.conv %3, %w2 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x2x2xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x2x2xf32>
  return %4 : tensor<1x1x2x2xf32>
}

// -----

// A residual Add mixes the channels with another tensor's, and a graph
// output exposes them: both layers stay whole, and the report says why.
// CHECK-LABEL: func @kept_whole
// CHECK-SAME: note = "kept whole: the channels reach 'dsg.add'
// CHECK-SAME: note = "kept whole: the channels are a graph output"
// CHECK-NOT: tensor<1x2x4x4xf32>
func.func @kept_whole(%x: tensor<1x4x4x4xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) {
  %w = dsg.constant dense<1.0> : tensor<4x4x1x1xf32>
  %0 = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32>
  %1 = dsg.add %0, %x : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %2 = dsg.conv %1, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32>
  return %1, %2 : tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>
}

// -----

// Gemm and MatMul layers lose output features the same way: rows of a
// transposed Gemm weight (its N axis), with the bias, through the
// activation to the next MatMul's weight rows (its K axis). Rows 1 and 3
// (norms 2 and 4) go.
// CHECK-LABEL: func @matrices
// CHECK-SAME: note = "2 of 4 output channels removed; bytes and FLOPs include the 1 reading layer(s)"
// CHECK-SAME: note = "kept whole: the channels are a graph output"
// CHECK: %[[W1:.*]] = dsg.constant dense<{{\[\[}}5.000000e+00, 5.000000e+00], [7.000000e+00, 7.000000e+00]]> : tensor<2x2xf32>
// CHECK: %[[B1:.*]] = dsg.constant dense<[1.000000e+00, 3.000000e+00]> : tensor<2xf32>
// CHECK: %[[G:.*]] = dsg.gemm %arg0, %[[W1]], %[[B1]] {{.*}} -> tensor<3x2xf32>
// CHECK: %[[R:.*]] = dsg.relu %[[G]] : tensor<3x2xf32>
// CHECK: %[[W2:.*]] = dsg.constant dense<{{\[\[}}1.000000e+00], [3.000000e+00]]> : tensor<2x1xf32>
// CHECK: dsg.matmul %[[R]], %[[W2]] : (tensor<3x2xf32>, tensor<2x1xf32>) -> tensor<3x1xf32>
func.func @matrices(%x: tensor<3x2xf32>) -> tensor<3x1xf32> {
  %w1 = dsg.constant dense<[[5.0, 5.0], [1.0, -1.0], [7.0, 7.0], [2.0, 2.0]]> : tensor<4x2xf32>
  %b1 = dsg.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w2 = dsg.constant dense<[[1.0], [2.0], [3.0], [4.0]]> : tensor<4x1xf32>
  %0 = dsg.gemm %x, %w1, %b1 {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<3x2xf32>, tensor<4x2xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %1 = dsg.relu %0 : tensor<3x4xf32>
  %2 = dsg.matmul %1, %w2 : (tensor<3x4xf32>, tensor<4x1xf32>) -> tensor<3x1xf32>
  return %2 : tensor<3x1xf32>
}

// -----

// Batched activations (a transformer's FFN): the features are the last
// axis; columns of a plain MatMul weight are its output channels.
// CHECK-LABEL: func @ffn
// CHECK: dsg.matmul %arg0, %{{.*}} : (tensor<2x3x2xf32>, tensor<2x2xf32>) -> tensor<2x3x2xf32>
// CHECK: dsg.matmul %{{.*}}, %{{.*}} : (tensor<2x3x2xf32>, tensor<2x2xf32>) -> tensor<2x3x2xf32>
func.func @ffn(%x: tensor<2x3x2xf32>) -> tensor<2x3x2xf32> {
  %w1 = dsg.constant dense<[[1.0, 9.0, 0.5, 8.0], [1.0, 9.0, 0.5, 8.0]]> : tensor<2x4xf32>
  %w2 = dsg.constant dense<1.0> : tensor<4x2xf32>
  %0 = dsg.matmul %x, %w1 {activation = "gelu"} : (tensor<2x3x2xf32>, tensor<2x4xf32>) -> tensor<2x3x4xf32>
  %1 = dsg.matmul %0, %w2 : (tensor<2x3x4xf32>, tensor<4x2xf32>) -> tensor<2x3x2xf32>
  return %1 : tensor<2x3x2xf32>
}

// -----

// A reader that transposes its input (Gemm transA) reads the features on
// another axis: the layer stays whole.
// CHECK-LABEL: func @transposed_reader
// CHECK-SAME: note = "kept whole: a consumer layer is grouped, transposes its input or has run-time weights"
// CHECK: -> tensor<3x4xf32>
func.func @transposed_reader(%x: tensor<3x2xf32>) -> tensor<4x1xf32> {
  %w1 = dsg.constant dense<1.0> : tensor<2x4xf32>
  %w2 = dsg.constant dense<1.0> : tensor<3x1xf32>
  %0 = dsg.matmul %x, %w1 : (tensor<3x2xf32>, tensor<2x4xf32>) -> tensor<3x4xf32>
  %1 = dsg.gemm %0, %w2 {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = true, trans_b = false} : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<4x1xf32>
  return %1 : tensor<4x1xf32>
}
