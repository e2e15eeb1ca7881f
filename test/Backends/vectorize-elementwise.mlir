// RUN: deepseek-opt %s -split-input-file -ds-vectorize-elementwise | FileCheck %s
#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#t = affine_map<(i, j) -> (j, i)>

// A row of 150 becomes two full 64-element tiles and a static 22-element
// remainder, one row at a time; the per-row operand is broadcast.
// CHECK-LABEL: func @rows
// CHECK: scf.for %[[R:.*]] = %c0 to %c3 step %c1
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c128 step %c64
// CHECK: vector.transfer_read {{.*}} vector<64xf32>
// CHECK: vector.transfer_read {{.*}}permutation_map = #{{.*}}} : memref<1xf32, {{.*}}>, vector<64xf32>
// CHECK: arith.addf {{.*}} : vector<64xf32>
// CHECK: vector.transfer_write {{.*}} : vector<64xf32>
// CHECK: scf.for %{{.*}} = %c128 to %c150 step %c64
// CHECK: arith.addf {{.*}} : vector<22xf32>
// CHECK-NOT: linalg.
func.func @rows(%a: memref<3x150xf32>, %b: memref<3xf32>, %o: memref<3x150xf32>) {
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%a, %b : memref<3x150xf32>, memref<3xf32>) outs(%o : memref<3x150xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A copy out of a strided (padded) buffer with 14-element rows: one
// vector per row, where LLVM's loop vectorizer would stay scalar.
// CHECK-LABEL: func @short_strided_copy
// CHECK: vector.transfer_read {{.*}} : memref<14xf32, {{.*}}>, vector<14xf32>
// CHECK: vector.transfer_write {{.*}} : vector<14xf32>, memref<14xf32,
// CHECK-NOT: linalg.copy
func.func @short_strided_copy(%a: memref<2x14xf32, strided<[16, 1], offset: 17>>, %o: memref<2x14xf32>) {
  linalg.copy ins(%a : memref<2x14xf32, strided<[16, 1], offset: 17>>) outs(%o : memref<2x14xf32>)
  return
}

// -----

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#t = affine_map<(i, j) -> (j, i)>

// Not contiguous along the innermost loop in every operand: left alone.
// CHECK-LABEL: func @transpose
// CHECK: linalg.generic
// CHECK-NOT: vector.
func.func @transpose(%a: memref<8x8xf32>, %o: memref<8x8xf32>) {
  linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]} ins(%a : memref<8x8xf32>) outs(%o : memref<8x8xf32>) {
  ^bb0(%x: f32, %z: f32):
    linalg.yield %x : f32
  }
  return
}

// -----

// A read with innermost stride 2 (a stride-2 pooling window) loads the
// span it covers contiguously, masked after its last element (15 of 16),
// and keeps every other element.
// CHECK-LABEL: func @stride_two
// CHECK: memref.reinterpret_cast {{.*}} sizes: [16], strides: [1]
// CHECK: %[[MASK:.*]] = vector.constant_mask [15] : vector<16xi1>
// CHECK: %[[WIDE:.*]] = vector.maskedload {{.*}}, %[[MASK]]
// CHECK: %[[EVEN:.*]] = vector.shuffle %[[WIDE]], %[[WIDE]] [0, 2, 4, 6, 8, 10, 12, 14]
// CHECK: vector.transfer_write %[[EVEN]]
// CHECK-NOT: linalg.copy
func.func @stride_two(%a: memref<4x8xf32, strided<[16, 2]>>, %o: memref<4x8xf32>) {
  linalg.copy ins(%a : memref<4x8xf32, strided<[16, 2]>>) outs(%o : memref<4x8xf32>)
  return
}

// -----

// Strided writes, and reads with a stride above 4, stay scalar.
// CHECK-LABEL: func @strided_write
// CHECK: linalg.copy
// CHECK-NOT: vector.
// CHECK-LABEL: func @stride_five
// CHECK: linalg.copy
// CHECK-NOT: vector.
func.func @strided_write(%a: memref<4x8xf32>, %o: memref<4x8xf32, strided<[16, 2]>>) {
  linalg.copy ins(%a : memref<4x8xf32>) outs(%o : memref<4x8xf32, strided<[16, 2]>>)
  return
}
func.func @stride_five(%a: memref<4x8xf32, strided<[40, 5]>>, %o: memref<4x8xf32>) {
  linalg.copy ins(%a : memref<4x8xf32, strided<[40, 5]>>) outs(%o : memref<4x8xf32>)
  return
}

// -----

// A large fill or copy outside any thread-level loop (what bufferization
// makes of a pad) is split among threads, 16 chunks of its first loop of 8
// or more; one inside a forall already, or a small one, is not.
// CHECK-LABEL: func @serial_pad
// CHECK: scf.forall (%{{.*}}) = (0) to (64) step (4)
// CHECK: vector.transfer_write
// CHECK: scf.forall (%{{.*}}) = (0) to (64) step (4)
// CHECK: vector.transfer_read
// CHECK-LABEL: func @small_copy
// CHECK-NOT: scf.forall
func.func @serial_pad(%a: memref<64x56x56xf32>, %o: memref<64x58x58xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%o : memref<64x58x58xf32>)
  %in = memref.subview %o[0, 1, 1] [64, 56, 56] [1, 1, 1] : memref<64x58x58xf32> to memref<64x56x56xf32, strided<[3364, 58, 1], offset: 59>>
  linalg.copy ins(%a : memref<64x56x56xf32>) outs(%in : memref<64x56x56xf32, strided<[3364, 58, 1], offset: 59>>)
  return
}
func.func @small_copy(%a: memref<8x56xf32>, %o: memref<8x56xf32>) {
  linalg.copy ins(%a : memref<8x56xf32>) outs(%o : memref<8x56xf32>)
  return
}

// -----

// i1 buffers are not bit-packed vectors: left alone.
// CHECK-LABEL: func @bools
// CHECK: linalg.copy
// CHECK-NOT: vector.
func.func @bools(%a: memref<4x8xi1>, %o: memref<4x8xi1>) {
  linalg.copy ins(%a : memref<4x8xi1>) outs(%o : memref<4x8xi1>)
  return
}

// -----

// Rows of dynamic length: full 64-element tiles are vectorized, the
// remainder of dynamic size stays a scalar copy.
// CHECK-LABEL: func @dynamic_rows
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} vector<64xf32>
// CHECK: vector.transfer_write {{.*}} vector<64xf32>
// CHECK: scf.for
// CHECK: linalg.copy ins(%{{.*}} : memref<1x?xf32
func.func @dynamic_rows(%a: memref<4x?xf32>, %o: memref<4x?xf32>) {
  linalg.copy ins(%a : memref<4x?xf32>) outs(%o : memref<4x?xf32>)
  return
}

// -----

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#t = affine_map<(i, j) -> (j, i)>
#t2 = affine_map<(i, j) -> (j)>

// A reduction over the innermost loop alone (softmax's row sums) reduces
// each row's vector tiles, 64 elements and then the 16 left, into the
// row's accumulator, one horizontal reduction a tile.
// CHECK-LABEL: func @row_sum
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} vector<64xf32>
// CHECK: vector.transfer_read {{.*}} : memref<f32, strided<[], offset: ?>>, vector<f32>
// CHECK: vector.reduction <add>, %{{.*}}, %{{.*}} : vector<64xf32> into f32
// CHECK: vector.transfer_write
// CHECK: vector.transfer_read {{.*}} vector<16xf32>
// CHECK: vector.reduction <add>, %{{.*}}, %{{.*}} : vector<16xf32> into f32
// CHECK-NOT: linalg.generic
func.func @row_sum(%a: memref<4x80xf32>, %o: memref<4xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%a : memref<4x80xf32>) outs(%o : memref<4xf32>) {
  ^bb0(%x: f32, %z: f32):
    %s = arith.addf %x, %z : f32
    linalg.yield %s : f32
  }
  return
}

// Softmax's row maxima: NaN-propagating maxima, vectorized the same way.
// CHECK-LABEL: func @row_max
// CHECK: vector.reduction <maximumf>, %{{.*}}, %{{.*}} : vector<64xf32> into f32
// CHECK-NOT: linalg.generic
func.func @row_max(%a: memref<2x64xf32>, %o: memref<2xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%a : memref<2x64xf32>) outs(%o : memref<2xf32>) {
  ^bb0(%x: f32, %z: f32):
    %m = arith.maximumf %x, %z : f32
    linalg.yield %m : f32
  }
  return
}

// A reduction over an outer loop is left to the backend's other paths.
// CHECK-LABEL: func @column_sum
// CHECK: linalg.generic
// CHECK-NOT: vector.
func.func @column_sum(%a: memref<4x8xf32>, %o: memref<8xf32>) {
  linalg.generic {indexing_maps = [#id, #t2], iterator_types = ["reduction", "parallel"]} ins(%a : memref<4x8xf32>) outs(%o : memref<8xf32>) {
  ^bb0(%x: f32, %z: f32):
    %s = arith.addf %x, %z : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A reduction whose lowering marked it (ds.vectorize_innermost, the
// weight-only product) is vectorized along its innermost, parallel loop
// too: four rows of its first loop per tile (peeled: 4 + 2 of 6), its
// reduction loop by 1, the accumulator rows read and written each step.
// The same op unmarked is left alone.
#x = affine_map<(m, k, n) -> (m, k)>
#w = affine_map<(m, k, n) -> (k, n)>
#o = affine_map<(m, k, n) -> (m, n)>
// CHECK-LABEL: func @marked_reduction
// CHECK: scf.for %{{.*}} = %c0 to %c4{{.*}} step %c4
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c8 step %c1
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} : memref<4x64xf32, {{.*}}>, vector<4x64xf32>
// CHECK: arith.addf %[[ACC]], %{{.*}} : vector<4x64xf32>
// CHECK: vector.transfer_write {{.*}} : vector<4x64xf32>
// CHECK: scf.for %{{.*}} = %c4{{.*}} to %c6 step %c4
// CHECK: arith.addf {{.*}} : vector<2x64xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction", "parallel"]
func.func @marked_reduction(%a: memref<6x8xf32>, %b: memref<8x64xf32>, %o: memref<6x64xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : memref<6x8xf32>, memref<8x64xf32>) outs(%o : memref<6x64xf32>) attrs = {ds.vectorize_innermost} {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : memref<6x8xf32>, memref<8x64xf32>) outs(%o : memref<6x64xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// With 1024 columns, a marked reduction is split into thread-pool tasks of
// 512 columns (an scf.forall), each walked as above.
#x = affine_map<(m, k, n) -> (m, k)>
#w = affine_map<(m, k, n) -> (k, n)>
#o = affine_map<(m, k, n) -> (m, n)>
// CHECK-LABEL: func @marked_tasks
// CHECK: scf.forall (%{{.*}}) = (0) to (1024) step (512)
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c8 step %c1
// CHECK: arith.addf {{.*}} : vector<64xf32>
func.func @marked_tasks(%a: memref<1x8xf32>, %b: memref<8x1024xf32>, %o: memref<1x1024xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : memref<1x8xf32>, memref<8x1024xf32>) outs(%o : memref<1x1024xf32>) attrs = {ds.vectorize_innermost} {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Winograd's output tiles back into rows ([n, a, b, f, th, tw] -> [n, f,
// th, a, tw, b]): each output row is its two input rows interleaved, read
// and written as whole vectors, no scalar loop.
// CHECK-LABEL: func @interleave_rows
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2], [3], [4, 5]] : memref<1x4x3x2x8x2xf32> into memref<1x4x3x2x16xf32>
// CHECK-COUNT-2: vector.transfer_read %{{.*}} : memref<1x2x2x4x3x8xf32>, vector<8xf32>
// CHECK: %[[ROW:.*]] = vector.interleave %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: vector.transfer_write %[[ROW]], %{{.*}} : vector<16xf32>, memref<1x4x3x2x16xf32>
// CHECK-NOT: linalg.transpose
func.func @interleave_rows(%y: memref<1x2x2x4x3x8xf32>, %o: memref<1x4x3x2x8x2xf32>) {
  linalg.transpose ins(%y : memref<1x2x2x4x3x8xf32>) outs(%o : memref<1x4x3x2x8x2xf32>) permutation = [0, 3, 4, 1, 5, 2]
  return
}

// -----

// Four rows interleave pairwise, evens with odds: rows 0 and 2, 1 and 3,
// then the two results, giving r0[0], r1[0], r2[0], r3[0], r0[1], ...
// CHECK-LABEL: func @interleave_four_rows
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK: scf.for %[[I:.*]] =
// CHECK: %[[R0:.*]] = vector.transfer_read %{{.*}}[%[[C0]], %[[I]], %[[C0]]]
// CHECK: %[[R1:.*]] = vector.transfer_read %{{.*}}[%[[C1]], %[[I]], %[[C0]]]
// CHECK: %[[R2:.*]] = vector.transfer_read %{{.*}}[%[[C2]], %[[I]], %[[C0]]]
// CHECK: %[[R3:.*]] = vector.transfer_read %{{.*}}[%[[C3]], %[[I]], %[[C0]]]
// CHECK-DAG: %[[ODD:.*]] = vector.interleave %[[R1]], %[[R3]]
// CHECK-DAG: %[[EVEN:.*]] = vector.interleave %[[R0]], %[[R2]]
// CHECK: %[[ROW:.*]] = vector.interleave %[[EVEN]], %[[ODD]] : vector<12xf32> -> vector<24xf32>
// CHECK: vector.transfer_write %[[ROW]], %{{.*}}[%[[I]], %[[C0]]] {{.*}} : vector<24xf32>, memref<2x24xf32>
func.func @interleave_four_rows(%y: memref<4x2x6xf32>, %o: memref<2x6x4xf32>) {
  linalg.transpose ins(%y : memref<4x2x6xf32>) outs(%o : memref<2x6x4xf32>) permutation = [1, 2, 0]
  return
}

// -----

// Interleaving three rows, or rows shorter than four, is left alone.
// CHECK-LABEL: func @not_interleaved
// CHECK-COUNT-2: linalg.transpose
// CHECK-NOT: vector.interleave
func.func @not_interleaved(%y: memref<3x16xf32>, %o: memref<16x3xf32>, %z: memref<8x2xf32>, %p: memref<2x8xf32>) {
  linalg.transpose ins(%y : memref<3x16xf32>) outs(%o : memref<16x3xf32>) permutation = [1, 0]
  linalg.transpose ins(%z : memref<8x2xf32>) outs(%p : memref<2x8xf32>) permutation = [1, 0]
  return
}
