// RUN: deepseek-opt %s | deepseek-opt | FileCheck %s
// Round trip: every op prints in a form that parses back to the same IR.

// CHECK-LABEL: func @elementwise
func.func @elementwise(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %lo: tensor<f32>) -> tensor<2x3xf32> {
  // CHECK: dsg.add %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %0 = dsg.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: dsg.relu %{{.*}} : tensor<2x3xf32>
  %1 = dsg.relu %0 : tensor<2x3xf32>
  // CHECK: dsg.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f32} : tensor<2x3xf32>
  %2 = dsg.leaky_relu %1 {alpha = 0.1 : f32} : tensor<2x3xf32>
  // CHECK: dsg.clip %{{.*}} min %{{.*}} : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %3 = dsg.clip %2 min %lo : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  // CHECK: dsg.less %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %4 = dsg.less %3, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: dsg.where
  %5 = dsg.where %4, %3, %a : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: dsg.cast %{{.*}} : tensor<2x3xf32> -> tensor<2x3xui8>
  %6 = dsg.cast %5 : tensor<2x3xf32> -> tensor<2x3xui8>
  return %5 : tensor<2x3xf32>
}

// CHECK-LABEL: func @structured
func.func @structured(%x: tensor<1x4x8x8xf32>, %w: tensor<8x2x3x3xf32>, %bias: tensor<8xf32>,
                      %m: tensor<5x2x3xf32>, %n: tensor<3x4xf32>) -> tensor<1x8x4x4xf32> {
  // CHECK: dsg.conv {{.*}} {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
  %0 = dsg.conv %x, %w, %bias {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x4x8x8xf32>, tensor<8x2x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  // CHECK: dsg.matmul {{.*}} -> tensor<5x2x4xf32>
  %1 = dsg.matmul %m, %n : (tensor<5x2x3xf32>, tensor<3x4xf32>) -> tensor<5x2x4xf32>
  // CHECK: dsg.max_pool
  %2 = dsg.max_pool %0 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x8x4x4xf32> -> tensor<1x8x2x2xf32>
  // CHECK: dsg.reduce_mean {{.*}} {axes = array<i64: 2, 3>, keepdims = true}
  %3 = dsg.reduce_mean %2 {axes = array<i64: 2, 3>, keepdims = true} : tensor<1x8x2x2xf32> -> tensor<1x8x1x1xf32>
  // CHECK: dsg.transpose {{.*}} {perm = array<i64: 0, 2, 1>}
  %4 = dsg.transpose %1 {perm = array<i64: 0, 2, 1>} : tensor<5x2x4xf32> -> tensor<5x4x2xf32>
  // CHECK: dsg.softmax {{.*}} {axis = 2 : i64, log = false}
  %5 = dsg.softmax %4 {axis = 2 : i64, log = false} : tensor<5x4x2xf32>
  // CHECK: dsg.concat {{.*}} {axis = 0 : i64}
  %6 = dsg.concat %5, %5 {axis = 0 : i64} : (tensor<5x4x2xf32>, tensor<5x4x2xf32>) -> tensor<10x4x2xf32>
  // CHECK: dsg.slice {{.*}} {starts = array<i64: 9, 0, 1>, steps = array<i64: -2, 1, 1>}
  %7 = dsg.slice %6 {starts = array<i64: 9, 0, 1>, steps = array<i64: -2, 1, 1>} : tensor<10x4x2xf32> -> tensor<5x4x1xf32>
  return %0 : tensor<1x8x4x4xf32>
}
