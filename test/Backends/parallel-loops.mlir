// RUN: deepseek-opt %s -split-input-file -ds-outline-parallel-loops | FileCheck %s --check-prefix=OUTLINE
// RUN: deepseek-opt %s -split-input-file -ds-dispatch-parallel-calls | FileCheck %s --check-prefix=DISPATCH

// A thread-level loop on buffers becomes a call over its 4 iterations of a
// function that runs iterations [lo, hi): the step is applied inside, the
// buffers and the scalar it reads are passed, constants are rebuilt.
// OUTLINE-LABEL: func.func @scale(
// OUTLINE-NOT: scf.forall
// OUTLINE: %[[N:.*]] = arith.divui
// OUTLINE: call @scale__ds_parallel_0(%{{.*}}, %[[N]], %arg0, %arg1, %arg2) {ds.parallel_for}
// OUTLINE: func.func private @scale__ds_parallel_0(%[[LO:.*]]: index, %[[HI:.*]]: index, %[[A:.*]]: memref<64x32xf32>, %[[B:.*]]: memref<64x32xf32>, %[[S:.*]]: f32)
// OUTLINE-DAG: %[[C16:.*]] = arith.constant 16 : index
// OUTLINE: scf.for %[[T:.*]] = %[[LO]] to %[[HI]]
// OUTLINE: arith.muli %[[T]], %[[C16]]
// OUTLINE: memref.subview %[[A]]
// OUTLINE: arith.mulf %{{.*}}, %[[S]]
func.func @scale(%a: memref<64x32xf32>, %b: memref<64x32xf32>, %s: f32) {
  scf.forall (%i) = (0) to (64) step (16) {
    %va = memref.subview %a[%i, 0] [16, 32] [1, 1] : memref<64x32xf32> to memref<16x32xf32, strided<[32, 1], offset: ?>>
    %vb = memref.subview %b[%i, 0] [16, 32] [1, 1] : memref<64x32xf32> to memref<16x32xf32, strided<[32, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%va : memref<16x32xf32, strided<[32, 1], offset: ?>>) outs(%vb : memref<16x32xf32, strided<[32, 1], offset: ?>>) {
    ^bb0(%x: f32, %y: f32):
      %m = arith.mulf %x, %s : f32
      linalg.yield %m : f32
    }
  }
  return
}

// -----

// On the LLVM dialect the call becomes ds_parallel_for over the same range,
// the captures stored in a struct in the caller's frame, and a trampoline
// that loads them back and calls the body.
// DISPATCH: llvm.func @ds_parallel_for(i64, i64, !llvm.ptr, !llvm.ptr)
// DISPATCH: llvm.func internal @body(
// DISPATCH-LABEL: llvm.func @caller(
// DISPATCH: %[[CTX:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(ptr, f32)>
// DISPATCH: %[[F0:.*]] = llvm.getelementptr %[[CTX]][0, 0]
// DISPATCH: llvm.store %arg0, %[[F0]]
// DISPATCH: %[[F1:.*]] = llvm.getelementptr %[[CTX]][0, 1]
// DISPATCH: llvm.store %arg1, %[[F1]]
// DISPATCH: %[[TASK:.*]] = llvm.mlir.addressof @body__task
// DISPATCH: llvm.call @ds_parallel_for(%{{.*}}, %{{.*}}, %[[TASK]], %[[CTX]])
// DISPATCH-NOT: llvm.call @body(
// DISPATCH: llvm.func internal @body__task(%[[LO:.*]]: i64, %[[HI:.*]]: i64, %[[P:.*]]: !llvm.ptr)
// DISPATCH: llvm.load {{.*}} -> !llvm.ptr
// DISPATCH: llvm.load {{.*}} -> f32
// DISPATCH: llvm.call @body(%[[LO]], %[[HI]],
llvm.func @body(%lo: i64, %hi: i64, %p: !llvm.ptr, %x: f32) {
  llvm.return
}
llvm.func @caller(%p: !llvm.ptr, %x: f32) {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c4 = llvm.mlir.constant(4 : i64) : i64
  llvm.call @body(%c0, %c4, %p, %x) {ds.parallel_for} : (i64, i64, !llvm.ptr, f32) -> ()
  llvm.return
}
