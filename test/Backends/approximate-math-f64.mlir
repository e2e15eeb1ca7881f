// f64 exp and log become arithmetic with -ds-approximate-math
// all-functions (GPU kernels: no libdevice). Run on this CPU against the C
// library's exp and log: within 2 ulp across the whole range (subnormal
// results included), scalars and vectors, and exact at the edges (overflow, underflow to subnormals and 0,
// log of subnormals, 0, negatives, infinities and NaN).
// RUN: deepseek-opt %s -ds-approximate-math="all-functions=true" | FileCheck %s --check-prefix=IR
// RUN: deepseek-opt %s -ds-approximate-math="all-functions=true" \
// RUN:   | mlir-opt -convert-scf-to-cf -convert-vector-to-llvm -convert-math-to-llvm \
// RUN:       -convert-arith-to-llvm -convert-func-to-llvm -convert-cf-to-llvm \
// RUN:       -reconcile-unrealized-casts \
// RUN:   | mlir-cpu-runner -e main -entry-point-result=void \
// RUN:       -shared-libs=%mlir_c_runner_utils | FileCheck %s --check-prefix=EXEC

// IR-LABEL: func.func @approx_exp
// IR-NOT: math.exp
// IR: arith.shli
// IR-LABEL: func.func @approx_log
// IR-NOT: math.log
// IR: arith.divf
func.func @approx_exp(%x: f64) -> f64 {
  %y = math.exp %x : f64
  return %y : f64
}
func.func @approx_log(%x: f64) -> f64 {
  %y = math.log %x : f64
  return %y : f64
}
// The C library's, called by name: the pass does not touch calls.
func.func private @exp(f64) -> f64
func.func private @log(f64) -> f64
func.func private @pow(f64, f64) -> f64

// a and b at most `ulps` representable doubles apart (a subnormal result
// counts its steps the same way), or equal (infinities, zeros), or both NaN.
func.func @close(%a: f64, %b: f64, %ulps: i64) -> i1 {
  %same = arith.cmpf oeq, %a, %b : f64
  %nan_a = arith.cmpf uno, %a, %a : f64
  %nan_b = arith.cmpf uno, %b, %b : f64
  %both_nan = arith.andi %nan_a, %nan_b : i1
  %ia = arith.bitcast %a : f64 to i64
  %ib = arith.bitcast %b : f64 to i64
  %d = arith.subi %ia, %ib : i64
  %ad = math.absi %d : i64
  %near = arith.cmpi sle, %ad, %ulps : i64
  %r0 = arith.ori %same, %both_nan : i1
  %r = arith.ori %r0, %near : i1
  return %r : i1
}

// The vector forms, lane by lane against the scalar C library.
func.func @approx_exp4(%x: vector<4xf64>) -> vector<4xf64> {
  %y = math.exp %x : vector<4xf64>
  return %y : vector<4xf64>
}
func.func @approx_log4(%x: vector<4xf64>) -> vector<4xf64> {
  %y = math.log %x : vector<4xf64>
  return %y : vector<4xf64>
}

func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 200001 : index
  %true = arith.constant true
  %tol = arith.constant 2 : i64
  // exp over [-745, 709.7] in 200001 steps.
  %lo = arith.constant -745.0 : f64
  %step = arith.constant 0.0072735 : f64
  %exp_ok = scf.for %i = %c0 to %n step %c1 iter_args(%ok = %true) -> i1 {
    %ii = arith.index_cast %i : index to i64
    %fi = arith.sitofp %ii : i64 to f64
    %x0 = arith.mulf %fi, %step : f64
    %x = arith.addf %x0, %lo : f64
    %a = func.call @approx_exp(%x) : (f64) -> f64
    %b = func.call @exp(%x) : (f64) -> f64
    %c = func.call @close(%a, %b, %tol) : (f64, f64, i64) -> i1
    %o = arith.andi %ok, %c : i1
    scf.yield %o : i1
  }
  vector.print %exp_ok : i1
  // EXEC: 1
  // log over 5e-324 .. inf: x = 2^(0.0105 i - 1074).
  %log_ok = scf.for %i = %c0 to %n step %c1 iter_args(%ok = %true) -> i1 {
    %ii = arith.index_cast %i : index to i64
    %fi = arith.sitofp %ii : i64 to f64
    %hundredth = arith.constant 0.0105 : f64
    %e0 = arith.mulf %fi, %hundredth : f64
    %bias = arith.constant 1074.0 : f64
    %e = arith.subf %e0, %bias : f64
    %two = arith.constant 2.0 : f64
    %x = func.call @pow(%two, %e) : (f64, f64) -> f64
    %a = func.call @approx_log(%x) : (f64) -> f64
    %b = func.call @log(%x) : (f64) -> f64
    %c = func.call @close(%a, %b, %tol) : (f64, f64, i64) -> i1
    %o = arith.andi %ok, %c : i1
    scf.yield %o : i1
  }
  vector.print %log_ok : i1
  // EXEC-NEXT: 1

  // The edges, each against the C library, for both functions.
  %edges = arith.constant dense<[709.78, 709.79, 710.0, -708.4, -740.0, -745.13, -745.2, -746.0, 0.0, -0.0, 1.0e-300, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, -1.0, 4.9406564584124654e-324, 2.2250738585072014e-308]> : vector<17xf64>
  %c17 = arith.constant 17 : index
  %edges_ok = scf.for %j = %c0 to %c17 step %c1 iter_args(%ok = %true) -> i1 {
    %x = vector.extractelement %edges[%j : index] : vector<17xf64>
    %a = func.call @approx_exp(%x) : (f64) -> f64
    %b = func.call @exp(%x) : (f64) -> f64
    %c = func.call @close(%a, %b, %tol) : (f64, f64, i64) -> i1
    %la = func.call @approx_log(%x) : (f64) -> f64
    %lb = func.call @log(%x) : (f64) -> f64
    %lc = func.call @close(%la, %lb, %tol) : (f64, f64, i64) -> i1
    %both = arith.andi %c, %lc : i1
    %o = arith.andi %ok, %both : i1
    scf.yield %o : i1
  }
  vector.print %edges_ok : i1
  // EXEC-NEXT: 1

  %v = arith.constant dense<[-700.5, 0.25, 3.0e-310, 650.0]> : vector<4xf64>
  %ve = func.call @approx_exp4(%v) : (vector<4xf64>) -> vector<4xf64>
  %vl = func.call @approx_log4(%v) : (vector<4xf64>) -> vector<4xf64>
  %c4 = arith.constant 4 : index
  %vec_ok = scf.for %j = %c0 to %c4 step %c1 iter_args(%ok = %true) -> i1 {
    %x = vector.extractelement %v[%j : index] : vector<4xf64>
    %a = vector.extractelement %ve[%j : index] : vector<4xf64>
    %b = func.call @exp(%x) : (f64) -> f64
    %c = func.call @close(%a, %b, %tol) : (f64, f64, i64) -> i1
    %la = vector.extractelement %vl[%j : index] : vector<4xf64>
    %lb = func.call @log(%x) : (f64) -> f64
    %lc = func.call @close(%la, %lb, %tol) : (f64, f64, i64) -> i1
    %both = arith.andi %c, %lc : i1
    %o = arith.andi %ok, %both : i1
    scf.yield %o : i1
  }
  vector.print %vec_ok : i1
  // EXEC-NEXT: 1
  return
}
