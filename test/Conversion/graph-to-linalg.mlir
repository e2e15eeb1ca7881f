// RUN: deepseek-opt %s -ds-convert-graph-to-linalg -split-input-file | FileCheck %s
// RUN: deepseek-opt %s -ds-convert-graph-to-linalg="register-tile-columns=16" -split-input-file | FileCheck %s --check-prefix=PANEL16
// RUN: deepseek-opt %s -ds-convert-graph-to-linalg="winograd=false" -split-input-file | FileCheck %s --check-prefix=DIRECT

// Broadcasting is an indexing map, not a materialized tensor.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @add_broadcast
func.func @add_broadcast(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  // CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
  // CHECK: arith.addf
  %0 = dsg.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Unsigned tensors become signless, and the comparison picks the unsigned
// predicate from the dsg type.
// CHECK-LABEL: func @unsigned_less
// CHECK-SAME: tensor<4xi8>
func.func @unsigned_less(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<4xi1> {
  // CHECK: arith.cmpi ult
  %0 = dsg.less %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

// CHECK-LABEL: func @matmul
func.func @matmul(%a: tensor<4x2x3xf32>, %b: tensor<3x5xf32>) -> tensor<4x2x5xf32> {
  // CHECK: linalg.fill
  // CHECK: linalg.generic
  // CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction"]
  // CHECK: arith.mulf
  // CHECK: arith.addf
  %0 = dsg.matmul %a, %b : (tensor<4x2x3xf32>, tensor<3x5xf32>) -> tensor<4x2x5xf32>
  return %0 : tensor<4x2x5xf32>
}

// -----

// Grouped conv: channels split into (group, per-group), input padded once,
// gathered into an im2col matrix per group (q = c,kh,kw by p = oh,ow), then
// one contraction per group over q whose accumulator starts at the bias.
// CHECK-DAG: #[[GATHER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d5 * 2 + d3, d6 * 2 + d4)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d4)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
// CHECK-LABEL: func @conv_grouped
func.func @conv_grouped(%x: tensor<1x4x5x5xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x3x3xf32> {
  // CHECK: tensor.pad
  // CHECK: tensor.expand_shape {{.*}} tensor<1x4x7x7xf32> into tensor<1x2x2x7x7xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[GATHER]], {{.*}}]{{.*}} outs(%{{.*}} : tensor<1x2x2x3x3x3x3xf32>)
  // CHECK: tensor.collapse_shape {{.*}} into tensor<1x2x18x9xf32>
  // CHECK: tensor.expand_shape {{.*}} tensor<6x2x3x3xf32> into tensor<2x3x2x3x3xf32>
  // CHECK: tensor.collapse_shape {{.*}} into tensor<2x3x18xf32>
  // CHECK: %[[BIAS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x3x9xf32>)
  // CHECK: linalg.generic {indexing_maps = [#[[W]], #[[COL]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
  // CHECK-SAME: outs(%[[BIAS]] :
  // CHECK: tensor.collapse_shape {{.*}} tensor<1x2x3x9xf32> into tensor<1x6x9xf32>
  // CHECK: tensor.expand_shape {{.*}} tensor<1x6x9xf32> into tensor<1x6x3x3xf32>
  %0 = dsg.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x4x5x5xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x3x3xf32>
  return %0 : tensor<1x6x3x3xf32>
}

// -----

// CHECK-LABEL: func @reshape
func.func @reshape(%a: tensor<2x3x4xf32>) -> tensor<6x4xf32> {
  // CHECK: tensor.collapse_shape
  // CHECK: tensor.expand_shape
  %0 = dsg.reshape %a : tensor<2x3x4xf32> -> tensor<6x4xf32>
  return %0 : tensor<6x4xf32>
}

// -----

// CHECK-LABEL: func @transpose
func.func @transpose(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // CHECK: linalg.transpose {{.*}} permutation = [1, 0]
  %0 = dsg.transpose %a {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Positive steps are a strided extract_slice; a negative step cuts the span
// it reads, then reverses it through an affine map.
// CHECK: #[[REV:.*]] = affine_map<(d0, d1) -> (d0, -d1 + 2)>
// CHECK-LABEL: func @slice
func.func @slice(%a: tensor<8x10xf32>) -> tensor<3x3xf32> {
  // CHECK: tensor.extract_slice %{{.*}}[1, 3] [3, 3] [2, 2]
  // CHECK: linalg.generic {indexing_maps = [#[[REV]]
  %0 = dsg.slice %a {starts = array<i64: 1, 7>, steps = array<i64: 2, -2>} : tensor<8x10xf32> -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

// CHECK-LABEL: func @softmax
func.func @softmax(%a: tensor<2x5xf32>) -> tensor<2x5xf32> {
  // CHECK: arith.maximumf
  // CHECK: arith.subf
  // CHECK: math.exp
  // CHECK: arith.addf
  // CHECK: arith.divf
  %0 = dsg.softmax %a {axis = 1 : i64, log = false} : tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// CHECK-LABEL: func @constant
func.func @constant() -> tensor<2xui8> {
  // CHECK: arith.constant dense<[1, -1]> : tensor<2xi8>
  %0 = dsg.constant dense<[1, 255]> : tensor<2xui8>
  return %0 : tensor<2xui8>
}

// -----

// Einsum is one generic: output letters parallel, summed letters reduce; a
// repeated letter reads a diagonal.
// CHECK-DAG: #[[DIAG:.*]] = affine_map<(d0, d1) -> (d0, d1, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @einsum_diagonal
func.func @einsum_diagonal(%a: tensor<3x5x5xf32>) -> tensor<3x5xf32> {
  // CHECK: linalg.generic {indexing_maps = [#[[DIAG]], #[[OUT]]], iterator_types = ["parallel", "parallel"]}
  %0 = dsg.einsum %a {equation = "Aii->Ai"} : (tensor<3x5x5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// CHECK-LABEL: func @einsum_matmul
func.func @einsum_matmul(%a: tensor<5x2x3xf32>, %b: tensor<5x3x4xf32>) -> tensor<5x2x4xf32> {
  // CHECK: iterator_types = ["parallel", "parallel", "parallel", "reduction"]
  // CHECK: arith.mulf
  // CHECK: arith.addf
  %0 = dsg.einsum %a, %b {equation = "bij,bjk->bik"} : (tensor<5x2x3xf32>, tensor<5x3x4xf32>) -> tensor<5x2x4xf32>
  return %0 : tensor<5x2x4xf32>
}

// -----

// CHECK-LABEL: func @gather_nd
func.func @gather_nd(%d: tensor<2x2x2xf32>, %i: tensor<2x1x2xi64>) -> tensor<2x1x2xf32> {
  // CHECK: linalg.generic
  // CHECK: tensor.extract %{{.*}} : tensor<2x1x2xi64>
  // CHECK: tensor.extract %{{.*}} : tensor<2x2x2xf32>
  %0 = dsg.gather_nd %d, %i {batch_dims = 0 : i64} : (tensor<2x2x2xf32>, tensor<2x1x2xi64>) -> tensor<2x1x2xf32>
  return %0 : tensor<2x1x2xf32>
}

// -----

// Scatter is a gather over the updates: output dims parallel, update dims a
// reduction (in order, so the last matching update wins).
// CHECK-LABEL: func @scatter_elements
func.func @scatter_elements(%d: tensor<1x5xf32>, %i: tensor<1x2xi64>, %u: tensor<1x2xf32>) -> tensor<1x5xf32> {
  // CHECK: linalg.copy
  // CHECK: linalg.generic
  // CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "reduction"]
  // CHECK: arith.addf
  // CHECK: arith.select
  %0 = dsg.scatter_elements %d, %i, %u {axis = 1 : i64, reduction = "add"} : (tensor<1x5xf32>, tensor<1x2xi64>, tensor<1x2xf32>) -> tensor<1x5xf32>
  return %0 : tensor<1x5xf32>
}

// -----

// A stride-1 depthwise convolution runs over flattened padded rows: the
// input is padded (one extra row below for the last row's dropped
// columns), its rows laid end to end (7 wide), and each of the 9 taps is
// one contiguous slice of 5 rows x 7 = 35 elements, offset by i * 7 + j.
// The bias is an input of the op, not its init, and each tap's multiply
// and add may contract into one FMA. The two padding columns of each row
// are dropped at the end.
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-DAG: #[[FLAT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func @depthwise_flat_rows
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 2, 1]
// CHECK: tensor<1x3x5x5xf32> to tensor<1x3x8x7xf32>
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape {{.*}} into tensor<1x3x56xf32>
// CHECK: tensor.extract_slice %[[ROWS]][0, 0, 0] [1, 3, 35] [1, 1, 1]
// CHECK: tensor.extract_slice %[[ROWS]][0, 0, 8] [1, 3, 35] [1, 1, 1]
// CHECK: tensor.extract_slice %[[ROWS]][0, 0, 16] [1, 3, 35] [1, 1, 1]
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[FLAT]], #[[FLAT]], #[[FLAT]], #[[FLAT]], #[[FLAT]], #[[FLAT]], #[[FLAT]], #[[FLAT]], #[[FLAT]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[FLAT]]]{{.*}} outs(%{{.*}} : tensor<1x3x35xf32>)
// CHECK-COUNT-9: arith.addf %{{.*}}, %{{.*}} fastmath<contract> : f32
// CHECK-NOT: arith.addf
// CHECK: %[[ROWS_OUT:.*]] = tensor.expand_shape %[[SUM]] {{.*}} into tensor<1x3x5x7xf32>
// CHECK: tensor.extract_slice %[[ROWS_OUT]][0, 0, 0, 0] [1, 3, 5, 5] [1, 1, 1, 1]
func.func @depthwise_flat_rows(%x: tensor<1x3x5x5xf32>, %w: tensor<3x1x3x3xf32>, %b: tensor<3xf32>) -> tensor<1x3x5x5xf32> {
  %0 = dsg.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 3 : i64} : (tensor<1x3x5x5xf32>, tensor<3x1x3x3xf32>, tensor<3xf32>) -> tensor<1x3x5x5xf32>
  return %0 : tensor<1x3x5x5xf32>
}

// -----

// Strided windows keep 2-D taps and strided views. Over wide rows they go
// by output regions so that no padded copy of the whole input is made: the
// interior (outputs [1, 28) in both dims, whose windows lie within the
// input) reads the input itself; the rows above and below it and the
// columns left and right of it each pad only the input rows or columns
// they read. (Too little work to split among threads.)
// CHECK-LABEL: func @depthwise_strided
// CHECK-NOT: scf.forall
// CHECK-NOT: tensor.pad
// CHECK: %[[IN:.*]] = tensor.extract_slice %arg0[0, 0, 1, 1] [1, 3, 55, 55] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %[[IN]][0, 0, 0, 0] [1, 3, 27, 27] [1, 1, 2, 2]
// CHECK: %[[MID:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x3x27x27xf32>)
// CHECK: %[[R0:.*]] = tensor.insert_slice %[[MID]] into %{{.*}}[0, 0, 1, 1] [1, 3, 27, 27]
// CHECK: %[[TOP:.*]] = tensor.extract_slice %arg0[0, 0, 0, 0] [1, 3, 2, 57] [1, 1, 1, 1]
// CHECK: tensor.pad %[[TOP]] low[0, 0, 1, 1] high[0, 0, 0, 1]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 3, 1, 29] [1, 1, 2, 2]
// CHECK: %[[R1:.*]] = tensor.insert_slice %{{.*}} into %[[R0]][0, 0, 0, 0] [1, 3, 1, 29]
// CHECK: tensor.pad %{{.*}} low[0, 0, 0, 1] high[0, 0, 1, 1]
// CHECK: %[[R2:.*]] = tensor.insert_slice %{{.*}} into %[[R1]][0, 0, 28, 0] [1, 3, 1, 29]
// CHECK: tensor.pad %{{.*}} low[0, 0, 0, 1] high[0, 0, 0, 0]
// CHECK: %[[R3:.*]] = tensor.insert_slice %{{.*}} into %[[R2]][0, 0, 1, 0] [1, 3, 27, 1]
// CHECK: tensor.pad %{{.*}} low[0, 0, 0, 0] high[0, 0, 0, 1]
// CHECK: %[[R4:.*]] = tensor.insert_slice %{{.*}} into %[[R3]][0, 0, 1, 28] [1, 3, 27, 1]
// CHECK: return %[[R4]]
func.func @depthwise_strided(%x: tensor<1x3x57x57xf32>, %w: tensor<3x1x3x3xf32>) -> tensor<1x3x29x29xf32> {
  %0 = dsg.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 3 : i64} : (tensor<1x3x57x57xf32>, tensor<3x1x3x3xf32>) -> tensor<1x3x29x29xf32>
  return %0 : tensor<1x3x29x29xf32>
}

// -----

// With work enough, strided windows go in 16 thread tasks of whole
// channels; over narrow rows each task pads its own channels, and takes
// its channels' weights and bias.
// CHECK-LABEL: func @depthwise_strided_tasks
// CHECK: scf.forall (%[[C:.*]]) = (0) to (256) step (16) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<1x256x7x7xf32>)
// CHECK: %[[PART:.*]] = tensor.extract_slice %arg0[0, %[[C]], 0, 0] [1, 16, 14, 14] [1, 1, 1, 1]
// CHECK: %[[PAD:.*]] = tensor.pad %[[PART]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.extract_slice %[[PAD]][0, 0, 0, 0] [1, 16, 7, 7] [1, 1, 2, 2]
// CHECK: tensor.extract_slice %{{.*}}[%[[C]]] [16] [1]
// CHECK: tensor.extract_slice %arg2[%[[C]]] [16] [1]
// CHECK: %[[TILE:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x16x7x7xf32>)
// CHECK: tensor.parallel_insert_slice %[[TILE]] into %[[OUT]][0, %[[C]], 0, 0] [1, 16, 7, 7] [1, 1, 1, 1]
func.func @depthwise_strided_tasks(%x: tensor<1x256x14x14xf32>, %w: tensor<256x1x3x3xf32>, %b: tensor<256xf32>) -> tensor<1x256x7x7xf32> {
  %0 = dsg.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 256 : i64} : (tensor<1x256x14x14xf32>, tensor<256x1x3x3xf32>, tensor<256xf32>) -> tensor<1x256x7x7xf32>
  return %0 : tensor<1x256x7x7xf32>
}

// -----

// Stride-1 pooling takes the flattened rows too (padding with -inf for
// max); a 2x2 window without padding needs one extra row of it.
// CHECK-LABEL: func @max_pool_flat_rows
// CHECK: tensor.pad %{{.*}} low[0, 0, 0, 0] high[0, 0, 1, 0]
// CHECK: tensor.collapse_shape {{.*}} into tensor<1x2x20xf32>
// CHECK: tensor.extract_slice {{.*}}[0, 0, 5] [1, 2, 12] [1, 1, 1]
// CHECK: arith.maximumf
// CHECK: tensor.extract_slice {{.*}}[0, 0, 0, 0] [1, 2, 3, 3] [1, 1, 1, 1]
func.func @max_pool_flat_rows(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x3x3xf32> {
  %0 = dsg.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x2x4x4xf32> -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// -----

// Fewer pixels (9) than a register tile is wide, channels (64) that fill
// one: the product is computed pixels as rows, outT[n, g, p, fb, fi] =
// colT[n, g, p, q] * panels[g, fb, q, fi] (f = 64 fb + fi), the im2col
// gather writing colT directly, the constant weights packed at compile
// time in panels of 64 columns, and the result transposed back.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d3, d5, d4)>
// CHECK-LABEL: func @pixels_as_rows
// CHECK: outs(%{{.*}} : tensor<1x1x3x3x2x3x3xf32>)
// CHECK: %[[COLT:.*]] = tensor.collapse_shape {{.*}} into tensor<1x1x9x18xf32>
// CHECK: %[[WT:.*]] = arith.constant dense<5.000000e-01> : tensor<1x1x18x64xf32>
// CHECK: %[[OUTT:.*]] = linalg.generic {indexing_maps = [#[[A]], #[[B]], {{.*}}]{{.*}} ins(%[[COLT]], %[[WT]] : {{.*}} outs(%{{.*}} : tensor<1x1x9x1x64xf32>)
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape %[[OUTT]] {{\[}}[0], [1], [2], [3, 4]] : tensor<1x1x9x1x64xf32> into tensor<1x1x9x64xf32>
// CHECK: linalg.transpose ins(%[[ROWS]] : tensor<1x1x9x64xf32>) outs(%{{.*}} : tensor<1x1x64x9xf32>) permutation = [0, 1, 3, 2]
// With AVX2's 16-column register tile, four panels of 16.
// PANEL16-LABEL: func @pixels_as_rows
// PANEL16: arith.constant dense<5.000000e-01> : tensor<1x4x18x16xf32>
// PANEL16: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x1x9x4x16xf32>)
func.func @pixels_as_rows(%x: tensor<1x2x3x3xf32>) -> tensor<1x64x3x3xf32> {
  %w = dsg.constant dense<0.5> : tensor<64x2x3x3xf32>
  %0 = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<64x2x3x3xf32>) -> tensor<1x64x3x3xf32>
  return %0 : tensor<1x64x3x3xf32>
}

// -----

// With weights that are not constants the usual orientation stays.
// CHECK-LABEL: func @pixels_as_columns_without_constant_weights
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x1x64x9xf32>)
// CHECK-NOT: linalg.transpose
func.func @pixels_as_columns_without_constant_weights(%x: tensor<1x2x3x3xf32>, %w: tensor<64x2x1x1xf32>) -> tensor<1x64x3x3xf32> {
  %0 = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<64x2x1x1xf32>) -> tensor<1x64x3x3xf32>
  return %0 : tensor<1x64x3x3xf32>
}

// -----

// A constant right-hand side with N a multiple of 64 is packed at compile
// time in panels of 64 columns, [N/64, K, 64] (column 64 p + c of row k at
// [p, k, c]: here 2 x 3 x 64 from [3, 128]), and the product runs over
// loops (m, nb, ni | k) into [M, N/64, 64], the bias [N] as [N/64, 64] in
// its initial value, the activation on the packed result, and the result
// collapsed to [M, N]. Gemm takes the same form (alpha = beta = 1).
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3)>
// CHECK-DAG: #[[PANELS:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d3, d2)>
// CHECK-LABEL: func @matmul_panels
// CHECK: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<2x3x64xf32>
// CHECK: %[[B:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [2, 64] : tensor<128xf32> into tensor<2x64xf32>
// CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [#[[LHS]], #[[PANELS]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[W]] : tensor<4x3xf32>, tensor<2x3x64xf32>) outs(%{{.*}} : tensor<4x2x64xf32>)
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[P]] : tensor<4x2x64xf32>)
// CHECK: %[[BELOW:.*]] = arith.cmpf ogt, %{{.*}}, %[[IN:.*]] : f32
// CHECK: arith.select %[[BELOW]], %{{.*}}, %[[IN]] : f32
// CHECK: tensor.collapse_shape %[[R]] {{\[}}[0], [1, 2]] : tensor<4x2x64xf32> into tensor<4x128xf32>
// CHECK-LABEL: func @gemm_panels
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x2x64xf32>)
// CHECK: tensor.collapse_shape
func.func @matmul_panels(%x: tensor<4x3xf32>, %bias: tensor<128xf32>) -> tensor<4x128xf32> {
  %w = dsg.constant dense<0.5> : tensor<3x128xf32>
  %0 = dsg.matmul %x, %w, %bias {activation = "relu"} : (tensor<4x3xf32>, tensor<3x128xf32>, tensor<128xf32>) -> tensor<4x128xf32>
  return %0 : tensor<4x128xf32>
}
// With register-tile-columns=16 (AVX2's register tile), panels of 16; a
// product of fewer than 4 rows keeps panels of 64, across which its
// register tile widens.
// PANEL16-LABEL: func @matmul_panels
// PANEL16: arith.constant dense<{{.*}}> : tensor<8x3x16xf32>
// PANEL16: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x8x16xf32>)
// PANEL16-LABEL: func @gemm_panels
// PANEL16: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x8x16xf32>)
// PANEL16-LABEL: func @gemv_panels
// PANEL16: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x64xf32>)
func.func @gemm_panels(%x: tensor<4x3xf32>, %c: tensor<128xf32>) -> tensor<4x128xf32> {
  %w = dsg.constant dense<0.5> : tensor<3x128xf32>
  %0 = dsg.gemm %x, %w, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<4x3xf32>, tensor<3x128xf32>, tensor<128xf32>) -> tensor<4x128xf32>
  return %0 : tensor<4x128xf32>
}
func.func @gemv_panels(%x: tensor<1x3xf32>) -> tensor<1x128xf32> {
  %w = dsg.constant dense<0.5> : tensor<3x128xf32>
  %0 = dsg.matmul %x, %w : (tensor<1x3xf32>, tensor<3x128xf32>) -> tensor<1x128xf32>
  return %0 : tensor<1x128xf32>
}

// -----

// A stride-1 convolution reads its input through the window, with no
// im2col copy: the input padded (here 7 rows by 5, and 6 more rows below
// so that the last computed column's taps stay in bounds) and its rows laid
// end to end, out[n, g, f, q] += w[g, f, b, i, j, c] *
// x[n, g, b, c, q + 5 i + j] over 64 columns (7 x 5 = 35, rounded up to a
// register tile), the channels in one block b (2 are too few to split),
// the weights transposed at compile time to [G, F, C/block, kh, kw, block]
// ([[1, 2]], [[3, 4]] -> [[1, 3], [2, 4]]), the bias in the initial value,
// the activation on the result, then the padding columns dropped.
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d4, d5, d6, d7)>
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d4, d7, d3 + d5 * 5 + d6)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func @conv_windowed
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 0] high[0, 0, 7, 0]
// CHECK: tensor.collapse_shape {{.*}} into tensor<1x2x65xf32>
// CHECK: %[[ROWS:.*]] = tensor.expand_shape {{.*}} into tensor<1x1x1x2x65xf32>
// CHECK: %[[WT:.*]] = arith.constant dense<{{\[\[\[\[\[\[}}1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]]]]]> : tensor<1x1x1x1x2x2xf32>
// CHECK: %[[CONV:.*]] = linalg.generic {indexing_maps = [#[[W]], #[[X]], #[[O]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]} ins(%[[WT]], %[[ROWS]] : {{.*}}) outs(%{{.*}} : tensor<1x1x1x64xf32>)
// CHECK: %[[ACT:.*]] = linalg.generic {{.*}} ins(%[[CONV]] : tensor<1x1x1x64xf32>)
// CHECK: %[[BELOW:.*]] = arith.cmpf ogt, %{{.*}}, %[[IN:.*]] : f32
// CHECK: arith.select %[[BELOW]], %{{.*}}, %[[IN]] : f32
// CHECK: tensor.extract_slice %[[ACT]][0, 0, 0, 0] [1, 1, 1, 35]
// CHECK: tensor.expand_shape {{.*}} into tensor<1x1x7x5xf32>
// CHECK: tensor.extract_slice {{.*}}[0, 0, 0, 0] [1, 1, 7, 4] [1, 1, 1, 1] : tensor<1x1x7x5xf32> to tensor<1x1x7x4xf32>
// With 16-column register tiles, 48 columns.
// PANEL16-LABEL: func @conv_windowed
// PANEL16: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x1x1x48xf32>)
// PANEL16: tensor.extract_slice {{.*}}[0, 0, 0, 0] [1, 1, 1, 35]
func.func @conv_windowed(%x: tensor<1x2x5x5xf32>, %b: tensor<1xf32>) -> tensor<1x1x7x4xf32> {
  %w = dsg.constant dense<[[[[1.0, 2.0]], [[3.0, 4.0]]]]> : tensor<1x2x1x2xf32>
  %0 = dsg.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 0, 1, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, activation = "relu"} : (tensor<1x2x5x5xf32>, tensor<1x2x1x2xf32>, tensor<1xf32>) -> tensor<1x1x7x4xf32>
  return %0 : tensor<1x1x7x4xf32>
}

// -----

// With padding on both sides, rows share their zero columns where that
// computes fewer register-tile columns: each row is its left padding then
// its data (11 + 1 = 12 wide, not 13), the next row's left padding serving
// as its right padding; 5 x 12 = 60 columns, one tile of 64, where rows of
// 13 would need 65, two tiles.
// CHECK-DAG: #[[X12:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d4, d7, d3 + d5 * 12 + d6)>
// CHECK-LABEL: func @conv_shared_padding
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 2, 0]
// CHECK: tensor.collapse_shape {{.*}} into tensor<1x2x96xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[X12]], #{{.*}}]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 1, 1, 60]
// CHECK: tensor.expand_shape {{.*}} into tensor<1x1x5x12xf32>
// CHECK: tensor.extract_slice {{.*}}[0, 0, 0, 0] [1, 1, 5, 11] [1, 1, 1, 1] : tensor<1x1x5x12xf32> to tensor<1x1x5x11xf32>
func.func @conv_shared_padding(%x: tensor<1x2x5x11xf32>) -> tensor<1x1x5x11xf32> {
  %w = dsg.constant dense<1.0> : tensor<1x2x3x3xf32>
  %0 = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x5x11xf32>, tensor<1x2x3x3xf32>) -> tensor<1x1x5x11xf32>
  return %0 : tensor<1x1x5x11xf32>
}

// -----

// Where sharing saves no tile (5 x 7 = 35 and 5 x 6 = 30 are both one tile
// of 64), rows keep both paddings, 7 wide.
// CHECK-DAG: #[[X7:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d4, d7, d3 + d5 * 7 + d6)>
// CHECK-LABEL: func @conv_unshared_padding
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, {{[0-9]+}}, 1]
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[X7]], #{{.*}}]
// CHECK: tensor.expand_shape {{.*}} into tensor<1x1x5x7xf32>
func.func @conv_unshared_padding(%x: tensor<1x2x5x5xf32>) -> tensor<1x1x5x5xf32> {
  %w = dsg.constant dense<1.0> : tensor<1x2x3x3xf32>
  %0 = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<1x2x3x3xf32>) -> tensor<1x1x5x5xf32>
  return %0 : tensor<1x1x5x5xf32>
}

// -----

// With 3x3 taps, the channels go in blocks of about 256 / 9 (32): 64
// channels are 2 blocks, the rows [N, G, 2, 32, length] and the weights
// [G, F, 2, kh, kw, 32], so that each block's weights of an output
// channel are contiguous.
// CHECK-DAG: #[[WB:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d4, d5, d6, d7)>
// CHECK-DAG: #[[XB:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d4, d7, d3 + d5 * 6 + d6)>
// CHECK-LABEL: func @conv_channel_blocks
// CHECK: %[[ROWS:.*]] = tensor.expand_shape {{.*}} into tensor<1x1x2x32x{{[0-9]+}}xf32>
// CHECK: %[[WT:.*]] = arith.constant dense<{{.*}}> : tensor<1x1x2x3x3x32xf32>
// CHECK: linalg.generic {indexing_maps = [#[[WB]], #[[XB]], #{{.*}}], {{.*}} ins(%[[WT]], %[[ROWS]] :
func.func @conv_channel_blocks(%x: tensor<1x64x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w = dsg.constant dense<1.0> : tensor<1x64x3x3xf32>
  %0 = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x64x4x4xf32>, tensor<1x64x3x3xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// A strided convolution with output rows at least as wide as the widest
// register tile (64) keeps the rows of its gathered columns apart,
// [N, G, Q, O1, O2], and its product is over (n, g, f, o1, o2 | q), so
// that the backend can split it by rows and gather per task; the result
// is its collapse.
// CHECK-LABEL: func @conv_pixel_rows
// CHECK: %[[COLS:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3, 4], [5], [6]] : tensor<1x1x3x3x3x2x64xf32> into tensor<1x1x27x2x64xf32>
// CHECK: %[[PROD:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[COLS]] : tensor<1x8x27xf32>, tensor<1x1x27x2x64xf32>)
// CHECK: tensor.collapse_shape %[[PROD]] {{\[}}[0], [1, 2], [3], [4]] : tensor<1x1x8x2x64xf32> into tensor<1x8x2x64xf32>
func.func @conv_pixel_rows(%x: tensor<1x3x5x130xf32>) -> tensor<1x8x2x64xf32> {
  %w = dsg.constant dense<1.0> : tensor<8x3x3x3xf32>
  %0 = dsg.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x5x130xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x2x64xf32>
  return %0 : tensor<1x8x2x64xf32>
}

// -----

// A dense 3x3 stride-1 convolution with constant weights and 32 channels
// in and out goes through Winograd's F(2x2, 3x3): its weights become 16
// matrices [16, F, C] at compile time, the padded input's 4x4
// windows of tiles pass down then along (stride-2 views) into V
// [N, 4, 4, C, th, tw], one contraction over (n, e, f, t | c) gives
// [N, 16, F, tiles], and its two passes back give [N, 2, 2, F, th, tw],
// the bias added in the second, transposed into rows. Here 7x7 outputs:
// 4x4 tiles, the padded input 10x10, the rows cut back to 7.
// CHECK-LABEL: func @winograd
// CHECK-DAG: %[[U:.*]] = arith.constant dense<{{.*}}> : tensor<16x32x32xf32>
// CHECK: %[[PAD:.*]] = tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 2, 2]
// CHECK: tensor.extract_slice %[[PAD]][0, 0, 3, 0] [1, 32, 4, 10] [1, 1, 2, 1] : tensor<1x32x10x10xf32> to tensor<1x32x4x10xf32>
// CHECK: %[[ROWS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x32x4x10xf32>)
// CHECK: tensor.extract_slice %[[ROWS]][0, 0, 0, 0, 3] [1, 4, 32, 4, 4] [1, 1, 1, 1, 2] : tensor<1x4x32x4x10xf32> to tensor<1x4x32x4x4xf32>
// CHECK: %[[V:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x4x32x4x4xf32>)
// CHECK: %[[COLS:.*]] = tensor.collapse_shape %[[V]] {{\[}}[0], [1, 2], [3], [4, 5]] : tensor<1x4x4x32x4x4xf32> into tensor<1x16x32x16xf32>
// CHECK: %[[M:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[U]], %[[COLS]] : tensor<16x32x32xf32>, tensor<1x16x32x16xf32>) outs(%{{.*}} : tensor<1x16x32x16xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x4x32x4x4xf32>)
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins({{.*}}, %[[B:.*]] : {{.*}}tensor<32xf32>) outs(%{{.*}} : tensor<1x2x2x32x4x4xf32>)
// CHECK: linalg.transpose ins(%[[Y]] : tensor<1x2x2x32x4x4xf32>) outs(%{{.*}} : tensor<1x32x4x2x4x2xf32>) permutation = [0, 3, 4, 1, 5, 2]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 32, 7, 7] [1, 1, 1, 1] : tensor<1x32x8x8xf32> to tensor<1x32x7x7xf32>
// With the option off (as for the GPU) the convolution is computed
// directly, over windows of flattened rows.
// DIRECT-LABEL: func @winograd
// DIRECT-NOT: tensor<16x32x32xf32>
// DIRECT: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]
func.func @winograd(%x: tensor<1x32x7x7xf32>, %b: tensor<32xf32>) -> tensor<1x32x7x7xf32> {
  %w = dsg.constant dense<0.5> : tensor<32x32x3x3xf32>
  %0 = dsg.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x32x7x7xf32>, tensor<32x32x3x3xf32>, tensor<32xf32>) -> tensor<1x32x7x7xf32>
  return %0 : tensor<1x32x7x7xf32>
}
