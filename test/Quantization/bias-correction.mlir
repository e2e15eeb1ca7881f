// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-quantize{mode=int4 group-size=8 input-means=fc=1:1:1:1:1:1:1:2}))' | FileCheck %s
// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-quantize{mode=int4 group-size=8}))' | FileCheck %s --check-prefix=NONE
// RUN: not deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-quantize{mode=int4 group-size=8 input-means=fc=1:2}))' 2>&1 | FileCheck %s --check-prefix=SIZE
// RUN: not deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-quantize{mode=int4 group-size=8 input-means=fc=1:x}))' 2>&1 | FileCheck %s --check-prefix=SYNTAX

// With its input's feature means, a layer gets back the mean shift its
// quantized weights cause: -mean . (W_q - W) per output column. Column 0
// holds 0.1 .. 0.8: the range search takes scale 0.0509554 (15 steps
// clipping 0.8), stored as float16 0.050964, zero point 0; with 0.8's
// mean weighted 2, the weights' errors sum to a correction of 0.0171.
// Column 1 is exactly representable (all zeros), so its correction is 0.
// CHECK-LABEL: func @corrected
// CHECK-SAME: bias_correction = true
// CHECK: dsg.constant dense<{{\[}}[5.096440e-02], [0.000000e+00]]> : tensor<2x1xf16>
// CHECK: %[[P:.*]] = dsq.weight_matmul
// CHECK: %[[C:.*]] = dsg.constant dense<[0.0170{{[0-9]*}}, 0.000000e+00]> : tensor<2xf32>
// CHECK: dsg.add %[[P]], %[[C]]
// CHECK: dsg.add %{{.*}}, %arg1
// NONE-LABEL: func @corrected
// NONE-NOT: bias_correction
// NONE: %[[P:.*]] = dsq.weight_matmul
// NONE-NEXT: dsg.add %[[P]], %arg1
// SIZE: input-means for 'fc' has 2 values, the layer 8 input features
// SYNTAX: input-means entry for 'fc' is not NODE=V0:V1:...
func.func @corrected(%x: tensor<3x8xf32>, %b: tensor<2xf32>) -> tensor<3x2xf32> {
  %w = dsg.constant dense<[[0.1, 0.0], [0.2, 0.0], [0.3, 0.0], [0.4, 0.0], [0.5, 0.0], [0.6, 0.0], [0.7, 0.0], [0.8, 0.0]]> : tensor<8x2xf32>
  %0 = dsg.gemm %x, %w, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<3x8xf32>, tensor<8x2xf32>, tensor<2xf32>) -> tensor<3x2xf32> loc("fc")
  return %0 : tensor<3x2xf32>
}
