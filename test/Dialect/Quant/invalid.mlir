// RUN: deepseek-opt %s -split-input-file -verify-diagnostics

func.func @axis_out_of_range(%x: tensor<4x6xf32>, %s: tensor<6xf32>) -> tensor<4x6xi8> {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = dsq.quantize %x, %s {axis = 2 : i64} : (tensor<4x6xf32>, tensor<6xf32>) -> tensor<4x6xi8>
  return %0 : tensor<4x6xi8>
}

// -----

func.func @scale_size(%x: tensor<4x6xf32>, %s: tensor<4xf32>) -> tensor<4x6xi8> {
  // expected-error @+1 {{per-axis scale has 4 entries for an axis of 6}}
  %0 = dsq.quantize %x, %s : (tensor<4x6xf32>, tensor<4xf32>) -> tensor<4x6xi8>
  return %0 : tensor<4x6xi8>
}

// -----

func.func @block_scale(%x: tensor<4x6xf32>, %s: tensor<4x3xf32>) -> tensor<4x6xi8> {
  // expected-error @+1 {{block-wise scale dim 1 is 3, expected 2}}
  %0 = dsq.quantize %x, %s {block_size = 4 : i64} : (tensor<4x6xf32>, tensor<4x3xf32>) -> tensor<4x6xi8>
  return %0 : tensor<4x6xi8>
}

// -----

func.func @block_without_blocks(%x: tensor<4x6xf32>, %s: tensor<f32>) -> tensor<4x6xi8> {
  // expected-error @+1 {{block_size needs a block-wise scale}}
  %0 = dsq.quantize %x, %s {block_size = 4 : i64} : (tensor<4x6xf32>, tensor<f32>) -> tensor<4x6xi8>
  return %0 : tensor<4x6xi8>
}

// -----

func.func @zero_point_type(%x: tensor<4x6xf32>, %s: tensor<f32>, %z: tensor<i8>) -> tensor<4x6xui8> {
  // expected-error @+1 {{zero point element type 'i8' differs from 'ui8'}}
  %0 = dsq.quantize %x, %s, %z : (tensor<4x6xf32>, tensor<f32>, tensor<i8>) -> tensor<4x6xui8>
  return %0 : tensor<4x6xui8>
}

// -----

func.func @zero_point_shape(%x: tensor<4x6xi8>, %s: tensor<6xf32>, %z: tensor<i8>) -> tensor<4x6xf32> {
  // expected-error @+1 {{zero point and scale shapes differ}}
  %0 = dsq.dequantize %x, %s, %z : (tensor<4x6xi8>, tensor<6xf32>, tensor<i8>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

func.func @too_wide(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<4xi32> {
  // expected-error @+1 {{quantized values are at most 16 bits wide}}
  %0 = dsq.quantize %x, %s : (tensor<4xf32>, tensor<f32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @contraction(%a: tensor<2x4xui8>, %b: tensor<5x3xi8>) -> tensor<2x3xi32> {
  // expected-error @+1 {{contraction dimensions differ: 4 vs 5}}
  %0 = dsq.matmul_integer %a, %b : (tensor<2x4xui8>, tensor<5x3xi8>) -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// -----

func.func @row_zero_point(%a: tensor<2x4xui8>, %b: tensor<4x3xi8>, %za: tensor<3xui8>, %zb: tensor<i8>) -> tensor<2x3xi32> {
  // expected-error @+1 {{lhs zero point must be a scalar or one per row of a 2-D operand}}
  %0 = dsq.matmul_integer %a, %b zero_points(%za, %zb) : (tensor<2x4xui8>, tensor<4x3xi8>, tensor<3xui8>, tensor<i8>) -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// -----

func.func @bits(%x: tensor<2x64xf32>, %w: tensor<5x24xui8>, %s: tensor<5x1xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{bits must be 2, 4 or 8, got 3}}
  %0 = dsq.weight_matmul %x, %w, %s {bits = 3 : i64, group_size = 64 : i64, in_features = 64 : i64} : (tensor<2x64xf32>, tensor<5x24xui8>, tensor<5x1xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @packed_rows(%x: tensor<2x64xf32>, %w: tensor<5x64xui8>, %s: tensor<5x1xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{weight rows must hold 1 groups of 64 4-bit codes, i.e. 32 bytes}}
  %0 = dsq.weight_matmul %x, %w, %s {bits = 4 : i64, group_size = 64 : i64, in_features = 64 : i64} : (tensor<2x64xf32>, tensor<5x64xui8>, tensor<5x1xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @group_bytes(%x: tensor<2x63xf32>, %w: tensor<5x64xui8>, %s: tensor<5x21xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{group_size 3 does not fill whole bytes of 2-bit codes}}
  %0 = dsq.weight_matmul %x, %w, %s {bits = 2 : i64, group_size = 3 : i64, in_features = 63 : i64} : (tensor<2x63xf32>, tensor<5x64xui8>, tensor<5x21xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @integer_words(%x: tensor<2x16xui8>, %sx: tensor<f32>, %zx: tensor<ui8>, %w: tensor<5x8xui8>, %s: tensor<5x4xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{group_size 4 does not fill whole 32-bit words of four 4-bit codes per column (a multiple of 8)}}
  %0 = dsq.weight_matmul_integer %x, %sx, %zx, %w, %s {bits = 4 : i64, group_size = 4 : i64, in_features = 16 : i64} : (tensor<2x16xui8>, tensor<f32>, tensor<ui8>, tensor<5x8xui8>, tensor<5x4xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @integer_eight_bits(%x: tensor<2x16xui8>, %sx: tensor<f32>, %zx: tensor<ui8>, %w: tensor<5x16xui8>, %s: tensor<5x1xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{8-bit weights with 8-bit activations are dsq.matmul_integer's}}
  %0 = dsq.weight_matmul_integer %x, %sx, %zx, %w, %s {bits = 8 : i64, group_size = 16 : i64, in_features = 16 : i64} : (tensor<2x16xui8>, tensor<f32>, tensor<ui8>, tensor<5x16xui8>, tensor<5x1xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @integer_scale_shape(%x: tensor<2x16xui8>, %sx: tensor<f32>, %zx: tensor<ui8>, %w: tensor<5x8xui8>, %s: tensor<5x2xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{scale must be [5, 1]}}
  %0 = dsq.weight_matmul_integer %x, %sx, %zx, %w, %s {bits = 4 : i64, group_size = 16 : i64, in_features = 16 : i64} : (tensor<2x16xui8>, tensor<f32>, tensor<ui8>, tensor<5x8xui8>, tensor<5x2xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @im2col_rows(%x: tensor<1x3x8x8xui8>, %z: tensor<ui8>) -> tensor<1x64x20xui8> {
  // expected-error @+1 {{result must be [N, 64, Q] with Q >= 27}}
  %0 = dsq.im2col %x, %z {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x3x8x8xui8>, tensor<ui8>) -> tensor<1x64x20xui8>
  return %0 : tensor<1x64x20xui8>
}

// -----

func.func @im2col_pad_type(%x: tensor<1x3x8x8xui8>, %z: tensor<f32>) -> tensor<1x64x27xui8> {
  // expected-error @+1 {{input, pad value and result element types differ}}
  %0 = dsq.im2col %x, %z {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x3x8x8xui8>, tensor<f32>) -> tensor<1x64x27xui8>
  return %0 : tensor<1x64x27xui8>
}

// -----

func.func @im2col_stride(%x: tensor<1x3x8x8xf32>, %z: tensor<f32>) -> tensor<1x64x27xf32> {
  // expected-error @+1 {{kernel sizes, strides and dilations must be positive and pads non-negative}}
  %0 = dsq.im2col %x, %z {kernel_shape = array<i64: 3, 3>, strides = array<i64: 0, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<f32>) -> tensor<1x64x27xf32>
  return %0 : tensor<1x64x27xf32>
}

// -----

func.func @im2col_kernel(%x: tensor<1x3x2x2xf32>, %z: tensor<f32>) -> tensor<1x1x27xf32> {
  // expected-error @+1 {{the kernel is larger than padded spatial axis 0}}
  %0 = dsq.im2col %x, %z {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 0, 1, 0, 1>, dilations = array<i64: 1, 1>} : (tensor<1x3x2x2xf32>, tensor<f32>) -> tensor<1x1x27xf32>
  return %0 : tensor<1x1x27xf32>
}
