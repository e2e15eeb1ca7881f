// RUN: deepseek-opt %s -split-input-file -ds-fill-pad-borders | FileCheck %s

// The data goes in once; then the slabs of padding, each dimension's within
// the data's range of the dimensions before it: rows 0 and 5 whole, then
// columns 0 and 5..6 of rows 1..4 only.
// CHECK-LABEL: func @borders
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x4xf32>)
// CHECK: %[[ZERO:.*]] = arith.constant 0.0
// CHECK-NOT: tensor.pad
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x6x7xf32>
// CHECK: %[[D:.*]] = tensor.insert_slice %[[X]] into %[[E]][0, 1, 1] [2, 4, 4] [1, 1, 1]
// CHECK: %[[S0:.*]] = tensor.extract_slice %[[D]][0, 0, 0] [2, 1, 7] [1, 1, 1]
// CHECK: %[[F0:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[S0]] : tensor<2x1x7xf32>)
// CHECK: %[[P0:.*]] = tensor.insert_slice %[[F0]] into %[[D]][0, 0, 0] [2, 1, 7] [1, 1, 1]
// CHECK: tensor.extract_slice %[[P0]][0, 5, 0] [2, 1, 7] [1, 1, 1]
// CHECK: tensor.extract_slice %{{.*}}[0, 1, 0] [2, 4, 1] [1, 1, 1]
// CHECK: tensor.extract_slice %{{.*}}[0, 1, 5] [2, 4, 2] [1, 1, 1]
// CHECK: %[[R:.*]] = tensor.insert_slice %{{.*}}[0, 1, 5] [2, 4, 2] [1, 1, 1]
// CHECK: return %[[R]]
func.func @borders(%x: tensor<2x4x4xf32>) -> tensor<2x6x7xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 1] high[0, 1, 2] {
  ^bb0(%i: index, %j: index, %k: index):
    tensor.yield %zero : f32
  } : tensor<2x4x4xf32> to tensor<2x6x7xf32>
  return %p : tensor<2x6x7xf32>
}

// -----

// A padding value that depends on the position is left to tensor.pad.
// CHECK-LABEL: func @not_constant
// CHECK: tensor.pad
func.func @not_constant(%x: tensor<4xf32>) -> tensor<6xf32> {
  %p = tensor.pad %x low[1] high[1] {
  ^bb0(%i: index):
    %c = arith.index_cast %i : index to i32
    %f = arith.sitofp %c : i32 to f32
    tensor.yield %f : f32
  } : tensor<4xf32> to tensor<6xf32>
  return %p : tensor<6xf32>
}
