// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-fuse-activation))' | FileCheck %s
// Activations become the epilogue of the Conv/Gemm/MatMul feeding them.

// CHECK-LABEL: func @conv_relu
// CHECK: %[[R:.*]] = dsg.conv {{.*}}activation = "relu"
// CHECK-NOT: dsg.relu
// CHECK: return %[[R]]
func.func @conv_relu(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %0 = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = dsg.relu %0 : tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// ReLU6 is a Clip with constant bounds.
// CHECK-LABEL: func @conv_relu6
// CHECK: dsg.conv {{.*}}activation = "clip", activation_params = [0.000000e+00 : f32, 6.000000e+00 : f32]
// CHECK-NOT: dsg.clip
func.func @conv_relu6(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %lo = dsg.constant dense<0.0> : tensor<f32>
  %hi = dsg.constant dense<6.0> : tensor<f32>
  %0 = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = dsg.clip %0 min %lo max %hi : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// CHECK-LABEL: func @gemm_leaky_relu
// CHECK: dsg.gemm {{.*}}activation = "leaky_relu", activation_params = [1.000000e-01 : f32]
// CHECK-LABEL: func @matmul_gelu
// CHECK: dsg.matmul {{.*}}activation = "gelu"
// CHECK-LABEL: func @matmul_hard_sigmoid
// CHECK: dsg.matmul {{.*}}activation = "hard_sigmoid", activation_params = [2.000000e-01 : f32, 5.000000e-01 : f32]
// CHECK-LABEL: func @matmul_sigmoid_tanh_hardswish
// CHECK: dsg.matmul {{.*}}activation = "sigmoid"
// CHECK: dsg.matmul {{.*}}activation = "tanh"
// CHECK: dsg.matmul {{.*}}activation = "hard_swish"
func.func @gemm_leaky_relu(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %0 = dsg.gemm %a, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %1 = dsg.leaky_relu %0 {alpha = 0.1 : f32} : tensor<2x4xf32>
  return %1 : tensor<2x4xf32>
}
func.func @matmul_gelu(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %0 = dsg.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %1 = dsg.gelu %0 {approximate = false} : tensor<2x4xf32>
  return %1 : tensor<2x4xf32>
}
func.func @matmul_hard_sigmoid(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %0 = dsg.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %1 = dsg.hard_sigmoid %0 {alpha = 0.2 : f32, beta = 0.5 : f32} : tensor<2x4xf32>
  return %1 : tensor<2x4xf32>
}
func.func @matmul_sigmoid_tanh_hardswish(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %0 = dsg.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %1 = dsg.sigmoid %0 : tensor<2x4xf32>
  %2 = dsg.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %3 = dsg.tanh %2 : tensor<2x4xf32>
  %4 = dsg.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %5 = dsg.hard_swish %4 : tensor<2x4xf32>
  return %1, %3, %5 : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// The pre-activation value is also a graph output: no fusion across it.
// CHECK-LABEL: func @graph_output_between
// CHECK: %[[C:.*]] = dsg.conv
// CHECK-NOT: activation
// CHECK: %[[R:.*]] = dsg.relu %[[C]]
// CHECK: return %[[C]], %[[R]]
func.func @graph_output_between(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %0 = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = dsg.relu %0 : tensor<1x2x4x4xf32>
  return %0, %1 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// A second activation cannot stack on the first; a Clip with run-time
// bounds has no constant parameters; an activation of a non-contraction
// stays as is.
// CHECK-LABEL: func @not_fused
// CHECK: dsg.matmul {{.*}}activation = "relu"
// CHECK: dsg.sigmoid
// CHECK: dsg.clip
// CHECK: dsg.relu
func.func @not_fused(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %hi: tensor<f32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x3xf32>) {
  %0 = dsg.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %1 = dsg.relu %0 : tensor<2x4xf32>
  %2 = dsg.sigmoid %1 : tensor<2x4xf32>
  %3 = dsg.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %4 = dsg.clip %3 min %hi max %hi : (tensor<2x4xf32>, tensor<f32>, tensor<f32>) -> tensor<2x4xf32>
  %5 = dsg.relu %a : tensor<2x3xf32>
  return %2, %4, %5 : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x3xf32>
}
