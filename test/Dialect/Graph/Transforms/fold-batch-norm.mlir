// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-fold-batch-norm))' | FileCheck %s
// BatchNormalization folds into the Conv/Gemm/MatMul before it: each output
// channel's weights scaled by s = gamma / sqrt(var + eps), the bias becoming
// (bias - mean) * s + beta. Here s = [1, 2].

// CHECK-LABEL: func @conv_bn
// CHECK-DAG: %[[W:.*]] = dsg.constant dense<{{\[\[\[\[}}1.000000e+00]]], {{\[\[\[}}4.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = dsg.constant dense<[5.000000e+00, 0.000000e+00]> : tensor<2xf32>
// CHECK: %[[R:.*]] = dsg.conv %arg0, %[[W]], %[[B]]
// CHECK-NOT: dsg.batch_norm
// CHECK: return %[[R]]
func.func @conv_bn(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = dsg.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %b = dsg.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %gamma = dsg.constant dense<[2.0, 4.0]> : tensor<2xf32>
  %beta = dsg.constant dense<[3.0, -1.0]> : tensor<2xf32>
  %mean = dsg.constant dense<[-1.0, 0.5]> : tensor<2xf32>
  %var = dsg.constant dense<[3.0, 3.0]> : tensor<2xf32>
  %0 = dsg.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %1 = dsg.batch_norm %0, %gamma, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// CHECK-LABEL: func @gemm_bn
// CHECK-DAG: %[[B:.*]] = dsg.constant dense<{{\[\[}}1.000000e+00, 4.000000e+00], [3.000000e+00, 8.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[C:.*]] = dsg.constant dense<[5.000000e+00, 0.000000e+00]> : tensor<2xf32>
// CHECK: dsg.gemm %arg0, %[[B]], %[[C]] {{.*}}beta = 1.000000e+00 : f32
// CHECK-NOT: dsg.batch_norm
func.func @gemm_bn(%a: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %b = dsg.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %c = dsg.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %gamma = dsg.constant dense<[2.0, 4.0]> : tensor<2xf32>
  %beta = dsg.constant dense<[3.0, -1.0]> : tensor<2xf32>
  %mean = dsg.constant dense<[-1.0, 0.5]> : tensor<2xf32>
  %var = dsg.constant dense<[3.0, 3.0]> : tensor<2xf32>
  %0 = dsg.gemm %a, %b, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %1 = dsg.batch_norm %0, %gamma, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %1 : tensor<1x2xf32>
}

// -----

// A 2-D MatMul gains the folded bias.
// CHECK-LABEL: func @matmul_bn
// CHECK-DAG: %[[R:.*]] = dsg.constant dense<{{\[\[}}1.000000e+00, 4.000000e+00], [3.000000e+00, 8.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[B:.*]] = dsg.constant dense<[4.000000e+00, -2.000000e+00]> : tensor<2xf32>
// CHECK: dsg.matmul %arg0, %[[R]], %[[B]]
// CHECK-NOT: dsg.batch_norm
func.func @matmul_bn(%a: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %b = dsg.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %gamma = dsg.constant dense<[2.0, 4.0]> : tensor<2xf32>
  %beta = dsg.constant dense<[3.0, -1.0]> : tensor<2xf32>
  %mean = dsg.constant dense<[-1.0, 0.5]> : tensor<2xf32>
  %var = dsg.constant dense<[3.0, 3.0]> : tensor<2xf32>
  %0 = dsg.matmul %a, %b : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %1 = dsg.batch_norm %0, %gamma, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %1 : tensor<1x2xf32>
}

// -----

// The conv result has a second user (here a graph output): folding would
// change what that user sees, so nothing moves.
// CHECK-LABEL: func @conv_second_user
// CHECK: dsg.conv
// CHECK: dsg.batch_norm
func.func @conv_second_user(%x: tensor<1x1x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = dsg.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %p = dsg.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %0 = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = dsg.batch_norm %0, %p, %p, %p, %p {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %0, %1 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Weights only known at run time cannot be rewritten at compile time.
// CHECK-LABEL: func @conv_runtime_weights
// CHECK: dsg.batch_norm
func.func @conv_runtime_weights(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %p = dsg.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %0 = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = dsg.batch_norm %0, %p, %p, %p, %p {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// An activation already fused into the conv comes before the batch_norm:
// folding would move the batch_norm ahead of it.
// CHECK-LABEL: func @conv_with_epilogue
// CHECK: dsg.batch_norm
func.func @conv_with_epilogue(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = dsg.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %p = dsg.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %0 = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, activation = "relu"} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = dsg.batch_norm %0, %p, %p, %p, %p {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}
