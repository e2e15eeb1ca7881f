// RUN: deepseek-opt %s -canonicalize -split-input-file | FileCheck %s
// The dsg folders: shape arithmetic folds to constants, no-op data movement
// disappears.

// CHECK-LABEL: func @fold_shape_arith
func.func @fold_shape_arith() -> tensor<2xi64> {
  %a = dsg.constant dense<[2, 3]> : tensor<2xi64>
  %b = dsg.constant dense<4> : tensor<i64>
  %0 = dsg.mul %a, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  // CHECK: %[[C:.*]] = dsg.constant dense<[8, 12]> : tensor<2xi64>
  // CHECK-NEXT: return %[[C]]
  return %0 : tensor<2xi64>
}

// -----

// CHECK-LABEL: func @fold_gather_concat
func.func @fold_gather_concat() -> tensor<3xi64> {
  %shape = dsg.constant dense<[1, 3, 224, 224]> : tensor<4xi64>
  %i = dsg.constant dense<[0, 2]> : tensor<2xi64>
  %g = dsg.gather %shape, %i {axis = 0 : i64} : (tensor<4xi64>, tensor<2xi64>) -> tensor<2xi64>
  %m = dsg.constant dense<-1> : tensor<1xi64>
  %0 = dsg.concat %g, %m {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<3xi64>
  // CHECK: dsg.constant dense<[1, 224, -1]> : tensor<3xi64>
  return %0 : tensor<3xi64>
}

// -----

// CHECK-LABEL: func @identity_transpose
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>)
func.func @identity_transpose(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = dsg.transpose %a {perm = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: return %[[A]]
  return %0 : tensor<2x3xf32>
}

// -----

// Float division by a non-constant is left alone (negative case).
// CHECK-LABEL: func @no_fold_runtime
func.func @no_fold_runtime(%a: tensor<2xf32>) -> tensor<2xf32> {
  %b = dsg.constant dense<2.0> : tensor<2xf32>
  // CHECK: dsg.div
  %0 = dsg.div %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Two transposes are one; with inverse perms, none. Constant weights are
// transposed at compile time.
// CHECK-LABEL: func @fold_transposes
// CHECK-DAG: %[[W:.*]] = dsg.constant dense<{{\[\[}}1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[T:.*]] = dsg.transpose %arg0 {perm = array<i64: 2, 0, 1>}
// CHECK: return %[[T]], %arg0, %[[W]]
func.func @fold_transposes(%x: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>, tensor<2x3x4xf32>, tensor<2x2xf32>) {
  %0 = dsg.transpose %x {perm = array<i64: 1, 0, 2>} : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %1 = dsg.transpose %0 {perm = array<i64: 2, 1, 0>} : tensor<3x2x4xf32> -> tensor<4x2x3xf32>
  %2 = dsg.transpose %0 {perm = array<i64: 1, 0, 2>} : tensor<3x2x4xf32> -> tensor<2x3x4xf32>
  %w = dsg.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %3 = dsg.transpose %w {perm = array<i64: 1, 0>} : tensor<2x2xf32> -> tensor<2x2xf32>
  return %1, %2, %3 : tensor<4x2x3xf32>, tensor<2x3x4xf32>, tensor<2x2xf32>
}

// -----

// A reshape of a reshape reads the original tensor.
// CHECK-LABEL: func @fold_reshapes
// CHECK: %[[R:.*]] = dsg.reshape %arg0 : tensor<2x3x4xf32> -> tensor<24xf32>
// CHECK-NEXT: return %[[R]]
func.func @fold_reshapes(%x: tensor<2x3x4xf32>) -> tensor<24xf32> {
  %0 = dsg.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = dsg.reshape %0 : tensor<6x4xf32> -> tensor<24xf32>
  return %1 : tensor<24xf32>
}

// -----

// A weight the exporter scales: evaluated at compile time, tensor-sized.
// CHECK-LABEL: func @fold_scaled_weight
// CHECK: %[[W:.*]] = dsg.constant dense<6.000000e+00> : tensor<64x64xf32>
// CHECK-NOT: dsg.mul
// CHECK: dsg.matmul %arg0, %[[W]]
func.func @fold_scaled_weight(%x: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %w = dsg.constant dense<3.0> : tensor<64x64xf32>
  %s = dsg.constant dense<2.0> : tensor<f32>
  %0 = dsg.mul %w, %s : (tensor<64x64xf32>, tensor<f32>) -> tensor<64x64xf32>
  %1 = dsg.matmul %x, %0 : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
  return %1 : tensor<1x64xf32>
}

// -----

// A constant B of a Gemm is transposed once, at compile time, so that the
// kernel streams its rows; a B computed at run time keeps trans_b.
// CHECK-LABEL: func @gemm_constant_trans_b
func.func @gemm_constant_trans_b(%a: tensor<2x3xf32>, %x: tensor<4x3xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = dsg.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [10.0, 11.0, 12.0]]> : tensor<4x3xf32>
  // CHECK-DAG: %[[WT:.*]] = dsg.constant dense<{{\[}}[1.000000e+00, 4.000000e+00, 7.000000e+00, 1.000000e+01], [2.000000e+00, 5.000000e+00, 8.000000e+00, 1.100000e+01], [3.000000e+00, 6.000000e+00, 9.000000e+00, 1.200000e+01]]> : tensor<3x4xf32>
  // CHECK-DAG: dsg.gemm %{{.*}}, %[[WT]] {{.*}}trans_b = false{{.*}} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %0 = dsg.gemm %a, %w {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x4xf32>
  // CHECK-DAG: dsg.gemm %{{.*}}, %{{.*}} {{.*}}trans_b = true{{.*}} : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x4xf32>
  %1 = dsg.gemm %a, %x {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x4xf32>
  return %0, %1 : tensor<2x4xf32>, tensor<2x4xf32>
}
