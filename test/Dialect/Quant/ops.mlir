// RUN: deepseek-opt %s | deepseek-opt | FileCheck %s
// Every dsq op and scale layout round-trips through the printer.

// CHECK-LABEL: func @layouts
func.func @layouts(%x: tensor<4x6xf32>, %s0: tensor<f32>, %z0: tensor<ui8>,
                   %s1: tensor<6xf32>, %z1: tensor<6xi8>,
                   %sb: tensor<4x2xf32>) -> (tensor<4x6xui8>, tensor<4x6xi8>, tensor<4x6xi4>) {
  // CHECK: dsq.quantize %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4x6xf32>, tensor<f32>, tensor<ui8>) -> tensor<4x6xui8>
  %0 = dsq.quantize %x, %s0, %z0 : (tensor<4x6xf32>, tensor<f32>, tensor<ui8>) -> tensor<4x6xui8>
  // CHECK: dsq.quantize {{.*}} {axis = -1 : i64}
  %1 = dsq.quantize %x, %s1, %z1 {axis = -1 : i64} : (tensor<4x6xf32>, tensor<6xf32>, tensor<6xi8>) -> tensor<4x6xi8>
  // CHECK: dsq.quantize {{.*}} {block_size = 3 : i64}
  %2 = dsq.quantize %x, %sb {block_size = 3 : i64} : (tensor<4x6xf32>, tensor<4x2xf32>) -> tensor<4x6xi4>
  return %0, %1, %2 : tensor<4x6xui8>, tensor<4x6xi8>, tensor<4x6xi4>
}

// CHECK-LABEL: func @dynamic_int8_matmul
func.func @dynamic_int8_matmul(%x: tensor<?x8xf32>, %w: tensor<8x3xi8>,
                               %ws: tensor<3xf32>) -> tensor<?x3xf32> {
  // CHECK: dsq.dynamic_quantize %{{.*}} : tensor<?x8xf32> -> tensor<?x8xui8>, tensor<f32>, tensor<ui8>
  %q, %scale, %zp = dsq.dynamic_quantize %x : tensor<?x8xf32> -> tensor<?x8xui8>, tensor<f32>, tensor<ui8>
  // CHECK: dsq.matmul_integer %{{.*}}, %{{.*}} : (tensor<?x8xui8>, tensor<8x3xi8>) -> tensor<?x3xi32>
  %acc = dsq.matmul_integer %q, %w : (tensor<?x8xui8>, tensor<8x3xi8>) -> tensor<?x3xi32>
  %s = dsg.mul %scale, %ws : (tensor<f32>, tensor<3xf32>) -> tensor<3xf32>
  // CHECK: dsq.dequantize %{{.*}}, %{{.*}} : (tensor<?x3xi32>, tensor<3xf32>) -> tensor<?x3xf32>
  %y = dsq.dequantize %acc, %s : (tensor<?x3xi32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// CHECK-LABEL: func @zero_points
func.func @zero_points(%a: tensor<2x4xui8>, %b: tensor<4x3xui8>, %za: tensor<2xui8>,
                       %zb: tensor<3xui8>) -> tensor<2x3xi32> {
  // CHECK: dsq.matmul_integer %{{.*}}, %{{.*}} zero_points(%{{.*}}, %{{.*}})
  %0 = dsq.matmul_integer %a, %b zero_points(%za, %zb) : (tensor<2x4xui8>, tensor<4x3xui8>, tensor<2xui8>, tensor<3xui8>) -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// CHECK-LABEL: func @w4a8
func.func @w4a8(%x: tensor<2x100xui8>, %sx: tensor<f32>, %zx: tensor<ui8>,
                %w: tensor<5x64xui8>, %s: tensor<5x2xf32>, %z: tensor<5x2xui8>)
    -> tensor<2x5xf32> {
  // CHECK: dsq.weight_matmul_integer %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} zero_points %{{.*}} {bits = 4 : i64, group_size = 64 : i64, in_features = 100 : i64}
  %0 = dsq.weight_matmul_integer %x, %sx, %zx, %w, %s zero_points %z {bits = 4 : i64, group_size = 64 : i64, in_features = 100 : i64} : (tensor<2x100xui8>, tensor<f32>, tensor<ui8>, tensor<5x64xui8>, tensor<5x2xf32>, tensor<5x2xui8>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// CHECK-LABEL: func @int4_weights
func.func @int4_weights(%x: tensor<2x100xf32>, %w: tensor<5x64xui8>, %s: tensor<5x2xf32>,
                        %z: tensor<5x2xui8>, %bias: tensor<5xf32>) -> tensor<2x5xf32> {
  // CHECK: dsq.weight_matmul %{{.*}}, %{{.*}}, %{{.*}} zero_points %{{.*}} bias %{{.*}} {bits = 4 : i64, group_size = 64 : i64, in_features = 100 : i64}
  %0 = dsq.weight_matmul %x, %w, %s zero_points %z bias %bias {bits = 4 : i64, group_size = 64 : i64, in_features = 100 : i64} : (tensor<2x100xf32>, tensor<5x64xui8>, tensor<5x2xf32>, tensor<5x2xui8>, tensor<5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}
