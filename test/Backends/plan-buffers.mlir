// RUN: deepseek-opt %s -split-input-file -ds-plan-buffers | FileCheck %s

// A chain: %a dies when %c is born, so they share offset 0; %b, live with
// both, goes after them. One arena, freed where the buffers were.
// CHECK-LABEL: func @chain
// CHECK-SAME: (%[[IN:.*]]: memref<256xf32>, %[[OUT:.*]]: memref<256xf32>)
func.func @chain(%in: memref<256xf32>, %out: memref<256xf32>) {
  // CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2048xi8>
  // CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
  // CHECK-DAG: %[[C1024:.*]] = arith.constant 1024 : index
  // CHECK: %[[A:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<2048xi8> to memref<256xf32>
  // CHECK: %[[B:.*]] = memref.view %[[ARENA]][%[[C1024]]][] : memref<2048xi8> to memref<256xf32>
  // CHECK: %[[C:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<2048xi8> to memref<256xf32>
  // CHECK-NOT: memref.alloc
  %a = memref.alloc() {alignment = 64 : i64} : memref<256xf32>
  %b = memref.alloc() {alignment = 64 : i64} : memref<256xf32>
  %c = memref.alloc() {alignment = 64 : i64} : memref<256xf32>
  // CHECK: memref.copy %[[IN]], %[[A]]
  memref.copy %in, %a : memref<256xf32> to memref<256xf32>
  // CHECK: memref.copy %[[A]], %[[B]]
  memref.copy %a, %b : memref<256xf32> to memref<256xf32>
  // CHECK: memref.copy %[[B]], %[[C]]
  memref.copy %b, %c : memref<256xf32> to memref<256xf32>
  // CHECK: memref.copy %[[C]], %[[OUT]]
  memref.copy %c, %out : memref<256xf32> to memref<256xf32>
  // CHECK-NOT: memref.dealloc
  // CHECK: memref.dealloc %[[ARENA]] : memref<2048xi8>
  // CHECK-NEXT: return
  memref.dealloc %a : memref<256xf32>
  memref.dealloc %b : memref<256xf32>
  memref.dealloc %c : memref<256xf32>
  return
}

// -----

// The largest buffer is placed first; sizes are rounded up to 64 bytes
// (3 x f32 takes 64), and a buffer used through a view lives until the
// view's last use: %small is still live at the last copy, so %late cannot
// take its place, but fits beside it where %big was.
// CHECK-LABEL: func @sizes_and_views
func.func @sizes_and_views(%in: memref<1024xf32>, %out: memref<3xf32>, %out2: memref<16xf32>) {
  // CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4160xi8>
  // CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
  // CHECK-DAG: %[[C4096:.*]] = arith.constant 4096 : index
  // CHECK: memref.view %[[ARENA]][%[[C0]]][] : memref<4160xi8> to memref<1024xf32>
  // CHECK: memref.view %[[ARENA]][%[[C4096]]][] : memref<4160xi8> to memref<2x3xf32>
  %cst = arith.constant 0.0 : f32
  %big = memref.alloc() : memref<1024xf32>
  %small = memref.alloc() : memref<2x3xf32>
  memref.copy %in, %big : memref<1024xf32> to memref<1024xf32>
  %row = memref.subview %small[1, 0] [1, 3] [1, 1] : memref<2x3xf32> to memref<3xf32, strided<[1], offset: 3>>
  %first = memref.subview %big[0] [3] [1] : memref<1024xf32> to memref<3xf32, strided<[1]>>
  memref.copy %first, %row : memref<3xf32, strided<[1]>> to memref<3xf32, strided<[1], offset: 3>>
  // CHECK: memref.view %[[ARENA]][%[[C0]]][] : memref<4160xi8> to memref<16xf32>
  %late = memref.alloc() : memref<16xf32>
  linalg.fill ins(%cst : f32) outs(%late : memref<16xf32>)
  memref.copy %late, %out2 : memref<16xf32> to memref<16xf32>
  memref.copy %row, %out : memref<3xf32, strided<[1], offset: 3>> to memref<3xf32>
  memref.dealloc %big : memref<1024xf32>
  memref.dealloc %small : memref<2x3xf32>
  memref.dealloc %late : memref<16xf32>
  return
}

// -----

// Uses inside a loop count as uses by the loop: %t, written in the loop,
// is live through it, so %u, used only after it, may reuse its bytes but
// %v, used in the loop too, may not.
// CHECK-LABEL: func @nested
func.func @nested(%in: memref<64xf32>, %out: memref<64xf32>) {
  // CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<512xi8>
  // CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
  // CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
  // CHECK: memref.view %[[ARENA]][%[[C0]]][] : memref<512xi8> to memref<64xf32>
  // CHECK: memref.view %[[ARENA]][%[[C256]]][] : memref<512xi8> to memref<64xf32>
  // CHECK: memref.view %[[ARENA]][%[[C0]]][] : memref<512xi8> to memref<64xf32>
  %t = memref.alloc() : memref<64xf32>
  %v = memref.alloc() : memref<64xf32>
  %u = memref.alloc() : memref<64xf32>
  scf.forall (%i) in (64) {
    %x = memref.load %in[%i] : memref<64xf32>
    memref.store %x, %t[%i] : memref<64xf32>
    memref.store %x, %v[%i] : memref<64xf32>
  }
  memref.copy %v, %u : memref<64xf32> to memref<64xf32>
  memref.copy %u, %out : memref<64xf32> to memref<64xf32>
  memref.dealloc %t : memref<64xf32>
  memref.dealloc %v : memref<64xf32>
  memref.dealloc %u : memref<64xf32>
  return
}

// -----

// Left alone: a returned buffer (no dealloc), a dynamic one, and two
// yielded by an op whose memref result is not a view of them. With fewer
// than two buffers to plan there is no arena.
// CHECK-LABEL: func @escapes
func.func @escapes(%n: index, %flag: i1) -> memref<8xf32> {
  // CHECK-NOT: memref.view
  // CHECK-NOT: xi8>
  // CHECK: %[[R:.*]] = memref.alloc() : memref<8xf32>
  // CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
  // CHECK: %[[P:.*]] = memref.alloc() : memref<4xf32>
  // CHECK: %[[Q:.*]] = memref.alloc() : memref<4xf32>
  %r = memref.alloc() : memref<8xf32>
  %d = memref.alloc(%n) : memref<?xf32>
  %p = memref.alloc() : memref<4xf32>
  %q = memref.alloc() : memref<4xf32>
  %pick = scf.if %flag -> memref<4xf32> {
    scf.yield %p : memref<4xf32>
  } else {
    scf.yield %q : memref<4xf32>
  }
  %cst = arith.constant 1.0 : f32
  linalg.fill ins(%cst : f32) outs(%pick : memref<4xf32>)
  memref.dealloc %d : memref<?xf32>
  memref.dealloc %p : memref<4xf32>
  memref.dealloc %q : memref<4xf32>
  return %r : memref<8xf32>
}
