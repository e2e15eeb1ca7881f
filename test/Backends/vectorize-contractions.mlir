// RUN: deepseek-opt %s -split-input-file -ds-vectorize-contractions | FileCheck %s
// RUN: deepseek-opt %s -split-input-file -ds-vectorize-contractions="mr=4 nr=16" | FileCheck %s --check-prefix=SMALL
// RUN: deepseek-opt %s -split-input-file -ds-vectorize-contractions="mr=6 nr=16 wide-tiles=false" | FileCheck %s --check-prefix=AVX2

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>

// Full tiles: n by 32, m by 8, then the reduction innermost with the 8x32
// accumulator carried in registers (from the fill's zeros, computed in the
// register tile: nothing is read before the k loop; written after it) and
// one FMA per accumulator row per k.
// CHECK-LABEL: func @full_tiles
// CHECK: %[[ZEROS:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK: scf.for {{.*}} step %c32
// CHECK:   scf.for {{.*}} step %c8
// CHECK-NOT: vector.transfer_read {{.*}} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK:     %[[SUM:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[ZEROS]]) -> (vector<8x32xf32>)
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// CHECK-NOT: vector.fma
// CHECK:       scf.yield {{.*}} : vector<8x32xf32>
// CHECK:     vector.transfer_write %[[SUM]]
// CHECK-NOT: linalg.generic
// With mr=4 nr=16 the 96 columns divide evenly into 32: the wide variant,
// 3 rows by 32 columns, but 16 rows as 5 x 3 + 1 would leave a 1-row tile
// too few accumulators to cover the FMA latency: 8 x 2 rows instead.
// SMALL-LABEL: func @full_tiles
// SMALL: scf.for {{.*}} step %c32
// SMALL:   scf.for %{{.*}} = %c0 to %c16 step %c2
// SMALL-COUNT-2: vector.fma {{.*}} : vector<32xf32>
// SMALL-NOT: vector.fma
// SMALL: scf.yield
func.func @full_tiles(%a: tensor<16x8xf32>, %b: tensor<8x96xf32>) -> tensor<16x96xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x96xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<16x96xf32>) -> tensor<16x96xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<16x8xf32>, tensor<8x96xf32>) outs(%f : tensor<16x96xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x96xf32>
  return %r : tensor<16x96xf32>
}

// -----

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>

// Columns that divide evenly into 64 get the wide tile: 6 rows by 64
// columns, 24 accumulators, 6 FMAs of 64 lanes per k. Without wide tiles
// (AVX2's 16 registers), the 6x16 tile stays.
// AVX2-LABEL: func @wide_tiles
// AVX2: scf.for {{.*}} -> (vector<6x16xf32>)
// AVX2-COUNT-6: vector.fma {{.*}} : vector<16xf32>
// CHECK-LABEL: func @wide_tiles
// CHECK: scf.for {{.*}} step %c64
// CHECK:   scf.for {{.*}} step %c6
// CHECK:     scf.for {{.*}} -> (vector<6x64xf32>)
// CHECK-COUNT-6: vector.fma {{.*}} : vector<64xf32>
func.func @wide_tiles(%a: tensor<12x8xf32>, %b: tensor<8x128xf32>, %c: tensor<12x128xf32>) -> tensor<12x128xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<12x8xf32>, tensor<8x128xf32>) outs(%c : tensor<12x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<12x128xf32>
  return %r : tensor<12x128xf32>
}

// -----

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>

// Edges: 12 = 8 + 4 rows and 40 = 32 + 8 columns. The loops are peeled
// into full 8x32 tiles and static remainders (8x8, 4x32, 4x8), each with
// its accumulator in registers; no mask anywhere.
// CHECK-LABEL: func @edges
// CHECK-NOT: vector.mask
// CHECK-NOT: vector.create_mask
// CHECK-DAG: -> (vector<8x32xf32>)
// CHECK-DAG: -> (vector<4x32xf32>)
// CHECK-DAG: -> (vector<8x8xf32>)
// CHECK-DAG: -> (vector<4x8xf32>)
// CHECK-NOT: linalg.generic
func.func @edges(%a: tensor<12x8xf32>, %b: tensor<8x40xf32>, %c: tensor<12x40xf32>) -> tensor<12x40xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<12x8xf32>, tensor<8x40xf32>) outs(%c : tensor<12x40xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<12x40xf32>
  return %r : tensor<12x40xf32>
}

// -----

// Batched, with a dynamic batch: the batch is the thread-level loop, one
// matrix per iteration, around the same blocked kernel.
// CHECK-LABEL: func @batched
// CHECK: %[[B:.*]] = tensor.dim
// CHECK: scf.forall (%{{.*}}) in (%[[B]])
// CHECK: vector.fma {{.*}} : vector<32xf32>
func.func @batched(%a: tensor<?x8x16xf32>, %b: tensor<?x16x32xf32>, %c: tensor<?x8x32xf32>) -> tensor<?x8x32xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x8x16xf32>, tensor<?x16x32xf32>) outs(%c : tensor<?x8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x8x32xf32>
  return %r : tensor<?x8x32xf32>
}

// -----

// Epilogue fusion: the bias broadcast that initializes the accumulator, the
// blocked matmul (6x64 tiles) and its Relu all run in one thread-level loop over 256-wide
// column tiles, the Relu on the tile just computed; no whole-output pass is
// left outside.
// CHECK-LABEL: func @bias_matmul_relu
// CHECK: scf.forall (%{{.*}}) = (0) to (1024) step (256)
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<256xf32>) outs(%{{.*}} : tensor<64x256xf32>)
// CHECK: vector.fma {{.*}} : vector<64xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<64x256xf32>)
// CHECK: arith.maximumf
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @bias_matmul_relu(%x: tensor<64x512xf32>, %w: tensor<512x1024xf32>, %b: tensor<1024xf32>) -> tensor<64x1024xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<64x1024xf32>
  %init = linalg.generic {indexing_maps = [affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<1024xf32>) outs(%e : tensor<64x1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<64x1024xf32>
  %mm = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<64x512xf32>, tensor<512x1024xf32>) outs(%init : tensor<64x1024xf32>) {
  ^bb0(%a: f32, %c: f32, %acc: f32):
    %p = arith.mulf %a, %c : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<64x1024xf32>
  %relu = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<64x1024xf32>) outs(%e : tensor<64x1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<64x1024xf32>
  return %relu : tensor<64x1024xf32>
}

// -----

// With the reduction whole in each register tile (k = 64, within one cache
// tile), the epilogue is applied to each register tile's accumulators
// after the k loop, before they are stored: the clamp is on the vectors
// of the tile, and no pass over the stored tile is left. The product is
// computed into the epilogue's output (the slice of the forall's shared
// output), not a buffer of its own.
// CHECK-LABEL: func @epilogue_in_registers
// CHECK: scf.forall (%{{.*}}) = (0) to (1024) step (256) shared_outs(%[[OUT:.*]] = %{{.*}})
// CHECK: %[[DEST:.*]] = tensor.extract_slice %[[OUT]]
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[DEST]])
// CHECK: %[[ACC:.*]] = scf.for {{.*}} -> (vector<6x64xf32>)
// CHECK: vector.fma
// CHECK: arith.maximumf %[[ACC]], %{{.*}} : vector<6x64xf32>
// CHECK-NEXT: vector.transfer_write
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @epilogue_in_registers(%x: tensor<64x64xf32>, %w: tensor<64x1024xf32>) -> tensor<64x1024xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<64x1024xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<64x1024xf32>) -> tensor<64x1024xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<64x64xf32>, tensor<64x1024xf32>) outs(%init : tensor<64x1024xf32>) -> tensor<64x1024xf32>
  %relu = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<64x1024xf32>) outs(%e : tensor<64x1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<64x1024xf32>
  return %relu : tensor<64x1024xf32>
}

// -----

// A strided convolution whose gathered columns keep their output rows
// apart ([N, G, Q, O1, O2], see the Conv lowering): the threads split the
// rows, 4 to a task (one row, 8 x 64 x 27 multiply-adds, is too little
// work for a task), and each task gathers its own rows of columns (the
// gather moved into the forall, through the collapse of its tap dims)
// just before its product reads them; no gather of the whole is left.
#gather_in = affine_map<(n, g, c, i, j, o1, o2) -> (n, g, c, o1 * 2 + i, o2 * 2 + j)>
#gather_out = affine_map<(n, g, c, i, j, o1, o2) -> (n, g, c, i, j, o1, o2)>
// CHECK-LABEL: func @gather_per_task
// CHECK-NOT: linalg.generic
// CHECK: scf.forall (%[[ROW:.*]]) = (0) to (16) step (4)
// CHECK:   %[[IN:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0, %{{.*}}, 0] [1, 1, 3, 9, 129]
// CHECK:   %[[COLS:.*]] = linalg.generic {{.*}} ins(%[[IN]] : tensor<1x1x3x9x129xf32>) outs(%{{.*}} : tensor<1x1x3x3x3x4x64xf32>)
// CHECK:   tensor.collapse_shape %[[COLS]] {{.*}} into tensor<1x1x27x4x64xf32>
// CHECK:   vector.fma
// CHECK: scf.forall.in_parallel
func.func @gather_per_task(%x: tensor<1x1x3x34x130xf32>, %w: tensor<1x8x27xf32>) -> tensor<1x1x8x16x64xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<1x1x3x3x3x16x64xf32>
  %cols = linalg.generic {indexing_maps = [#gather_in, #gather_out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x1x3x34x130xf32>) outs(%e : tensor<1x1x3x3x3x16x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x1x3x3x3x16x64xf32>
  %flat = tensor.collapse_shape %cols [[0], [1], [2, 3, 4], [5], [6]] : tensor<1x1x3x3x3x16x64xf32> into tensor<1x1x27x16x64xf32>
  %o = tensor.empty() : tensor<1x1x8x16x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%o : tensor<1x1x8x16x64xf32>) -> tensor<1x1x8x16x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(n, g, f, o1, o2, q) -> (g, f, q)>, affine_map<(n, g, f, o1, o2, q) -> (n, g, q, o1, o2)>, affine_map<(n, g, f, o1, o2, q) -> (n, g, f, o1, o2)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%w, %flat : tensor<1x8x27xf32>, tensor<1x1x27x16x64xf32>) outs(%init : tensor<1x1x8x16x64xf32>) {
  ^bb0(%a: f32, %b: f32, %s: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %s, %p : f32
    linalg.yield %r : f32
  } -> tensor<1x1x8x16x64xf32>
  return %0 : tensor<1x1x8x16x64xf32>
}

// -----

// A big elementwise op is split among threads in 16 chunks of its first
// long dim (64 rows: 4 per chunk); its body is left to the loop lowering.
// CHECK-LABEL: func @large_elementwise
// CHECK: scf.forall (%{{.*}}) = (0) to (64) step (4)
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<4x1024xf32>)
// CHECK-NOT: vector.
func.func @large_elementwise(%a: tensor<64x1024xf32>) -> tensor<64x1024xf32> {
  %e = tensor.empty() : tensor<64x1024xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<64x1024xf32>) outs(%e : tensor<64x1024xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.mulf %x, %x : f32
    linalg.yield %m : f32
  } -> tensor<64x1024xf32>
  return %0 : tensor<64x1024xf32>
}

// -----

// Not contractions, and too small to be worth threads: an elementwise op and
// a max-reduction stay as they are.
// CHECK-LABEL: func @not_contractions
// CHECK-NOT: vector.
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK-NOT: vector.
func.func @not_contractions(%a: tensor<8x32xf32>, %init: tensor<8xf32>) -> (tensor<8x32xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8x32xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.mulf %x, %x : f32
    linalg.yield %m : f32
  } -> tensor<8x32xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%a : tensor<8x32xf32>) outs(%init : tensor<8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.maximumf %x, %o : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  return %0, %1 : tensor<8x32xf32>, tensor<8xf32>
}

// -----

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>

// Thread and cache tiles divide their loop evenly where they can: 784
// columns split in 7 tiles of 112 (3 x 32 + 16, all static), not 256 +
// 256 + 256 + a dynamic 16 that only 1-wide register tiles could take.
// CHECK-LABEL: func @even_thread_tiles
// CHECK: scf.forall (%{{.*}}) = (0) to (784) step (112)
// CHECK: -> (vector<8x32xf32>)
// CHECK: -> (vector<8x16xf32>)
// CHECK-NOT: vector<8x1xf32>)
func.func @even_thread_tiles(%a: tensor<8x4xf32>, %b: tensor<4x784xf32>, %c: tensor<8x784xf32>) -> tensor<8x784xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<8x4xf32>, tensor<4x784xf32>) outs(%c : tensor<8x784xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x784xf32>
  return %r : tensor<8x784xf32>
}

// -----

#w = affine_map<(n, g, f, q, b, i, j, c) -> (g, f, b, i, j, c)>
#x = affine_map<(n, g, f, q, b, i, j, c) -> (n, g, b, c, q + i * 18 + j)>
#o = affine_map<(n, g, f, q, b, i, j, c) -> (n, g, f, q)>

// A windowed contraction (a stride-1 3x3 convolution over rows 18 wide
// laid end to end, its channels in 2 blocks b of 4, see the Conv lowering)
// is blocked like a GEMM over (f, q | c), with the taps i, j as reduction
// loops between the register tile and the c loop: the 6x64 accumulator is
// read once, carried across all three loops, and written once; each step
// reads the input row at the tap's offset and does one FMA per accumulator
// row. The block loop is a cache-level loop by 1, never split among
// threads, dropped from the register tile (whose contraction keeps one
// reduction: FMAs, not scalar code).
// CHECK: #[[TAP:.*]] = affine_map<(d0, d1) -> (d0 * 18 + d1)>
// CHECK-LABEL: func @windowed
// CHECK-NOT: scf.forall
// CHECK: scf.for %[[B:.*]] = %c0 to %c2 step %c1
// CHECK: scf.for %[[Q:.*]] = %c0 to %c256 step %c64
// CHECK:   %[[ROWS:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0, 0, %[[Q]]] [1, 1, 1, 4, 102]
// CHECK:   %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<1x1x6x64xf32>, vector<1x1x6x64xf32>
// CHECK:   scf.for %[[I:.*]] = %c0 to %c3 step %c1 iter_args(%{{.*}} = %[[ACC]]) -> (vector<1x1x6x64xf32>)
// CHECK:     scf.for %[[J:.*]] = %c0 to %c3 step %c1 iter_args(%{{.*}}) -> (vector<1x1x6x64xf32>)
// CHECK:       %[[OFFSET:.*]] = affine.apply #[[TAP]](%[[I]], %[[J]])
// CHECK:       scf.for %[[C:.*]] = %c0 to %c4 step %c1 iter_args(%{{.*}}) -> (vector<1x1x6x64xf32>)
// CHECK:         tensor.extract_slice %[[ROWS]][0, 0, 0, %[[C]], %[[OFFSET]]] [1, 1, 1, 1, 64]
// CHECK-COUNT-6: vector.fma {{.*}} : vector<64xf32>
// CHECK-NOT: vector.fma
// CHECK:   vector.transfer_write {{.*}} : vector<1x1x6x64xf32>, tensor<1x1x6x64xf32>
// CHECK:   -> (vector<1x1x2x64xf32>)
// CHECK-NOT: arith.mulf
func.func @windowed(%w: tensor<1x8x2x3x3x4xf32>, %x: tensor<1x1x2x4x320xf32>, %acc: tensor<1x1x8x256xf32>) -> tensor<1x1x8x256xf32> {
  %0 = linalg.generic {indexing_maps = [#w, #x, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]}
      ins(%w, %x : tensor<1x8x2x3x3x4xf32>, tensor<1x1x2x4x320xf32>) outs(%acc : tensor<1x1x8x256xf32>) {
  ^bb0(%a: f32, %b: f32, %s: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %s, %p : f32
    linalg.yield %r : f32
  } -> tensor<1x1x8x256xf32>
  return %0 : tensor<1x1x8x256xf32>
}

// -----

// Weight panels one register tile wide (16 columns for AVX2's 6x16 tile,
// loops m, nb, ni | k): the threads take groups of panels, about nc = 256
// columns but at least 4 tasks (32 panels: 4 groups of 8), and each
// 6-row register tile of the left-hand side, read into L1 once, meets all
// of the group's panels. Where a panel is wider than the register tile
// (the AVX-512 options: 16 against nr = 32), each thread task is one
// panel, unless that is too little work for a task (here 12 x 16 x 64
// multiply-adds): then several, leaving 4 tasks.
// AVX2-LABEL: func @panel_groups
// AVX2: scf.forall (%{{.*}}) = (0) to (32) step (8)
// AVX2:   scf.for {{.*}} = %c0 to %c12 step %c6
// AVX2:     scf.for {{.*}} = %c0 to %c8 step %c1
// AVX2:       scf.for {{.*}} -> (vector<6x1x16xf32>)
// AVX2-COUNT-6: vector.fma {{.*}} : vector<16xf32>
// CHECK-LABEL: func @panel_groups
// CHECK: scf.forall (%{{.*}}) = (0) to (32) step (8)
func.func @panel_groups(%x: tensor<12x64xf32>, %w: tensor<32x64x16xf32>, %acc: tensor<12x32x16xf32>) -> tensor<12x32x16xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(m, nb, ni, k) -> (m, k)>, affine_map<(m, nb, ni, k) -> (nb, k, ni)>, affine_map<(m, nb, ni, k) -> (m, nb, ni)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<12x64xf32>, tensor<32x64x16xf32>) outs(%acc : tensor<12x32x16xf32>) {
  ^bb0(%a: f32, %b: f32, %s: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %s, %p : f32
    linalg.yield %r : f32
  } -> tensor<12x32x16xf32>
  return %0 : tensor<12x32x16xf32>
}

// -----

// 49 rows (7x7 pixels as rows) in tiles of 6 would leave a 1-row tile, two
// accumulators deep and waiting on the FMA latency: 9 tiles of 5 rows and
// one of 4 instead.
// AVX2-LABEL: func @row_remainder
// AVX2: scf.for %{{.*}} = %c0 to %c45 step %c5
// AVX2:   scf.for {{.*}} -> (vector<5x16xf32>)
// AVX2-COUNT-5: vector.fma {{.*}} : vector<16xf32>
// AVX2: scf.for {{.*}} -> (vector<4x16xf32>)
// AVX2-COUNT-4: vector.fma {{.*}} : vector<16xf32>
// AVX2-NOT: vector<1x16xf32>
// AVX2: return
func.func @row_remainder(%a: tensor<49x32xf32>, %b: tensor<32x16xf32>, %c: tensor<49x16xf32>) -> tensor<49x16xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<49x32xf32>, tensor<32x16xf32>) outs(%c : tensor<49x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<49x16xf32>
  return %r : tensor<49x16xf32>
}

// -----

// The bias broadcast that starts the accumulator is computed where the
// tiles are: in each register tile, where it is the accumulators' first
// value in registers (16 bias columns read, put in all 6 rows), instead of
// in a pass over the whole output before that the tiles would read back.
// With the reduction split into cache blocks (k = 512 > kc) each block
// after the first must start from the previous one's sums: the broadcast
// stays out.
// AVX2-LABEL: func @bias_in_strips
// AVX2: scf.for %{{.*}} = %c0 to %c32 step %c16
// AVX2-NOT: linalg.generic
// AVX2:   scf.for %{{.*}} = %c0 to %c12 step %c6
// AVX2:     %[[ROW:.*]] = vector.transfer_read {{.*}} : tensor<16xf32>, vector<16xf32>
// AVX2-COUNT-6: vector.insert %[[ROW]]
// AVX2:     scf.for {{.*}} -> (vector<6x16xf32>)
// AVX2-COUNT-6: vector.fma {{.*}} : vector<16xf32>
// AVX2-LABEL: func @bias_before_split_reduction
// AVX2: %[[BIAS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<12x32xf32>)
// AVX2: scf.for %{{.*}} = %c0 to %c512 step %c256 iter_args(%{{.*}} = %[[BIAS]])
// AVX2-NOT: linalg.generic
// AVX2: return
func.func @bias_in_strips(%a: tensor<12x8xf32>, %b: tensor<8x32xf32>, %bias: tensor<32xf32>) -> tensor<12x32xf32> {
  %e = tensor.empty() : tensor<12x32xf32>
  %init = linalg.generic {indexing_maps = [affine_map<(m, n) -> (n)>, affine_map<(m, n) -> (m, n)>], iterator_types = ["parallel", "parallel"]}
      ins(%bias : tensor<32xf32>) outs(%e : tensor<12x32xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<12x32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<12x8xf32>, tensor<8x32xf32>) outs(%init : tensor<12x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<12x32xf32>
  return %r : tensor<12x32xf32>
}
func.func @bias_before_split_reduction(%a: tensor<12x512xf32>, %b: tensor<512x32xf32>, %bias: tensor<32xf32>) -> tensor<12x32xf32> {
  %e = tensor.empty() : tensor<12x32xf32>
  %init = linalg.generic {indexing_maps = [affine_map<(m, n) -> (n)>, affine_map<(m, n) -> (m, n)>], iterator_types = ["parallel", "parallel"]}
      ins(%bias : tensor<32xf32>) outs(%e : tensor<12x32xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<12x32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<12x512xf32>, tensor<512x32xf32>) outs(%init : tensor<12x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<12x32xf32>
  return %r : tensor<12x32xf32>
}

// -----

// An output of one cache tile (64 x 196) with much work behind it (k = 384)
// is still split among threads: 4 tasks of 16 rows.
// CHECK-LABEL: func @split_small_output
// CHECK: scf.forall (%{{.*}}) = (0) to (64) step (16)
func.func @split_small_output(%a: tensor<64x384xf32>, %b: tensor<384x196xf32>, %c: tensor<64x196xf32>) -> tensor<64x196xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<64x384xf32>, tensor<384x196xf32>) outs(%c : tensor<64x196xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<64x196xf32>
  return %r : tensor<64x196xf32>
}

// -----

// An elementwise op over views of a padded tensor (a depthwise convolution's
// taps: strided windows, and a window of the rows laid end to end) is split
// among threads by channels, and each task pads its own 4 channels: the
// whole padded tensor is never built.
// CHECK-LABEL: func @pad_per_thread_tile
// CHECK-NOT: tensor.pad
// CHECK: scf.forall (%[[C:.*]]) = (0) to (64) step (4)
// CHECK: %[[PART:.*]] = tensor.extract_slice %{{.*}}[0, %[[C]], 0, 0] [1, 4, 64, 64] [1, 1, 1, 1]
// CHECK: %[[PAD:.*]] = tensor.pad %[[PART]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor<1x4x64x64xf32> to tensor<1x4x66x66xf32>
// CHECK-NOT: tensor.pad
// CHECK-DAG: tensor.extract_slice %[[PAD]][0, 0, 0, 0] [1, 4, 32, 32] [1, 1, 2, 2]
// CHECK-DAG: tensor.extract_slice %[[PAD]][0, 0, 1, 1] [1, 4, 32, 32] [1, 1, 2, 2]
// CHECK-DAG: %[[ROWS:.*]] = tensor.collapse_shape %[[PAD]] {{\[}}[0], [1], [2, 3]] : tensor<1x4x66x66xf32> into tensor<1x4x4356xf32>
// CHECK-DAG: tensor.extract_slice %[[ROWS]][0, 0, 67] [1, 4, 1024] [1, 1, 1]
// CHECK: linalg.generic
func.func @pad_per_thread_tile(%x: tensor<1x64x64x64xf32>) -> tensor<1x1x64x32x32xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x64x64x64xf32> to tensor<1x64x66x66xf32>
  %t0 = tensor.extract_slice %p[0, 0, 0, 0] [1, 64, 32, 32] [1, 1, 2, 2] : tensor<1x64x66x66xf32> to tensor<1x64x32x32xf32>
  %t1 = tensor.extract_slice %p[0, 0, 1, 1] [1, 64, 32, 32] [1, 1, 2, 2] : tensor<1x64x66x66xf32> to tensor<1x64x32x32xf32>
  %rows = tensor.collapse_shape %p [[0], [1], [2, 3]] : tensor<1x64x66x66xf32> into tensor<1x64x4356xf32>
  %t2 = tensor.extract_slice %rows[0, 0, 67] [1, 64, 1024] [1, 1, 1] : tensor<1x64x4356xf32> to tensor<1x64x1024xf32>
  %e0 = tensor.expand_shape %t0 [[0], [1, 2], [3], [4]] output_shape [1, 1, 64, 32, 32] : tensor<1x64x32x32xf32> into tensor<1x1x64x32x32xf32>
  %e1 = tensor.expand_shape %t1 [[0], [1, 2], [3], [4]] output_shape [1, 1, 64, 32, 32] : tensor<1x64x32x32xf32> into tensor<1x1x64x32x32xf32>
  %e2 = tensor.expand_shape %t2 [[0], [1, 2], [3, 4]] output_shape [1, 1, 64, 32, 32] : tensor<1x64x1024xf32> into tensor<1x1x64x32x32xf32>
  %init = tensor.empty() : tensor<1x1x64x32x32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b, c, d, e) -> (a, b, c, d, e)>, affine_map<(a, b, c, d, e) -> (a, b, c, d, e)>, affine_map<(a, b, c, d, e) -> (a, b, c, d, e)>, affine_map<(a, b, c, d, e) -> (a, b, c, d, e)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%e0, %e1, %e2 : tensor<1x1x64x32x32xf32>, tensor<1x1x64x32x32xf32>, tensor<1x1x64x32x32xf32>) outs(%init : tensor<1x1x64x32x32xf32>) {
  ^bb0(%u: f32, %v: f32, %w: f32, %o: f32):
    %s = arith.addf %u, %v : f32
    %t = arith.addf %s, %w : f32
    linalg.yield %t : f32
  } -> tensor<1x1x64x32x32xf32>
  return %r : tensor<1x1x64x32x32xf32>
}

// -----

// A pad that pads the split dimension stays whole, outside the loop.
// CHECK-LABEL: func @pad_across_tiles
// CHECK: tensor.pad %{{.*}} low[0, 1, 1, 1] high[0, 1, 1, 1]
// CHECK: scf.forall
// CHECK-NOT: tensor.pad
func.func @pad_across_tiles(%x: tensor<1x62x64x64xf32>) -> tensor<1x64x32x32xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 1, 1] high[0, 1, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x62x64x64xf32> to tensor<1x64x66x66xf32>
  %t0 = tensor.extract_slice %p[0, 0, 0, 0] [1, 64, 32, 32] [1, 1, 2, 2] : tensor<1x64x66x66xf32> to tensor<1x64x32x32xf32>
  %init = tensor.empty() : tensor<1x64x32x32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%t0 : tensor<1x64x32x32xf32>) outs(%init : tensor<1x64x32x32xf32>) {
  ^bb0(%u: f32, %o: f32):
    %s = arith.addf %u, %u : f32
    linalg.yield %s : f32
  } -> tensor<1x64x32x32xf32>
  return %r : tensor<1x64x32x32xf32>
}

// -----

// A flat windowed op (rows of 32 padded to 34 laid end to end, as
// flatWindowTaps builds for short output rows) whose result is cut back to
// 32 columns: each task cuts its own tile, computed in a tensor of its own,
// and inserts the 32 columns, so no strided copy of the whole result is
// left for one thread to make.
// CHECK-LABEL: func @unflatten_per_thread_tile
// CHECK: %[[OUT:.*]] = tensor.empty() : tensor<1x64x32x32xf32>
// CHECK: scf.forall (%[[C:.*]]) = (0) to (64) step (4) shared_outs(%[[SHARED:.*]] = %[[OUT]]) -> (tensor<1x64x32x32xf32>)
// CHECK: %[[OWN:.*]] = tensor.empty() : tensor<1x4x1088xf32>
// CHECK: %[[TILE:.*]] = linalg.generic {{.*}} outs(%[[OWN]] : tensor<1x4x1088xf32>)
// CHECK: %[[ROWS:.*]] = tensor.expand_shape %[[TILE]] {{\[}}[0], [1], [2, 3]] output_shape [1, 4, 32, 34] : tensor<1x4x1088xf32> into tensor<1x4x32x34xf32>
// CHECK: %[[CUT:.*]] = tensor.extract_slice %[[ROWS]][0, 0, 0, 0] [1, 4, 32, 32] [1, 1, 1, 1] : tensor<1x4x32x34xf32> to tensor<1x4x32x32xf32>
// CHECK: scf.forall.in_parallel
// CHECK: tensor.parallel_insert_slice %[[CUT]] into %[[SHARED]][0, %[[C]], 0, 0] [1, 4, 32, 32] [1, 1, 1, 1]
// CHECK-NOT: tensor.extract_slice
// CHECK: return
func.func @unflatten_per_thread_tile(%a: tensor<1x64x1088xf32>, %b: tensor<1x64x1088xf32>) -> tensor<1x64x32x32xf32> {
  %init = tensor.empty() : tensor<1x64x1088xf32>
  %flat = linalg.generic {indexing_maps = [affine_map<(a, b, c) -> (a, b, c)>, affine_map<(a, b, c) -> (a, b, c)>, affine_map<(a, b, c) -> (a, b, c)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a, %b : tensor<1x64x1088xf32>, tensor<1x64x1088xf32>) outs(%init : tensor<1x64x1088xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %s = arith.addf %u, %v : f32
    linalg.yield %s : f32
  } -> tensor<1x64x1088xf32>
  %rows = tensor.expand_shape %flat [[0], [1], [2, 3]] output_shape [1, 64, 32, 34] : tensor<1x64x1088xf32> into tensor<1x64x32x34xf32>
  %cut = tensor.extract_slice %rows[0, 0, 0, 0] [1, 64, 32, 32] [1, 1, 1, 1] : tensor<1x64x32x34xf32> to tensor<1x64x32x32xf32>
  return %cut : tensor<1x64x32x32xf32>
}
