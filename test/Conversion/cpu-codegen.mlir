// RUN: deepseek-opt %s -split-input-file -ds-graph-to-linalg-pipeline -ds-cpu-codegen-pipeline | FileCheck %s
// The whole CPU lowering: outputs become caller-provided buffers, the graph
// function takes each buffer as memref descriptor fields (allocated and
// aligned pointers, offset, sizes, strides), weights are globals.

// CHECK: llvm.mlir.global private constant {{.*}} : !llvm.array<3 x f32>
// CHECK-LABEL: llvm.func @main_graph
// CHECK-SAME: (%{{[a-z0-9]+}}: !llvm.ptr, %{{[a-z0-9]+}}: !llvm.ptr, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64,
// CHECK-SAME:  %{{[a-z0-9]+}}: !llvm.ptr, %{{[a-z0-9]+}}: !llvm.ptr, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64)
// CHECK-NOT: llvm.call @_mlir_memref_to_llvm_alloc
// CHECK: llvm.fadd
// ReLU as (0 > x ? 0 : x): a NaN x stays NaN, and x86 makes it one vmaxps.
// CHECK: %[[BELOW:.*]] = llvm.fcmp "ogt" %{{.*}}, %[[X:.*]] : vector<3xf32>
// CHECK: llvm.select %[[BELOW]], %{{.*}}, %[[X]]
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
// CHECK-SAME: (%{{[a-z0-9]+}}: !llvm.ptr, %{{[a-z0-9]+}}: !llvm.ptr, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64,
// CHECK-SAME:  %{{[a-z0-9]+}}: !llvm.ptr, %{{[a-z0-9]+}}: !llvm.ptr, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64,
// CHECK-SAME:  %{{[a-z0-9]+}}: !llvm.ptr, %{{[a-z0-9]+}}: !llvm.ptr, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64,
// CHECK-SAME:  %{{[a-z0-9]+}}: !llvm.ptr, %{{[a-z0-9]+}}: !llvm.ptr, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64)
func.func @passthrough(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = dsg.neg %x : tensor<4xf32>
  return %x, %0, %0 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Dynamic dims: sizes come in the descriptors and bound the loops. A
// dynamically sized result is still computed in a heap buffer, copied to
// the caller's and freed (buffer-results-to-out-params hoists only static
// allocations). Scratch memory comes from the runtime, which reuses it.
// CHECK-LABEL: llvm.func @dynamic_batch
// CHECK: %[[BUF:.*]] = llvm.call @_mlir_memref_to_llvm_alloc
// CHECK: llvm.fadd
// CHECK: llvm.call @_mlir_memref_to_llvm_free(%[[BUF]])
// CHECK: llvm.return
func.func @dynamic_batch(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %b = dsg.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %0 = dsg.add %x, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
