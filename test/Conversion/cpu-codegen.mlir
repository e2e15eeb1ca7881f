// RUN: deepseek-opt %s -split-input-file -ds-graph-to-linalg-pipeline -ds-cpu-codegen-pipeline | FileCheck %s
// The whole CPU lowering: outputs become caller-provided buffers, the graph
// function takes bare pointers (the artifact ABI), weights are globals.

// CHECK: llvm.mlir.global private constant {{.*}} : !llvm.array<3 x f32>
// CHECK-LABEL: llvm.func @main_graph
// CHECK-SAME: (%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK-NOT: llvm.call @malloc
// CHECK: llvm.fadd
// CHECK: llvm.intr.maximum
// CHECK: llvm.return
func.func @main_graph(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %b = dsg.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = dsg.add %x, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = dsg.relu %0 : tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// A returned argument (ONNX Identity) and a value returned twice still get
// one distinct output buffer each: the function copies into them.
// CHECK-LABEL: llvm.func @passthrough
// CHECK-SAME: (%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
func.func @passthrough(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = dsg.neg %x : tensor<4xf32>
  return %x, %0, %0 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
