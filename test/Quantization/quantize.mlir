// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-quantize{mode=int8}))' | FileCheck %s --check-prefix=INT8
// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-quantize{mode=int8 int8-weight-limit=63}))' | FileCheck %s --check-prefix=INT7
// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-quantize{mode=int4 group-size=8}))' | FileCheck %s --check-prefix=INT4
// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-quantize{mode=w4a8 group-size=64}))' | FileCheck %s --check-prefix=W4A8
// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-quantize{mode=int8 exclude-nodes=keep}))' | FileCheck %s --check-prefix=EXCLUDE
// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-quantize{mode=int8 exclude-ops=Gemm}))' | FileCheck %s --check-prefix=EXCLUDE-OPS
// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-quantize{mode=int8 exclude-ops=Conv}))' | FileCheck %s --check-prefix=EXCLUDE-CONV
// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-quantize{mode=static-int8 activation-ranges=mm=-1:3}))' | FileCheck %s --check-prefix=STATIC

// Dynamic int8: the activation is quantized at run time, the weight is an
// int8 constant with one scale per column, the activation's zero point is
// taken out with the column sums, and bias and activation follow.
// INT8-LABEL: func @matmul
// INT8: %[[Q:.*]], %[[S:.*]], %[[Z:.*]] = dsq.dynamic_quantize %{{.*}} : tensor<2x16xf32> -> tensor<2x16xui8>, tensor<f32>, tensor<ui8>
// INT8: %[[W:.*]] = dsg.constant dense<127> : tensor<16x4xi8>
// INT8: %[[ACC:.*]] = dsq.matmul_integer %[[Q]], %[[W]] : (tensor<2x16xui8>, tensor<16x4xi8>) -> tensor<2x4xi32>
// INT8: %[[SUMS:.*]] = dsg.constant dense<2032> : tensor<4xi32>
// INT8: %[[ZP:.*]] = dsg.cast %[[Z]] : tensor<ui8> -> tensor<i32>
// INT8: %[[CORR:.*]] = dsg.mul %[[ZP]], %[[SUMS]]
// INT8: %[[CENTERED:.*]] = dsg.sub %[[ACC]], %[[CORR]]
// INT8: %[[WS:.*]] = dsg.constant dense<0.00196850393> : tensor<4xf32>
// INT8: %[[SCALE:.*]] = dsg.mul %[[S]], %[[WS]]
// INT8: %[[Y:.*]] = dsq.dequantize %[[CENTERED]], %[[SCALE]] {axis = -1 : i64}
// For dot products that sum pairs in 16 bits (x86 without VNNI), the codes
// stay within 63: scale 0.25 / 63.
// INT7-LABEL: func @matmul
// INT7: dsg.constant dense<63> : tensor<16x4xi8>
// INT7: dsg.constant dense<0.0039682542> : tensor<4xf32>
// INT8: %[[B:.*]] = dsg.add %[[Y]], %{{.*}}
// INT8: dsg.relu %[[B]]
// Static int8: the calibrated range [-1, 3] gives the activation's scale
// 4/255 and zero point 64 as constants; nothing is measured at run time. A
// layer without a range is quantized dynamically.
// STATIC-LABEL: func @matmul
// STATIC-SAME: activation = "static", activation_range = [-1.000000e+00, 3.000000e+00], activation_scale = 0.0156862754 : f32, activation_zero_point = 64 : i64, bits = 8 : i64, node = "mm"
// STATIC-NOT: dsq.dynamic_quantize
// STATIC: %[[S:.*]] = dsg.constant dense<0.0156862754> : tensor<f32>
// STATIC: %[[Z:.*]] = dsg.constant dense<64> : tensor<ui8>
// STATIC: %[[Q:.*]] = dsq.quantize %{{.*}}, %[[S]], %[[Z]] : (tensor<2x16xf32>, tensor<f32>, tensor<ui8>) -> tensor<2x16xui8>
// STATIC: dsq.matmul_integer %[[Q]]
// STATIC: dsg.cast %[[Z]]
// STATIC: dsg.mul %[[S]]
// STATIC-LABEL: func @gemm
// STATIC-SAME: activation = "dynamic"
// STATIC: dsq.dynamic_quantize
// INT4-LABEL: func @matmul
// Codes (32 bytes), and per group and column a float16 scale and a zero
// point byte (8 groups, 24 bytes).
// INT4-SAME: ds.quantization = {layers = [{bits = 4 : i64, group_size = 8 : i64, node = "mm", op = "matmul", weight_bytes = 56 : i64, weight_bytes_fp32 = 256 : i64, zero_fraction = 0.000000e+00 : f64}], mode = "int4", quantized_layers = 1 : i64
// INT4-DAG: dsg.constant dense<{{.*}}> : tensor<4x8xui8>
// INT4-DAG: dsg.constant dense<{{.*}}> : tensor<4x2xf16>
// INT4-DAG: dsg.constant dense<{{.*}}> : tensor<4x2xui8>
// INT4: dsq.weight_matmul %{{.*}} zero_points %{{.*}} {bits = 4 : i64, group_size = 8 : i64, in_features = 16 : i64}
// INT4: dsg.relu
// w4a8: the weights as in int4, the activation quantized at run time,
// and the product in integers per group; a group never runs past the
// row, which is cut to whole 32-bit words of four codes per column (K = 16
// gives one group of 16, not 64).
// W4A8-LABEL: func @matmul
// W4A8-SAME: {activation = "dynamic", bits = 4 : i64, group_size = 16 : i64, node = "mm"
// W4A8-SAME: mode = "w4a8"
// W4A8: %[[Q:.*]], %[[S:.*]], %[[Z:.*]] = dsq.dynamic_quantize %{{.*}} : tensor<2x16xf32> -> tensor<2x16xui8>, tensor<f32>, tensor<ui8>
// W4A8: dsq.weight_matmul_integer %[[Q]], %[[S]], %[[Z]], %{{.*}}, %{{.*}} zero_points %{{.*}} {bits = 4 : i64, group_size = 16 : i64, in_features = 16 : i64} : (tensor<2x16xui8>, tensor<f32>, tensor<ui8>, tensor<4x8xui8>, tensor<4x1xf16>, tensor<4x1xui8>) -> tensor<2x4xf32>
// W4A8: dsg.relu
// EXCLUDE-LABEL: func @matmul
// EXCLUDE: dsq.matmul_integer
func.func @matmul(%x: tensor<2x16xf32>) -> tensor<2x4xf32> {
  %w = dsg.constant dense<0.25> : tensor<16x4xf32>
  %b = dsg.constant dense<1.0> : tensor<4xf32>
  %y = dsg.matmul %x, %w, %b {activation = "relu"} : (tensor<2x16xf32>, tensor<16x4xf32>, tensor<4xf32>) -> tensor<2x4xf32> loc("mm")
  return %y : tensor<2x4xf32>
}

// -----

// An excluded node, and a weight that is not a constant, stay in float and
// the report says why.
// EXCLUDE-LABEL: func @kept
// EXCLUDE-SAME: {bits = 32 : i64, node = "keep", op = "matmul", reason = "excluded by name", weight_bytes = 256 : i64, weight_bytes_fp32 = 256 : i64}
// EXCLUDE-SAME: {bits = 32 : i64, node = "dyn", op = "matmul", reason = "the weight is not a 2-D float32 constant"}
// EXCLUDE: dsg.matmul
// EXCLUDE-NOT: dsq.
// EXCLUDE: return
func.func @kept(%x: tensor<2x16xf32>, %v: tensor<16x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = dsg.constant dense<0.25> : tensor<16x4xf32>
  %0 = dsg.matmul %x, %w : (tensor<2x16xf32>, tensor<16x4xf32>) -> tensor<2x4xf32> loc("keep")
  %1 = dsg.matmul %x, %v : (tensor<2x16xf32>, tensor<16x4xf32>) -> tensor<2x4xf32> loc("dyn")
  return %0, %1 : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Gemm with a transposed constant B: the weight is transposed at compile
// time; C becomes a bias added after the product.
// INT8-LABEL: func @gemm
// INT8: dsq.matmul_integer {{.*}} : (tensor<3x8xui8>, tensor<8x5xi8>) -> tensor<3x5xi32>
// INT8: dsg.add
// EXCLUDE-OPS-LABEL: func @gemm
// EXCLUDE-OPS-SAME: reason = "excluded by op type"
// EXCLUDE-OPS: dsg.gemm
func.func @gemm(%a: tensor<3x8xf32>) -> tensor<3x5xf32> {
  %b = dsg.constant dense<0.5> : tensor<5x8xf32>
  %c = dsg.constant dense<0.1> : tensor<5xf32>
  %0 = dsg.gemm %a, %b, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<3x8xf32>, tensor<5x8xf32>, tensor<5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// A convolution is the int8 product of its windows: the activation's codes
// are laid out as rows (dsq.im2col, padded with their zero point, 45 taps
// made 48 for the dot-product kernel), times the weight as [48, F] with
// zero rows; the [N, pixels, F] result goes back to NCHW, and the bias and
// activation follow. A 1x1 convolution with few channels is computed in
// float from int8 weights. Under int4 both are weight-only int4: the
// float windows (padded with 0.0) times the packed weights, whatever their
// channels (int4 is about bytes, not the int8 product's speed).
// INT8-LABEL: func @conv
// INT8-SAME: {activation = "dynamic", bits = 8 : i64, node = "c", op = "conv", weight_bytes = 448 : i64, weight_bytes_fp32 = 1440 : i64
// INT8-SAME: {bits = 8 : i64, compute = "float", node = "pointwise", op = "conv", reason = "1x1 convolution with 8 input and 4 output channels: int8 is slower below 96 of either", weight_bytes = 48 : i64, weight_bytes_fp32 = 128 : i64
// INT8: %[[Q:.*]], %[[S:.*]], %[[Z:.*]] = dsq.dynamic_quantize %{{.*}} : tensor<1x5x8x8xf32> -> tensor<1x5x8x8xui8>, tensor<f32>, tensor<ui8>
// INT8: %[[ROWS:.*]] = dsq.im2col %[[Q]], %[[Z]] {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x5x8x8xui8>, tensor<ui8>) -> tensor<1x64x48xui8>
// INT8: dsq.matmul_integer %[[ROWS]], %{{.*}} : (tensor<1x64x48xui8>, tensor<48x8xi8>) -> tensor<1x64x8xi32>
// INT8: dsq.dequantize
// INT8: dsg.add
// INT8: dsg.relu
// INT8: dsg.transpose %{{.*}} {perm = array<i64: 0, 2, 1>} : tensor<1x64x8xf32> -> tensor<1x8x64xf32>
// INT8: dsg.reshape %{{.*}} : tensor<1x8x64xf32> -> tensor<1x8x8x8xf32>
// INT8: dsq.dequantize %{{.*}} {axis = 0 : i64} : (tensor<4x8x1x1xi8>, tensor<4xf32>) -> tensor<4x8x1x1xf32>
// INT8: dsg.conv
// INT4-LABEL: func @conv
// INT4-SAME: {bits = 4 : i64, group_size = 8 : i64, node = "c", op = "conv", weight_bytes = 336 : i64, weight_bytes_fp32 = 1440 : i64
// INT4-SAME: {bits = 4 : i64, group_size = 8 : i64, node = "pointwise", op = "conv"
// INT4: %[[ZERO:.*]] = dsg.constant dense<0.000000e+00> : tensor<f32>
// INT4: %[[ROWS:.*]] = dsq.im2col %{{.*}}, %[[ZERO]] {{.*}} : (tensor<1x5x8x8xf32>, tensor<f32>) -> tensor<1x64x45xf32>
// INT4: dsq.weight_matmul %[[ROWS]], {{.*}} {bits = 4 : i64, group_size = 8 : i64, in_features = 45 : i64} : (tensor<1x64x45xf32>, tensor<8x24xui8>, tensor<8x6xf16>, tensor<8x6xui8>) -> tensor<1x64x8xf32>
// INT4: dsg.transpose
// INT4: dsq.weight_matmul
func.func @conv(%x: tensor<1x5x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w = dsg.constant dense<0.5> : tensor<8x5x3x3xf32>
  %b = dsg.constant dense<0.1> : tensor<8xf32>
  %y = dsg.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64, activation = "relu"} : (tensor<1x5x8x8xf32>, tensor<8x5x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32> loc("c")
  %w2 = dsg.constant dense<0.5> : tensor<4x8x1x1xf32>
  %z = dsg.conv %y, %w2 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<4x8x1x1xf32>) -> tensor<1x4x8x8xf32> loc("pointwise")
  return %z : tensor<1x4x8x8xf32>
}

// -----

// INT8-LABEL: func @short_windows
// INT8-SAME: {bits = 8 : i64, compute = "float", node = "rgb", op = "conv", reason = "windows of 27 values: int8 is slower below 32", weight_bytes = 248 : i64, weight_bytes_fp32 = 864 : i64
// INT8-NOT: dsq.im2col
// INT8: dsq.dequantize
// INT8-NOT: dsq.im2col
func.func @short_windows(%x: tensor<1x3x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %w = dsg.constant dense<0.5> : tensor<8x3x3x3xf32>
  %y = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x8x8xf32> loc("rgb")
  return %y : tensor<1x8x8x8xf32>
}

// -----

// A convolution whose product stays float still stores int8 weights: one
// scale per output channel (axis 0), codes rounded half to even (-63.5 ->
// -64, 63.5 -> 64), dequantized before the float convolution.
// INT8-LABEL: func @stored_weights
// INT8-SAME: {bits = 8 : i64, compute = "float", node = "dw", op = "conv", reason = "grouped convolution (depthwise included)", weight_bytes = 12 : i64, weight_bytes_fp32 = 16 : i64, zero_fraction = 0.000000e+00 : f64}
// INT8-DAG: %[[CODES:.*]] = dsg.constant dense<{{\[}}{{\[}}{{\[}}[127, -64]]], {{\[}}{{\[}}[127, 64]]]]> : tensor<2x1x1x2xi8>
// INT8-DAG: %[[SCALES:.*]] = dsg.constant dense<[0.00787401571, 0.00196850393]> : tensor<2xf32>
// INT8: %[[W:.*]] = dsq.dequantize %[[CODES]], %[[SCALES]] {axis = 0 : i64} : (tensor<2x1x1x2xi8>, tensor<2xf32>) -> tensor<2x1x1x2xf32>
// INT8: dsg.conv %{{.*}}, %[[W]]
// INT4-LABEL: func @stored_weights
// INT4-SAME: {bits = 8 : i64, compute = "float", node = "dw", op = "conv", reason = "grouped convolution (depthwise included)"
// INT4: dsq.dequantize
// EXCLUDE-OPS-LABEL: func @stored_weights
// EXCLUDE-OPS-SAME: {bits = 8 : i64, compute = "float", node = "dw"
// An excluded convolution keeps its float weights.
// EXCLUDE-CONV-LABEL: func @stored_weights
// EXCLUDE-CONV-SAME: {bits = 32 : i64, node = "dw", op = "conv", reason = "excluded by op type", weight_bytes = 16 : i64, weight_bytes_fp32 = 16 : i64}
// EXCLUDE-CONV-NOT: dsq.
// EXCLUDE-CONV: dsg.conv
func.func @stored_weights(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x3xf32> {
  %w = dsg.constant dense<[[[[1.0, -0.5]]], [[[0.25, 0.125]]]]> : tensor<2x1x1x2xf32>
  %y = dsg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x2x4x4xf32>, tensor<2x1x1x2xf32>) -> tensor<1x2x4x3xf32> loc("dw")
  return %y : tensor<1x2x4x3xf32>
}
