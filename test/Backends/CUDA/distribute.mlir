// RUN: deepseek-opt %s -ds-gpu-distribute -split-input-file -verify-diagnostics | FileCheck %s

// A 3x4x5 elementwise op: its 60 iterations collapse into one loop, tiled
// by a block just large enough (64 threads), tiles mapped to blocks and
// the loop in a tile to threads.
// CHECK-LABEL: func @elementwise
// CHECK: scf.parallel (%[[B:.*]]) = (%c0) to (%c60) step (%c64)
// CHECK: scf.parallel (%[[T:.*]]) = (%c0{{.*}}) to (%c64) step (%c1)
// CHECK: scf.if
// CHECK: math.exp
// CHECK: {mapping = [#gpu.loop_dim_map<processor = thread_x
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x
// CHECK-NOT: linalg.
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @elementwise(%x: memref<3x4x5xf32>, %y: memref<3x4x5xf32>) {
  linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : memref<3x4x5xf32>) outs(%y : memref<3x4x5xf32>) {
  ^bb0(%a: f32, %b: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// Large loops get full 256-thread blocks; each thread runs the reduction
// over its own output row sequentially.
// CHECK-LABEL: func @row_sums
// CHECK: scf.parallel ({{.*}}) = (%c0) to (%c1000) step (%c256)
// CHECK: scf.parallel ({{.*}}) to (%c256)
// CHECK: scf.for {{.*}} to %c300
// CHECK: arith.addf
func.func @row_sums(%x: memref<1000x300xf32>, %y: memref<1000xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<1000x300xf32>) outs(%y : memref<1000xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A reduction with no parallel dimension runs as a single thread.
// CHECK-LABEL: func @total
// CHECK: scf.parallel ({{.*}}) = (%c0) to (%c1) step (%c32)
// CHECK: scf.for {{.*}} to %c100
func.func @total(%x: memref<100xf32>, %y: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%x : memref<100xf32>) outs(%y : memref<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A scalar the host would read (Clip's bound) is read inside the kernel,
// with the arithmetic done on it.
// CHECK-LABEL: func @scalar_bound
// CHECK-NOT: memref.load %{{.*}}[] : memref<f32>
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: memref.load %{{.*}}[] : memref<f32>
// CHECK: arith.negf
// CHECK: arith.maximumf
func.func @scalar_bound(%x: memref<64xf32>, %bound: memref<f32>, %y: memref<64xf32>) {
  %b = memref.load %bound[] : memref<f32>
  %nb = arith.negf %b : f32
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : memref<64xf32>) outs(%y : memref<64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %nb : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A value the host itself needs (control flow on tensor data) cannot be
// computed on the device: an error names the load.
func.func @host_branch(%flag: memref<i1>, %x: memref<8xf32>) {
  // expected-error @+1 {{'memref.load' reads or writes tensor data on the host}}
  %c = memref.load %flag[] : memref<i1>
  scf.if %c {
    linalg.fill ins(%c : i1) outs(%flag : memref<i1>)
  }
  return
}
