// RUN: deepseek-opt %s -ds-vectorize-contractions="vnni=true" | FileCheck %s --check-prefix=VNNI
// RUN: deepseek-opt %s -ds-vectorize-contractions | FileCheck %s --check-prefix=PLAIN
// RUN: deepseek-opt %s -ds-vectorize-contractions="sdot=true mr=8 nr=8" | FileCheck %s --check-prefix=SDOT
// RUN: deepseek-opt %s -ds-vectorize-contractions="pair-dots=avx2 mr=6 nr=16 wide-tiles=false" | FileCheck %s --check-prefix=AVX2

// An int8 contraction in dot-product groups (the form dsq.matmul_integer
// lowers to: uint8 [M, K/4, 4] times int8 [K/4, N, 4]): the k%4 loop stays
// whole in every register tile, the accumulator stays in registers across
// the k/4 loop, and with VNNI each row of 16 columns is one vpdpbusd; the
// row's four codes are read as one word and broadcast to every lane, and
// the weight block [1, 64, 4] is read flat (a few full-width loads, not a
// load per column).
#lhs = affine_map<(m, n, k, g) -> (m, k, g)>
#rhs = affine_map<(m, n, k, g) -> (k, n, g)>
#out = affine_map<(m, n, k, g) -> (m, n)>
// VNNI-LABEL: func @dots
// VNNI: scf.for {{.*}} -> (vector<6x64xi32>)
// VNNI: %[[ROW:.*]] = vector.transfer_read %{{.*}}[%c0, %c0, %c0], %{{.*}} {in_bounds = [true]} : tensor<6x1x4xi8>, vector<4xi8>
// VNNI: vector.bitcast %[[ROW]] : vector<4xi8> to vector<1xi32>
// VNNI: vector.transfer_read %{{.*}}[%c5, %c0, %c0], %{{.*}} : tensor<6x1x4xi8>, vector<4xi8>
// VNNI: %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : tensor<1x64x4xi8> into tensor<1x256xi8>
// VNNI: vector.transfer_read %[[FLAT]][%c0, %c0], %{{.*}} {in_bounds = [true]} : tensor<1x256xi8>, vector<256xi8>
// VNNI: vector.splat {{.*}} : vector<16xi32>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"({{.*}}) : (vector<16xi32>, vector<16xi32>, vector<16xi32>) -> vector<16xi32>
// VNNI-NOT: arith.muli
// AArch64 sdot multiplies int8 by int8: the row's codes less 128 (top bit
// flipped), broadcast as 16 bytes, times each 4-column block; 128 times
// the block's column sums, one sdot of -128 per block shared by the rows,
// is added back (subtracted as -128 x codes).
// SDOT-LABEL: func @dots
// SDOT-DAG: %[[MINUS:.*]] = arith.constant dense<-128> : vector<16xi8>
// SDOT-DAG: %[[FLIP:.*]] = arith.constant -2139062144 : i32
// SDOT: scf.for {{.*}} -> (vector<6x16xi32>)
// SDOT: %[[BIAS:.*]] = llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"(%{{.*}}, %[[MINUS]], %[[COL:.*]]) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
// SDOT: %[[FLIPPED:.*]] = arith.xori %{{.*}}, %[[FLIP]] : i32
// SDOT: %[[SPLAT:.*]] = vector.splat %[[FLIPPED]] : vector<4xi32>
// SDOT: %[[BYTES:.*]] = vector.bitcast %[[SPLAT]] : vector<4xi32> to vector<16xi8>
// SDOT: %[[DOT:.*]] = llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"(%{{.*}}, %[[BYTES]], %[[COL]])
// SDOT: arith.subi %[[DOT]], %[[BIAS]] : vector<4xi32>
// SDOT-NOT: arith.muli
// On x86 CPUs lacking vnni, per row and 8 columns, vpmaddubsw of the row's codes
// (broadcast) with the columns' (uint8 x int8 pairs summed to 16 bits),
// then vpmaddwd with 1s (pairs of pairs to 32 bits), added to the
// accumulator.
// AVX2-LABEL: func @dots
// AVX2-DAG: %[[ONES:.*]] = arith.constant dense<1> : vector<16xi16>
// AVX2: scf.for {{.*}} -> (vector<6x16xi32>)
// AVX2: %[[PAIRS:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%{{.*}}, %{{.*}}) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// AVX2: %[[QUADS:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[PAIRS]], %[[ONES]]) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// AVX2: arith.addi %{{.*}}, %[[QUADS]] : vector<8xi32>
// AVX2-NOT: arith.muli
// PLAIN-LABEL: func @dots
// PLAIN-NOT: llvm.call_intrinsic
// PLAIN: arith.muli
func.func @dots(%a: tensor<64x64x4xi8>, %b: tensor<64x256x4xi8>) -> tensor<64x256xi32> {
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<64x256xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<64x256xi32>) -> tensor<64x256xi32>
  %0 = linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                       iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%a, %b : tensor<64x64x4xi8>, tensor<64x256x4xi8>) outs(%init : tensor<64x256xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %xi = arith.extui %x : i8 to i32
    %wi = arith.extsi %w : i8 to i32
    %p = arith.muli %xi, %wi : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<64x256xi32>
  return %0 : tensor<64x256xi32>
}
