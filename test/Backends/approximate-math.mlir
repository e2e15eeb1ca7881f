// RUN: deepseek-opt %s -ds-approximate-math | FileCheck %s

// exp, erf and tanh become arithmetic (vectors too); other functions keep
// their libm lowering.
// CHECK-LABEL: func @functions
// CHECK-NOT: math.exp
// CHECK-NOT: math.erf
// CHECK-NOT: math.tanh
// CHECK: math.fma
// CHECK: math.sin
func.func @functions(%x: f32, %v: vector<16xf32>) -> (f32, f32, vector<16xf32>, f32) {
  %0 = math.exp %x : f32
  %1 = math.erf %x : f32
  %2 = math.tanh %v : vector<16xf32>
  %3 = math.sin %x : f32
  return %0, %1, %2, %3 : f32, f32, vector<16xf32>, f32
}
