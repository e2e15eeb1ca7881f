// RUN: deepseek-opt %s -pass-pipeline='builtin.module(func.func(ds-quantize{mode=none group-size=8 layer-bits=wide=8,narrow=4}))' | FileCheck %s --check-prefix=NONE
// RUN: deepseek-opt %s -pass-pipeline='builtin.module(func.func(ds-quantize{mode=int2 group-size=8 layer-bits=wide=8,kept=32}))' | FileCheck %s --check-prefix=INT2

// Per-layer widths, as --quantize adaptive chooses them: the named layers
// get their own width, the others the mode's (float for mode none).
// NONE-LABEL: func @mixed
// NONE-SAME: {activation = "dynamic", bits = 8 : i64, node = "wide", op = "matmul"
// NONE-SAME: {bits = 4 : i64, group_size = 8 : i64, node = "narrow", op = "matmul"
// NONE-SAME: {bits = 32 : i64, node = "kept", op = "matmul", reason = "mode none", weight_bytes = 1024 : i64, weight_bytes_fp32 = 1024 : i64}
// NONE-SAME: mode = "none", quantized_layers = 2 : i64
// NONE: dsq.matmul_integer
// NONE: dsq.weight_matmul {{.*}} {bits = 4 : i64, group_size = 8 : i64, in_features = 16 : i64}
// NONE: dsg.matmul
// INT2-LABEL: func @mixed
// INT2-SAME: {activation = "dynamic", bits = 8 : i64, node = "wide", op = "matmul"
// INT2-SAME: {bits = 2 : i64, group_size = 8 : i64, node = "narrow", op = "matmul"
// INT2-SAME: {bits = 32 : i64, node = "kept", op = "matmul", reason = "32 bits chosen for this layer", weight_bytes = 1024 : i64, weight_bytes_fp32 = 1024 : i64}
// INT2: dsq.matmul_integer
// INT2: dsq.weight_matmul {{.*}} {bits = 2 : i64
// INT2: dsg.matmul
func.func @mixed(%x: tensor<2x16xf32>) -> tensor<2x16xf32> {
  %w = dsg.constant dense<0.25> : tensor<16x16xf32>
  %0 = dsg.matmul %x, %w : (tensor<2x16xf32>, tensor<16x16xf32>) -> tensor<2x16xf32> loc("wide")
  %1 = dsg.matmul %0, %w : (tensor<2x16xf32>, tensor<16x16xf32>) -> tensor<2x16xf32> loc("narrow")
  %2 = dsg.matmul %1, %w : (tensor<2x16xf32>, tensor<16x16xf32>) -> tensor<2x16xf32> loc("kept")
  return %2 : tensor<2x16xf32>
}
