// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-recompose-ops))' | FileCheck %s
// GELU and LayerNormalization rebuilt from the primitives exporters emit.

// CHECK-LABEL: func @gelu_erf
// CHECK: %[[G:.*]] = dsg.gelu %arg0 {approximate = false}
// CHECK-NEXT: return %[[G]]
func.func @gelu_erf(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %sqrt2 = dsg.constant dense<1.41421354> : tensor<f32>
  %one = dsg.constant dense<1.0> : tensor<f32>
  %half = dsg.constant dense<0.5> : tensor<f32>
  %0 = dsg.div %x, %sqrt2 : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %1 = dsg.erf %0 : tensor<2x8xf32>
  %2 = dsg.add %1, %one : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %3 = dsg.mul %x, %2 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %4 = dsg.mul %3, %half : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  return %4 : tensor<2x8xf32>
}

// -----

// The half taken first, 1/sqrt(2) as a product: still GELU.
// CHECK-LABEL: func @gelu_other_order
// CHECK: dsg.gelu %arg0
func.func @gelu_other_order(%x: tensor<8xf32>) -> tensor<8xf32> {
  %r = dsg.constant dense<0.707106769> : tensor<f32>
  %one = dsg.constant dense<1.0> : tensor<f32>
  %half = dsg.constant dense<0.5> : tensor<f32>
  %h = dsg.mul %half, %x : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %0 = dsg.mul %x, %r : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %1 = dsg.erf %0 : tensor<8xf32>
  %2 = dsg.add %one, %1 : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %3 = dsg.mul %h, %2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %3 : tensor<8xf32>
}

// -----

// A constant that is not 0.5 is not GELU.
// CHECK-LABEL: func @not_gelu
// CHECK-NOT: dsg.gelu
func.func @not_gelu(%x: tensor<8xf32>) -> tensor<8xf32> {
  %sqrt2 = dsg.constant dense<1.41421354> : tensor<f32>
  %one = dsg.constant dense<1.0> : tensor<f32>
  %third = dsg.constant dense<0.333> : tensor<f32>
  %0 = dsg.div %x, %sqrt2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %1 = dsg.erf %0 : tensor<8xf32>
  %2 = dsg.add %1, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %3 = dsg.mul %x, %2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %4 = dsg.mul %3, %third : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %4 : tensor<8xf32>
}

// -----

// The opset < 17 LayerNorm export, scale and shift included.
// CHECK-LABEL: func @layer_norm
// CHECK: %[[LN:.*]] = dsg.layer_norm %arg0, %arg1, %arg2 {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
// CHECK-NEXT: return %[[LN]]
func.func @layer_norm(%x: tensor<2x4x8xf32>, %gamma: tensor<8xf32>, %beta: tensor<8xf32>) -> tensor<2x4x8xf32> {
  %two = dsg.constant dense<2.0> : tensor<f32>
  %eps = dsg.constant dense<1.0e-5> : tensor<f32>
  %m = dsg.reduce_mean %x {axes = array<i64: 2>, keepdims = true} : tensor<2x4x8xf32> -> tensor<2x4x1xf32>
  %d = dsg.sub %x, %m : (tensor<2x4x8xf32>, tensor<2x4x1xf32>) -> tensor<2x4x8xf32>
  %sq = dsg.pow %d, %two : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %v = dsg.reduce_mean %sq {axes = array<i64: 2>, keepdims = true} : tensor<2x4x8xf32> -> tensor<2x4x1xf32>
  %ve = dsg.add %v, %eps : (tensor<2x4x1xf32>, tensor<f32>) -> tensor<2x4x1xf32>
  %s = dsg.sqrt %ve : tensor<2x4x1xf32>
  %n = dsg.div %d, %s : (tensor<2x4x8xf32>, tensor<2x4x1xf32>) -> tensor<2x4x8xf32>
  %g = dsg.mul %n, %gamma : (tensor<2x4x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  %y = dsg.add %g, %beta : (tensor<2x4x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  return %y : tensor<2x4x8xf32>
}

// -----

// Means over different axes, or a leading axis, are not a layer norm.
// CHECK-LABEL: func @not_layer_norm
// CHECK-NOT: dsg.layer_norm
func.func @not_layer_norm(%x: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %eps = dsg.constant dense<1.0e-5> : tensor<f32>
  %m = dsg.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : tensor<2x4x8xf32> -> tensor<2x1x8xf32>
  %d = dsg.sub %x, %m : (tensor<2x4x8xf32>, tensor<2x1x8xf32>) -> tensor<2x4x8xf32>
  %sq = dsg.mul %d, %d : (tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %v = dsg.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : tensor<2x4x8xf32> -> tensor<2x1x8xf32>
  %ve = dsg.add %v, %eps : (tensor<2x1x8xf32>, tensor<f32>) -> tensor<2x1x8xf32>
  %s = dsg.sqrt %ve : tensor<2x1x8xf32>
  %n = dsg.div %d, %s : (tensor<2x4x8xf32>, tensor<2x1x8xf32>) -> tensor<2x4x8xf32>
  return %n : tensor<2x4x8xf32>
}
