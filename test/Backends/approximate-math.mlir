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

// RUN: deepseek-opt %s -split-input-file -ds-approximate-math=all-functions | FileCheck %s --check-prefix=ALL

// -----

// For GPUs every f32 function with an approximation or an expansion is
// inlined; only instructions (fma, floor, sqrt, abs) remain.
// ALL-LABEL: func @everything
// ALL-NOT: math.sin
// ALL-NOT: math.log
// ALL-NOT: math.tan
// ALL-NOT: math.asin
// ALL-NOT: math.acos
// ALL-NOT: math.atan
// ALL-NOT: math.powf
// ALL-NOT: math.exp
// ALL: return
func.func @everything(%x: f32, %y: f32) -> (f32, f32, f32, f32, f32, f32, f32) {
  %0 = math.sin %x : f32
  %1 = math.log %x : f32
  %2 = math.tan %x : f32
  %3 = math.asin %x : f32
  %4 = math.acos %x : f32
  %5 = math.atan2 %x, %y : f32
  %6 = math.powf %x, %y : f32
  return %0, %1, %2, %3, %4, %5, %6 : f32, f32, f32, f32, f32, f32, f32
}

// -----

// pow keeps C's special cases: 1 for a zero exponent or a base of 1, NaN
// for a negative base and a fractional exponent, a negative result for an
// odd one.
// ALL-LABEL: func @pow(
// ALL-SAME: %[[X:.*]]: f32, %[[Y:.*]]: f32)
// ALL-DAG: %[[NAN:.*]] = arith.constant 0x7FC00000 : f32
// ALL-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// ALL-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// ALL: %[[NEG:.*]] = arith.cmpf olt, %[[X]], %[[ZERO]] : f32
// ALL: %[[SIGNED:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : f32
// ALL-NEXT: %[[FRACTION:.*]] = arith.xori %{{.*}}, %true : i1
// ALL-NEXT: %[[UNDEFINED:.*]] = arith.andi %[[NEG]], %[[FRACTION]] : i1
// ALL-NEXT: %[[DEFINED:.*]] = arith.select %[[UNDEFINED]], %[[NAN]], %[[SIGNED]] : f32
// ALL-NEXT: %[[XONE:.*]] = arith.cmpf oeq, %[[X]], %[[ONE]] : f32
// ALL-NEXT: %[[ABSX:.*]] = math.absf %[[X]] : f32
// ALL-NEXT: %[[XUNIT:.*]] = arith.cmpf oeq, %[[ABSX]], %[[ONE]] : f32
// ALL-NEXT: %[[ABSY:.*]] = math.absf %[[Y]] : f32
// ALL-NEXT: %[[YINF:.*]] = arith.cmpf oeq, %[[ABSY]], %{{.*}} : f32
// ALL-NEXT: %[[YZERO:.*]] = arith.cmpf oeq, %[[Y]], %[[ZERO]] : f32
// ALL-NEXT: %[[UNITINF:.*]] = arith.andi %[[XUNIT]], %[[YINF]] : i1
// ALL-NEXT: %[[ONEBASE:.*]] = arith.ori %[[XONE]], %[[UNITINF]] : i1
// ALL-NEXT: %[[ISONE:.*]] = arith.ori %[[ONEBASE]], %[[YZERO]] : i1
// ALL-NEXT: %[[R:.*]] = arith.select %[[ISONE]], %[[ONE]], %[[DEFINED]] : f32
// ALL-NEXT: return %[[R]]
func.func @pow(%x: f32, %y: f32) -> f32 {
  %0 = math.powf %x, %y : f32
  return %0 : f32
}
