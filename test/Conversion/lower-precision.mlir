// RUN: deepseek-opt %s -split-input-file -ds-lower-precision=element-type=f16 | FileCheck %s
// RUN: deepseek-opt %s -split-input-file -ds-lower-precision=element-type=bf16 | FileCheck %s --check-prefix=BF16
// RUN: not deepseek-opt %s -split-input-file -ds-lower-precision=element-type=f8 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: element-type must be f16 or bf16, not 'f8'

// A matmul with a bias: the interface stays f32 (rounded on entry, widened
// on exit), weights are rounded at compile time, the product reads f16
// and accumulates in f32 from an f32 init, and the bias add that consumes
// the f32 product computes in f32 and rounds what it writes.
// CHECK-LABEL: func @matmul_bias(
// CHECK-SAME: %[[X:.*]]: tensor<2x3xf32>) -> tensor<2x4xf32>
// CHECK: %[[XL:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<2x3xf32>) outs(%{{.*}} : tensor<2x3xf16>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK-DAG: %[[W:.*]] = arith.constant dense<3.332520e-01> : tensor<3x4xf16>
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f16
// CHECK: %[[FILL:.*]] = linalg.generic {{.*}} ins(%[[ZERO]] : f16) outs(%{{.*}} : tensor<2x4xf16>)
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[FILL]] : tensor<2x4xf16>) outs(%{{.*}} : tensor<2x4xf32>)
// CHECK: %[[ACC:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[XL]], %[[W]] : tensor<2x3xf16>, tensor<3x4xf16>) outs(%[[INIT]] : tensor<2x4xf32>)
// CHECK: ^bb0(%[[A:.*]]: f16, %[[B:.*]]: f16, %[[C:.*]]: f32):
// CHECK-DAG: %[[AW:.*]] = arith.extf %[[A]] : f16 to f32
// CHECK-DAG: %[[BW:.*]] = arith.extf %[[B]] : f16 to f32
// CHECK: arith.mulf %[[AW]], %[[BW]] : f32
// CHECK: arith.addf %[[C]], %{{.*}} : f32
// CHECK: linalg.generic {{.*}} ins(%[[ACC]] : tensor<2x4xf32>) outs(%{{.*}} : tensor<2x4xf16>)
// CHECK-NEXT: ^bb0(%[[SUM:.*]]: f32, %{{.*}}: f16):
// CHECK-NEXT: %[[BIAS:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK-NEXT: %[[ADDED:.*]] = arith.addf %[[SUM]], %[[BIAS]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.truncf %[[ADDED]] : f32 to f16
// CHECK-NEXT: linalg.yield %[[R]] : f16
// CHECK: %[[OUT:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x4xf32>)
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: return %[[OUT]] : tensor<2x4xf32>
// BF16-LABEL: func @matmul_bias(
// BF16: arith.constant dense<{{.*}}> : tensor<3x4xbf16>
// BF16: arith.extf %{{.*}} : bf16 to f32
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
func.func @matmul_bias(%x: tensor<2x3xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<0.333333343> : tensor<3x4xf32>
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%mm : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %one : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

// -----

// Math functions run in f32 on rounded inputs; integer tensors and
// integer math are left alone.
// CHECK-LABEL: func @exp_and_ints(
// CHECK: ^bb0(%[[V:.*]]: f16, %[[I:.*]]: i32, %{{.*}}: f16, %{{.*}}: i32):
// CHECK: %[[W:.*]] = arith.extf %[[V]] : f16 to f32
// CHECK: %[[E:.*]] = math.exp %[[W]] : f32
// CHECK: arith.truncf %[[E]] : f32 to f16
// CHECK: arith.addi %[[I]], %[[I]] : i32
#id1 = affine_map<(d) -> (d)>
func.func @exp_and_ints(%x: tensor<8xf32>, %n: tensor<8xi32>) -> (tensor<8xf32>, tensor<8xi32>) {
  %e = tensor.empty() : tensor<8xf32>
  %ei = tensor.empty() : tensor<8xi32>
  %r:2 = linalg.generic {indexing_maps = [#id1, #id1, #id1, #id1], iterator_types = ["parallel"]} ins(%x, %n : tensor<8xf32>, tensor<8xi32>) outs(%e, %ei : tensor<8xf32>, tensor<8xi32>) {
  ^bb0(%v: f32, %i: i32, %o: f32, %oi: i32):
    %y = math.exp %v : f32
    %j = arith.addi %i, %i : i32
    linalg.yield %y, %j : f32, i32
  } -> (tensor<8xf32>, tensor<8xi32>)
  return %r#0, %r#1 : tensor<8xf32>, tensor<8xi32>
}

// -----

// A sum of squares followed by a mean: the sum stays f32 through the
// reshape to the division, which computes in f32 (in f16 a sum of 1024
// squares of 8 would already be infinite). A tensor outside read in an
// f32 body is read in f16 and widened; a bit cast reads its f32.
// CHECK-LABEL: func @mean_of_squares(
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}"reduction"{{.*}} outs(%{{.*}} : tensor<4xf32>)
// CHECK: %[[EXPANDED:.*]] = tensor.expand_shape %[[SUM]] {{.*}} : tensor<4xf32> into tensor<4x1xf32>
// CHECK: linalg.generic {{.*}} ins(%[[EXPANDED]] : tensor<4x1xf32>) outs(%{{.*}} : tensor<4x1xf16>)
// CHECK: %[[N:.*]] = tensor.extract %{{.*}}[%{{.*}}] : tensor<4xf16>
// CHECK-NEXT: %[[NW:.*]] = arith.extf %[[N]] : f16 to f32
// CHECK-NEXT: arith.divf %{{.*}}, %[[NW]] : f32
// CHECK: %[[WIDE:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK-NEXT: arith.bitcast %[[WIDE]] : f32 to i32
#rows = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
func.func @mean_of_squares(%x: tensor<4x1024xf32>, %counts: tensor<4xf32>) -> (tensor<4x1xf32>, tensor<4xi32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x1024xf32>) outs(%f : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %s = arith.addf %sq, %acc : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %expanded = tensor.expand_shape %sum [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %e2 = tensor.empty() : tensor<4x1xf32>
  %mean = linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]} ins(%expanded : tensor<4x1xf32>) outs(%e2 : tensor<4x1xf32>) {
  ^bb0(%s: f32, %o: f32):
    %i = linalg.index 0 : index
    %n = tensor.extract %counts[%i] : tensor<4xf32>
    %m = arith.divf %s, %n : f32
    linalg.yield %m : f32
  } -> tensor<4x1xf32>
  %ei = tensor.empty() : tensor<4xi32>
  %bits = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%counts : tensor<4xf32>) outs(%ei : tensor<4xi32>) {
  ^bb0(%c: f32, %o: i32):
    %b = arith.bitcast %c : f32 to i32
    linalg.yield %b : i32
  } -> tensor<4xi32>
  return %mean, %bits : tensor<4x1xf32>, tensor<4xi32>
}
