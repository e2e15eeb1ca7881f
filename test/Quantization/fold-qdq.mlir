// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-fold-qdq))' | FileCheck %s

// QDQ MatMul: a per-tensor uint8 activation and an int8 weight with one
// scale per column become the int8 product of the codes; the activation's
// zero point (10) comes out with the column sums (3 * 2 = 6 and 4 * 2 = 8
// over the two rows), the scales multiply (0.5 * [0.25, 2]), and the fused
// bias and activation follow.
// CHECK-LABEL: func @matmul
// CHECK-SAME: ds.fusions = {qdq_to_integer = 1 : i64}
// CHECK: %[[ACC:.*]] = dsq.matmul_integer %arg0, %{{.*}} : (tensor<3x2xui8>, tensor<2x2xi8>) -> tensor<3x2xi32>
// CHECK: %[[SUMS:.*]] = dsg.constant dense<[3, 4]> : tensor<2xi32>
// CHECK: %[[ZP:.*]] = dsg.cast %{{.*}} : tensor<ui8> -> tensor<i32>
// CHECK: %[[CORR:.*]] = dsg.mul %[[ZP]], %[[SUMS]]
// CHECK: %[[C:.*]] = dsg.sub %[[ACC]], %[[CORR]]
// CHECK: %[[WS:.*]] = dsg.constant dense<[2.500000e-01, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[S:.*]] = dsg.mul %{{.*}}, %[[WS]]
// CHECK: %[[Y:.*]] = dsq.dequantize %[[C]], %[[S]] {axis = -1 : i64}
// CHECK: %[[B:.*]] = dsg.add %[[Y]], %{{.*}}
// CHECK: dsg.relu %[[B]]
// CHECK-NOT: dsg.matmul
func.func @matmul(%xq: tensor<3x2xui8>) -> tensor<3x2xf32> {
  %sx = dsg.constant dense<0.5> : tensor<f32>
  %zx = dsg.constant dense<10> : tensor<ui8>
  %x = dsq.dequantize %xq, %sx, %zx : (tensor<3x2xui8>, tensor<f32>, tensor<ui8>) -> tensor<3x2xf32>
  %wq = dsg.constant dense<[[1, 2], [2, 2]]> : tensor<2x2xi8>
  %sw = dsg.constant dense<[0.25, 2.0]> : tensor<2xf32>
  %w = dsq.dequantize %wq, %sw : (tensor<2x2xi8>, tensor<2xf32>) -> tensor<2x2xf32>
  %b = dsg.constant dense<1.0> : tensor<2xf32>
  %y = dsg.matmul %x, %w, %b {activation = "relu"} : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Gemm with transB: the weight's rows are its output channels (axis 0);
// the codes are transposed at compile time.
// CHECK-LABEL: func @gemm
// CHECK: dsg.constant dense<{{\[\[}}1, 3], [2, 4]]> : tensor<2x2xi8>
// CHECK: dsq.matmul_integer
// CHECK-NOT: dsg.gemm
func.func @gemm(%xq: tensor<1x2xui8>) -> tensor<1x2xf32> {
  %sx = dsg.constant dense<0.5> : tensor<1xf32>
  %x = dsq.dequantize %xq, %sx : (tensor<1x2xui8>, tensor<1xf32>) -> tensor<1x2xf32>
  %wq = dsg.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %sw = dsg.constant dense<[0.25, 2.0]> : tensor<2xf32>
  %w = dsq.dequantize %wq, %sw {axis = 0 : i64} : (tensor<2x2xi8>, tensor<2xf32>) -> tensor<2x2xf32>
  %y = dsg.gemm %x, %w {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Not folded: a weight with a nonzero zero point, a weight scale along the
// input axis, and an activation quantized per channel stay in float.
// CHECK-LABEL: func @kept
// CHECK-NOT: matmul_integer
// CHECK-COUNT-3: dsg.matmul
func.func @kept(%xq: tensor<2x2xui8>, %x: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) {
  %sx = dsg.constant dense<0.5> : tensor<f32>
  %xd = dsq.dequantize %xq, %sx : (tensor<2x2xui8>, tensor<f32>) -> tensor<2x2xf32>
  %wq = dsg.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %sw = dsg.constant dense<[0.25, 2.0]> : tensor<2xf32>
  %zw = dsg.constant dense<1> : tensor<2xi8>
  %w1 = dsq.dequantize %wq, %sw, %zw {axis = 1 : i64} : (tensor<2x2xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x2xf32>
  %0 = dsg.matmul %xd, %w1 : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %w2 = dsq.dequantize %wq, %sw {axis = 0 : i64} : (tensor<2x2xi8>, tensor<2xf32>) -> tensor<2x2xf32>
  %1 = dsg.matmul %xd, %w2 : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %sxc = dsg.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %xc = dsq.dequantize %xq, %sxc {axis = 1 : i64} : (tensor<2x2xui8>, tensor<2xf32>) -> tensor<2x2xf32>
  %w3 = dsq.dequantize %wq, %sw {axis = 1 : i64} : (tensor<2x2xi8>, tensor<2xf32>) -> tensor<2x2xf32>
  %2 = dsg.matmul %xc, %w3 : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return %0, %1, %2 : tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>
}
