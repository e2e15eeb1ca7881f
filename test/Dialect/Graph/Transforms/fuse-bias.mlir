// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-fuse-bias))' | FileCheck %s
// An Add after MatMul, after a Gemm without C, or after a Conv without bias
// (a per-channel constant) becomes its bias.

// CHECK-LABEL: func @matmul_add
// CHECK: %[[R:.*]] = dsg.matmul %arg0, %arg1, %arg2 : (tensor<8x128x64xf32>, tensor<64x32xf32>, tensor<32xf32>) -> tensor<8x128x32xf32>
// CHECK-NOT: dsg.add
// CHECK: return %[[R]]
func.func @matmul_add(%x: tensor<8x128x64xf32>, %w: tensor<64x32xf32>, %b: tensor<32xf32>) -> tensor<8x128x32xf32> {
  %0 = dsg.matmul %x, %w : (tensor<8x128x64xf32>, tensor<64x32xf32>) -> tensor<8x128x32xf32>
  %1 = dsg.add %b, %0 : (tensor<32xf32>, tensor<8x128x32xf32>) -> tensor<8x128x32xf32>
  return %1 : tensor<8x128x32xf32>
}

// -----

// CHECK-LABEL: func @gemm_add
// CHECK: dsg.gemm %arg0, %arg1, %arg2 {{.*}}beta = 1.000000e+00
// CHECK-NOT: dsg.add
func.func @gemm_add(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %c: tensor<4xf32>) -> tensor<2x4xf32> {
  %0 = dsg.gemm %a, %b {alpha = 1.0 : f32, beta = 0.0 : f32, trans_a = false, trans_b = false} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %1 = dsg.add %0, %c : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %1 : tensor<2x4xf32>
}

// -----

// Not fused: the Add broadcasts the product to a bigger shape; the product
// has another user; the MatMul already applies an activation.
// CHECK-LABEL: func @not_fused
// CHECK-COUNT-3: dsg.add
func.func @not_fused(%x: tensor<4x8xf32>, %w: tensor<8x1xf32>, %b: tensor<4x16xf32>, %c: tensor<1xf32>) -> (tensor<4x16xf32>, tensor<4x1xf32>, tensor<4x1xf32>, tensor<4x1xf32>) {
  %0 = dsg.matmul %x, %w : (tensor<4x8xf32>, tensor<8x1xf32>) -> tensor<4x1xf32>
  %1 = dsg.add %0, %b : (tensor<4x1xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  %2 = dsg.matmul %x, %w : (tensor<4x8xf32>, tensor<8x1xf32>) -> tensor<4x1xf32>
  %3 = dsg.add %2, %c : (tensor<4x1xf32>, tensor<1xf32>) -> tensor<4x1xf32>
  %4 = dsg.matmul %x, %w {activation = "relu"} : (tensor<4x8xf32>, tensor<8x1xf32>) -> tensor<4x1xf32>
  %5 = dsg.add %4, %c : (tensor<4x1xf32>, tensor<1xf32>) -> tensor<4x1xf32>
  return %1, %2, %3, %5 : tensor<4x16xf32>, tensor<4x1xf32>, tensor<4x1xf32>, tensor<4x1xf32>
}

// -----

// CHECK-LABEL: func @conv_add
// CHECK: %[[B:.*]] = dsg.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: dsg.conv %arg0, %arg1, %[[B]]
// CHECK-NOT: dsg.add
func.func @conv_add(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %b = dsg.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %0 = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = dsg.add %0, %b : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// Not per channel (varies along width), or not constant: the Add stays.
// CHECK-LABEL: func @conv_add_not_bias
// CHECK-COUNT-2: dsg.add
func.func @conv_add_not_bias(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>, %r: tensor<2x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %b = dsg.constant dense<1.0> : tensor<4xf32>
  %0 = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = dsg.add %0, %b : (tensor<1x2x4x4xf32>, tensor<4xf32>) -> tensor<1x2x4x4xf32>
  %2 = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %3 = dsg.add %2, %r : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %1, %3 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}
