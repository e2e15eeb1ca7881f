// RUN: deepseek-opt --ds-instrument-layers %s | FileCheck %s

// A mark before each layer and one before the return. The fill and the
// matmul of node "mm" are one layer; constants and tensor.empty are none.
// Costs come from ds.node_costs (FLOPs, weight bytes per node), which the
// pass consumes; the bytes of the other tensors are counted here.

// CHECK: module attributes {ds.profile_layers = [
// CHECK-SAME: {activation_bytes = 640 : i64, flops = 512 : i64, node = "mm", op = "linalg.matmul", weight_bytes = 256 : i64},
// CHECK-SAME: {activation_bytes = 384 : i64, flops = 32 : i64, node = "relu", op = "linalg.generic", weight_bytes = 0 : i64}]}
// CHECK-NOT: ds.node_costs
// CHECK: func.func private @ds_profile_mark(i32)
// CHECK-LABEL: func.func @main_graph
// CHECK: tensor.empty
// CHECK: %[[L0:.*]] = arith.constant 0 : i32
// CHECK-NEXT: call @ds_profile_mark(%[[L0]])
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: linalg.matmul
// CHECK-NEXT: %[[L1:.*]] = arith.constant 1 : i32
// CHECK-NEXT: call @ds_profile_mark(%[[L1]])
// CHECK-NEXT: linalg.generic
// CHECK: %[[END:.*]] = arith.constant 2 : i32
// CHECK-NEXT: call @ds_profile_mark(%[[END]])
// CHECK-NEXT: return
module attributes {ds.node_costs = {mm = array<i64: 512, 256>, relu = array<i64: 32, 0>}} {
  func.func @main_graph(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %w = arith.constant dense<1.0> : tensor<8x8xf32>
    %e = tensor.empty() : tensor<4x8xf32> loc("mm")
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32> loc("mm")
    %m = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x8xf32>)
                       outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32> loc("mm")
    %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
                                          affine_map<(i, j) -> (i, j)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%m : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
    ^bb0(%a: f32, %o: f32):
      %c = arith.maximumf %a, %z : f32
      linalg.yield %c : f32
    } -> tensor<4x8xf32> loc("relu")
    return %r : tensor<4x8xf32>
  }
}
