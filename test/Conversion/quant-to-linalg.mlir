// RUN: deepseek-opt %s -split-input-file -ds-convert-graph-to-linalg | FileCheck %s
// RUN: deepseek-opt %s -split-input-file -ds-convert-graph-to-linalg=group-tiles=false | FileCheck %s --check-prefix=NOTILES
// RUN: deepseek-opt %s -split-input-file -ds-convert-graph-to-linalg=int8-dot-limit=2 | FileCheck %s --check-prefix=LIMIT

// Per-axis quantize: the scale and zero point are read along the axis;
// round half to even, saturate in float, a zero scale or NaN gives the zero
// point, and uint8 becomes signless i8.
// CHECK: #[[AXIS:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @quantize_axis
// CHECK: linalg.generic {{.*}}indexing_maps = [#{{.*}}, #[[AXIS]], #[[AXIS]], #{{.*}}]
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: arith.cmpf oeq
// CHECK: arith.cmpf uno
// CHECK: arith.select
// CHECK: arith.fptosi {{.*}} to i32
// CHECK: arith.trunci {{.*}} to i8
// CHECK: -> tensor<4x6xi8>
func.func @quantize_axis(%x: tensor<4x6xf32>, %s: tensor<6xf32>, %z: tensor<6xui8>) -> tensor<4x6xui8> {
  %0 = dsq.quantize %x, %s, %z : (tensor<4x6xf32>, tensor<6xf32>, tensor<6xui8>) -> tensor<4x6xui8>
  return %0 : tensor<4x6xui8>
}

// -----

// Block-wise dequantize reads scale[i, j floordiv 3]; unsigned codes widen
// with extui and subtract the zero point in i32.
// CHECK: #[[BLOCK:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 3)>
// CHECK-LABEL: func @dequantize_blocks
// CHECK: linalg.generic {{.*}}indexing_maps = [#{{.*}}, #[[BLOCK]], #[[BLOCK]], #{{.*}}]
// CHECK: arith.extui {{.*}} : i8 to i32
// CHECK: arith.subi
// CHECK: arith.sitofp
// CHECK: arith.mulf
func.func @dequantize_blocks(%x: tensor<4x6xui8>, %s: tensor<4x2xf32>, %z: tensor<4x2xui8>) -> tensor<4x6xf32> {
  %0 = dsq.dequantize %x, %s, %z {block_size = 3 : i64} : (tensor<4x6xui8>, tensor<4x2xf32>, tensor<4x2xui8>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

// The range is one pass (per-lane minima and maxima, NaNs ignored), the
// scale and zero point are a rank-0 op over it (the range always includes
// 0), and the quantizing op reads them as operands: nothing goes through
// the host.
// CHECK-LABEL: func @dynamic
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
// CHECK: arith.minnumf
// CHECK: arith.maxnumf
// CHECK: linalg.generic {{.*}}iterator_types = []} ins(%{{.*}}, %{{.*}} : tensor<f32>, tensor<f32>) outs(%{{.*}}, %{{.*}} : tensor<f32>, tensor<i8>)
// CHECK: arith.subf
// CHECK: arith.divf
// CHECK: linalg.generic {{.*}}ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<f32>, tensor<i8>)
// CHECK: math.roundeven
// CHECK-NOT: tensor.extract
func.func @dynamic(%x: tensor<2x8xf32>) -> (tensor<2x8xui8>, tensor<f32>, tensor<ui8>) {
  %q, %s, %z = dsq.dynamic_quantize %x : tensor<2x8xf32> -> tensor<2x8xui8>, tensor<f32>, tensor<ui8>
  return %q, %s, %z : tensor<2x8xui8>, tensor<f32>, tensor<ui8>
}

// -----

// Without zero points the contraction multiplies widened codes (uint8 by
// extui, int8 by extsi) into an i32 accumulator.
// CHECK-LABEL: func @matmul_integer
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: ^bb0(%[[A:.*]]: i8, %[[B:.*]]: i8, %[[ACC:.*]]: i32):
// CHECK: %[[WA:.*]] = arith.extui %[[A]] : i8 to i32
// CHECK-NEXT: %[[WB:.*]] = arith.extsi %[[B]] : i8 to i32
// CHECK: %[[P:.*]] = arith.muli %[[WA]], %[[WB]]
// CHECK: arith.addi %[[ACC]], %[[P]]
func.func @matmul_integer(%a: tensor<?x8xui8>, %b: tensor<8x3xi8>) -> tensor<?x3xi32> {
  %0 = dsq.matmul_integer %a, %b : (tensor<?x8xui8>, tensor<8x3xi8>) -> tensor<?x3xi32>
  return %0 : tensor<?x3xi32>
}

// -----

// Per-column zero points are an input indexed by the column loop.
// CHECK-LABEL: func @matmul_integer_zero_points
// CHECK: tensor.extract
// CHECK: linalg.generic {{.*}}ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x4xi8>, tensor<4x3xi8>, tensor<3xi8>)
// CHECK-COUNT-2: arith.subi
func.func @matmul_integer_zero_points(%a: tensor<2x4xui8>, %b: tensor<4x3xui8>, %za: tensor<ui8>, %zb: tensor<3xui8>) -> tensor<2x3xi32> {
  %0 = dsq.matmul_integer %a, %b zero_points(%za, %zb) : (tensor<2x4xui8>, tensor<4x3xui8>, tensor<ui8>, tensor<3xui8>) -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// -----

// Packed int4 weights are unpacked in the loop body (shift by 4 * the code
// index, mask 15): no unpacked or float weight tensor exists. K = 100 is
// padded to two groups of 64.
// CHECK-LABEL: func @weight_matmul
// CHECK: tensor.pad
// CHECK: tensor.expand_shape {{.*}} : tensor<5x64xi8> into tensor<5x2x32xi8>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK: linalg.index 4
// CHECK: arith.shrui
// CHECK: arith.andi
// CHECK: arith.subi
// CHECK: arith.mulf
// CHECK-NOT: tensor<5x128xf32>
func.func @weight_matmul(%x: tensor<2x100xf32>, %w: tensor<5x64xui8>, %s: tensor<5x2xf32>,
                         %z: tensor<5x2xui8>) -> tensor<2x5xf32> {
  %0 = dsq.weight_matmul %x, %w, %s zero_points %z {bits = 4 : i64, group_size = 64 : i64, in_features = 100 : i64} : (tensor<2x100xf32>, tensor<5x64xui8>, tensor<5x2xf32>, tensor<5x2xui8>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// uint8 activations times a constant int8 weight without zero points: the
// weight is repacked at compile time as [K/4, N, 4] and the contraction runs
// over (m, n, k/4, k%4), the form the backends turn into dot-product
// instructions.
// Weights over the target's dot-product limit (here 2) keep the plain
// contraction.
// LIMIT-LABEL: func @matmul_integer_dot_groups
// LIMIT-NOT: tensor<2x5x4xi8>
// LIMIT: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-LABEL: func @matmul_integer_dot_groups
// CHECK: arith.constant dense<3> : tensor<2x5x4xi8>
// CHECK: tensor.expand_shape {{.*}} into tensor<3x2x4xi8>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<3x2x4xi8>, tensor<2x5x4xi8>)
func.func @matmul_integer_dot_groups(%a: tensor<3x8xui8>) -> tensor<3x5xi32> {
  %w = dsg.constant dense<3> : tensor<8x5xi8>
  %0 = dsq.matmul_integer %a, %w : (tensor<3x8xui8>, tensor<8x5xi8>) -> tensor<3x5xi32>
  return %0 : tensor<3x5xi32>
}

// -----

// With several dynamic dims the range is still one [rows, lanes] pass:
// the rows are the element count over the lanes.
// CHECK-LABEL: func @dynamic_dims
// CHECK: tensor.collapse_shape {{.*}} into tensor<?xf32>
// CHECK: tensor.expand_shape {{.*}} into tensor<?x64xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
func.func @dynamic_dims(%x: tensor<?x?x64xf32>) -> (tensor<?x?x64xui8>, tensor<f32>, tensor<ui8>) {
  %q, %s, %z = dsq.dynamic_quantize %x : tensor<?x?x64xf32> -> tensor<?x?x64xui8>, tensor<f32>, tensor<ui8>
  return %q, %s, %z : tensor<?x?x64xui8>, tensor<f32>, tensor<ui8>
}

// -----

// im2col: the input padded with the pad value, gathered as
// (n, oh, ow, c, kh, kw) <- input[n, c, 2*oh + kh, ow + 2*kw], collapsed to
// [N, pixels, taps] and filled out with a zero column to 28.
// CHECK-DAG: #[[GATHER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1 * 2 + d4, d2 + d5 * 2)>
// CHECK-LABEL: func @im2col
// CHECK: %[[PADV:.*]] = tensor.extract %{{.*}}[] : tensor<i8>
// CHECK: %[[PADDED:.*]] = tensor.pad %{{.*}} low[0, 0, 1, 0] high[0, 0, 1, 2]
// CHECK: tensor.yield %[[PADV]] : i8
// CHECK: } : tensor<2x3x8x8xi8> to tensor<2x3x10x10xi8>
// CHECK: %[[WINDOWS:.*]] = linalg.generic {indexing_maps = [#[[GATHER]], {{.*}}} ins(%[[PADDED]] : tensor<2x3x10x10xi8>) outs(%{{.*}} : tensor<2x4x6x3x3x3xi8>)
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape %[[WINDOWS]] {{\[}}[0], [1, 2], [3, 4, 5]] : tensor<2x4x6x3x3x3xi8> into tensor<2x24x27xi8>
// CHECK: tensor.pad %[[ROWS]] low[0, 0, 0] high[0, 0, 1]
// CHECK: } : tensor<2x24x27xi8> to tensor<2x24x28xi8>
func.func @im2col(%x: tensor<2x3x8x8xui8>, %z: tensor<ui8>) -> tensor<2x24x28xui8> {
  %0 = dsq.im2col %x, %z {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 1>, pads = array<i64: 1, 0, 1, 2>, dilations = array<i64: 1, 2>} : (tensor<2x3x8x8xui8>, tensor<ui8>) -> tensor<2x24x28xui8>
  return %0 : tensor<2x24x28xui8>
}

// -----

// Constant weights: the packed bytes are transposed at compile time to
// [groups, bytes per group, N], the scales and the zero points to
// [groups, N], so that the columns are the innermost, contiguous loop that
// ds-vectorize-elementwise vectorizes (ds.vectorize_innermost); the codes
// stay packed. The scales and zero points are expanded at run time to
// float32 scales and offsets (zero point * scale), and
// w = code * scale - offset.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[CODES:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d4)>
// CHECK-DAG: #[[GROUP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d4)>
// CHECK-LABEL: func @weight_matmul_columns
// CHECK: %[[CODES_T:.*]] = arith.constant dense<{{\[}}{{\[}}[16, 1], [50, 2]], {{\[}}[84, 3], [118, 4]]]> : tensor<2x2x2xi8>
// CHECK: %[[SCALES_T:.*]] = arith.constant dense<{{\[}}[5.000000e-01, 2.500000e-01], [2.000000e+00, 1.000000e+00]]> : tensor<2x2xf32>
// CHECK: %[[ZEROS_T:.*]] = arith.constant dense<{{\[}}[8, 0], [1, 3]]> : tensor<2x2xi8>
// CHECK: %[[EXPANDED:.*]]:2 = linalg.generic {{.*}} ins(%[[SCALES_T]], %[[ZEROS_T]] : tensor<2x2xf32>, tensor<2x2xi8>)
// CHECK: %[[ZERO:.*]] = arith.uitofp
// CHECK: %[[OFFSET:.*]] = arith.mulf %[[ZERO]]
// CHECK: linalg.yield %{{.*}}, %[[OFFSET]]
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[CODES]], #[[GROUP]], #[[GROUP]], #[[OUT]]], iterator_types = ["parallel", "reduction", "reduction", "reduction", "parallel"]} ins(%{{.*}}, %[[CODES_T]], %[[EXPANDED]]#0, %[[EXPANDED]]#1 : {{.*}}) outs(%{{.*}} : tensor<3x2xf32>) attrs = {ds.vectorize_innermost}
// CHECK: %[[I:.*]] = linalg.index 3
// CHECK: arith.shrui
// CHECK: arith.andi
// CHECK: %[[REAL:.*]] = arith.uitofp
// CHECK: %[[SCALED:.*]] = arith.mulf %[[REAL]]
// CHECK: arith.subf %[[SCALED]]
func.func @weight_matmul_columns(%x: tensor<3x8xf32>) -> tensor<3x2xf32> {
  %w = dsg.constant dense<[[16, 50, 84, 118], [1, 2, 3, 4]]> : tensor<2x4xui8>
  %s = dsg.constant dense<[[0.5, 2.0], [0.25, 1.0]]> : tensor<2x2xf32>
  %z = dsg.constant dense<[[8, 1], [0, 3]]> : tensor<2x2xui8>
  %0 = dsq.weight_matmul %x, %w, %s zero_points %z {bits = 4 : i64, group_size = 4 : i64, in_features = 8 : i64} : (tensor<3x8xf32>, tensor<2x4xui8>, tensor<2x2xf32>, tensor<2x2xui8>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// From 4 rows, with columns in blocks of 64: one thread-pool task per
// block (scf.forall over blocks of rows, here all 16 of them, by blocks of
// columns; task t starts at row 16 (t / 2) and column 64 (t % 2)), and in
// each a loop over the groups
// that unpacks the group's codes into a [group size, 64] float tile (loops
// j, i, n: code i of byte j, 2-bit codes here) and multiplies the rows'
// slice of the input with it as a plain linalg.matmul, accumulating in the
// block. Without group-tiles (for the GPU) the column-vector op.
// NOTILES-LABEL: func @weight_matmul_group_tiles
// NOTILES-NOT: scf.forall
// NOTILES: attrs = {ds.vectorize_innermost}
// CHECK-LABEL: func @weight_matmul_group_tiles
// CHECK: scf.forall (%[[T:.*]]) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<16x128xf32>)
// CHECK: %[[RB:.*]] = arith.divui %[[T]], %c2
// CHECK: %[[ROW:.*]] = arith.muli %[[RB]], %c16
// CHECK: %[[CB:.*]] = arith.remui %[[T]], %c2
// CHECK: %[[COL:.*]] = arith.muli %[[CB]], %c64
// CHECK: %[[BLOCK:.*]] = tensor.extract_slice %[[OUT]][%[[ROW]], %[[COL]]] [16, 64] [1, 1]
// CHECK: scf.for %[[G:.*]] = %{{.*}} to %c2{{.*}} step %c1{{.*}} iter_args(%[[ACC:.*]] = %[[BLOCK]]) -> (tensor<16x64xf32>)
// CHECK: %[[BYTES:.*]] = tensor.extract_slice %{{.*}}[%[[G]], 0, %[[COL]]] [1, 2, 64] [1, 1, 1] : tensor<2x2x128xi8> to tensor<2x64xi8>
// CHECK: %[[TILE:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[BYTES]], {{.*}}) outs(%{{.*}} : tensor<2x4x64xf32>)
// CHECK: arith.uitofp
// CHECK: %[[W:.*]] = tensor.collapse_shape %[[TILE]] {{\[}}[0, 1], [2]] : tensor<2x4x64xf32> into tensor<8x64xf32>
// CHECK: %[[X:.*]] = tensor.extract_slice %{{.*}}[%[[ROW]], %{{.*}}] [16, 8] [1, 1] : tensor<16x16xf32> to tensor<16x8xf32>
// CHECK: %[[P:.*]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<16x8xf32>, tensor<8x64xf32>) outs(%[[ACC]] : tensor<16x64xf32>)
// CHECK: scf.yield %[[P]]
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[ROW]], %[[COL]]] [16, 64] [1, 1]
func.func @weight_matmul_group_tiles(%x: tensor<16x16xf32>) -> tensor<16x128xf32> {
  %w = dsg.constant dense<27> : tensor<128x4xui8>
  %s = dsg.constant dense<0.5> : tensor<128x2xf32>
  %0 = dsq.weight_matmul %x, %w, %s {bits = 2 : i64, group_size = 8 : i64, in_features = 16 : i64} : (tensor<16x16xf32>, tensor<128x4xui8>, tensor<128x2xf32>) -> tensor<16x128xf32>
  return %0 : tensor<16x128xf32>
}

// -----

// w4a8: per block of rows and columns (a thread-pool task) and per group,
// the block's codes, laid out at compile time as [groups, words, N, 4]
// bytes (byte j, lane r holds, in its bits 4h, code 4 * (2j + h) + r:
// 1, 2, 1, 2 from 0x21 here, so 0x11, 0x22), are unpacked and centered on
// their column's zero point (repeated over the column's four bytes for the
// run) into a [group / 4, 64, 4] int8 tile, multiplied with the rows'
// codes in dot-product groups (i32), and the sum scaled into the block's
// float accumulator: acc + scale * dot. Last, s_x * acc - s_x * zp_x *
// (column sums of the weights). Without group-tiles the codes are
// dequantized in one float generic.
// NOTILES-LABEL: func @weight_matmul_integer
// NOTILES-NOT: scf.forall
// NOTILES: arith.subi
// NOTILES: arith.sitofp
// NOTILES: arith.mulf
// CHECK-LABEL: func @weight_matmul_integer
// CHECK-DAG: arith.constant dense<"0x11221122{{.*}}"> : tensor<2x1x64x4xi8>
// CHECK-DAG: arith.constant dense<8> : tensor<2x64xi8>
// Each column: 2 groups of 0.5 * (4 * (1 + 2) - 8 * 8).
// CHECK-DAG: arith.constant dense<-5.200000e+01> : tensor<64xf32>
// CHECK: %[[ZEROS:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<2x64xi8>) outs(%{{.*}} : tensor<2x64x4xi8>)
// CHECK: %[[REPEATED:.*]] = tensor.collapse_shape %[[ZEROS]] {{\[}}[0], [1, 2]] : tensor<2x64x4xi8> into tensor<2x256xi8>
// CHECK: scf.forall (%{{.*}}) in (1) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<4x64xf32>)
// CHECK: scf.for %[[G:.*]] = %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<4x64xf32>)
// CHECK: %[[BYTES:.*]] = tensor.extract_slice %{{.*}}[%[[G]], 0, %{{.*}}] [1, 1, 256] [1, 1, 1] : tensor<2x1x256xi8> to tensor<1x256xi8>
// CHECK: %[[ZB:.*]] = tensor.extract_slice %[[REPEATED]][%[[G]], %{{.*}}] [1, 256] [1, 1] : tensor<2x256xi8> to tensor<256xi8>
// CHECK: %[[TILE:.*]] = linalg.generic {{.*}} ins(%[[BYTES]], %[[ZB]] : tensor<1x256xi8>, tensor<256xi8>) outs(%{{.*}} : tensor<1x2x256xi8>)
// CHECK: arith.shrui
// CHECK: %[[CODE:.*]] = arith.andi
// CHECK: arith.subi %[[CODE]]
// CHECK: %[[RHS:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2]] {{.*}} into tensor<2x64x4xi8>
// CHECK: %[[LHS:.*]] = tensor.extract_slice %{{.*}}[%{{.*}}, %[[G]], 0, 0] [4, 1, 2, 4] [1, 1, 1, 1] : tensor<4x2x2x4xi8> to tensor<4x2x4xi8>
// CHECK: %[[DOT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%[[LHS]], %[[RHS]] : tensor<4x2x4xi8>, tensor<2x64x4xi8>) outs(%{{.*}} : tensor<4x64xi32>)
// CHECK: arith.extui
// CHECK: arith.extsi
// CHECK: arith.muli
// CHECK: linalg.generic {{.*}} ins(%[[DOT]], %{{.*}} : tensor<4x64xi32>, tensor<64xf32>) outs(%[[ACC]] : tensor<4x64xf32>)
// CHECK: arith.sitofp
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%{{.*}}, %{{.*}}] [4, 64] [1, 1]
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.subf
func.func @weight_matmul_integer(%x: tensor<4x16xui8>, %sx: tensor<f32>, %zx: tensor<ui8>) -> tensor<4x64xf32> {
  %w = dsg.constant dense<33> : tensor<64x8xui8>
  %s = dsg.constant dense<0.5> : tensor<64x2xf32>
  %z = dsg.constant dense<8> : tensor<64x2xui8>
  %0 = dsq.weight_matmul_integer %x, %sx, %zx, %w, %s zero_points %z {bits = 4 : i64, group_size = 8 : i64, in_features = 16 : i64} : (tensor<4x16xui8>, tensor<f32>, tensor<ui8>, tensor<64x8xui8>, tensor<64x2xf32>, tensor<64x2xui8>) -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}
