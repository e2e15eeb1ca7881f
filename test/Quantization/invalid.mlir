// RUN: not deepseek-opt %s -pass-pipeline='builtin.module(func.func(ds-quantize{mode=int3}))' 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not deepseek-opt %s -pass-pipeline='builtin.module(func.func(ds-quantize{mode=int4 group-size=12}))' 2>&1 | FileCheck %s --check-prefix=GROUP
// MODE: error: unknown quantization mode 'int3' (int8, int4 or int2)
// GROUP: error: group-size must be a positive multiple of 8, got 12
func.func @f(%x: tensor<2x16xf32>) -> tensor<2x16xf32> {
  return %x : tensor<2x16xf32>
}
