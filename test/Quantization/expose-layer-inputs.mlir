// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-expose-layer-inputs))' | FileCheck %s

// Each layer's input becomes a result named after the layer, once per
// layer even when two layers read the same activation, and so does the
// mean of each of its features.
// CHECK-LABEL: func @layers
// CHECK-SAME: -> (tensor<2x4xf32> {ds.name = "y"}, tensor<2x4xf32> {ds.name = "a:input"}, tensor<4xf32> {ds.name = "a:input_mean"}, tensor<2x16xf32> {ds.name = "b:input"}, tensor<16xf32> {ds.name = "b:input_mean"}, tensor<2x16xf32> {ds.name = "c:input"}, tensor<16xf32> {ds.name = "c:input_mean"})
// CHECK: %[[MA:.*]] = dsg.reduce_mean %arg0 {axes = array<i64: 0>, keepdims = false} : tensor<2x4xf32> -> tensor<4xf32>
// CHECK: %[[H:.*]] = dsg.relu
// CHECK: %[[MB:.*]] = dsg.reduce_mean %[[H]] {axes = array<i64: 0>, keepdims = false} : tensor<2x16xf32> -> tensor<16xf32>
// CHECK: %[[MC:.*]] = dsg.reduce_mean %[[H]]
// CHECK: return %{{.*}}, %arg0, %[[MA]], %[[H]], %[[MB]], %[[H]], %[[MC]] :
func.func @layers(%x: tensor<2x4xf32>) -> (tensor<2x4xf32> {ds.name = "y"}) {
  %w = dsg.constant dense<0.5> : tensor<4x16xf32>
  %v = dsg.constant dense<0.5> : tensor<16x4xf32>
  %0 = dsg.matmul %x, %w : (tensor<2x4xf32>, tensor<4x16xf32>) -> tensor<2x16xf32> loc("a")
  %1 = dsg.relu %0 : tensor<2x16xf32>
  %2 = dsg.matmul %1, %v : (tensor<2x16xf32>, tensor<16x4xf32>) -> tensor<2x4xf32> loc("b")
  %3 = dsg.gemm %1, %v {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<2x16xf32>, tensor<16x4xf32>) -> tensor<2x4xf32> loc("c")
  %4 = dsg.add %2, %3 : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// Nothing to expose: the function is unchanged.
// CHECK-LABEL: func @none
// CHECK-SAME: -> tensor<2x4xf32>
func.func @none(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  return %x : tensor<2x4xf32>
}
