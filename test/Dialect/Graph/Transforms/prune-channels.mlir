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
