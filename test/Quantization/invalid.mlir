// RUN: not deepseek-opt %s -pass-pipeline='builtin.module(func.func(ds-quantize{mode=int3}))' 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not deepseek-opt %s -pass-pipeline='builtin.module(func.func(ds-quantize{mode=int4 group-size=12}))' 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not deepseek-opt %s -pass-pipeline='builtin.module(func.func(ds-quantize{mode=none layer-bits=mm=3}))' 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not deepseek-opt %s -pass-pipeline='builtin.module(func.func(ds-quantize{mode=none layer-bits==4}))' 2>&1 | FileCheck %s --check-prefix=NO-NAME
// RUN: not deepseek-opt %s -pass-pipeline='builtin.module(func.func(ds-quantize{mode=none layer-bits=other=4}))' 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not deepseek-opt %s -pass-pipeline='builtin.module(func.func(ds-quantize{mode=static-int8 activation-ranges=mm=3:-1}))' 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not deepseek-opt %s -pass-pipeline='builtin.module(func.func(ds-quantize{mode=static-int8 activation-ranges=mm=0.5}))' 2>&1 | FileCheck %s --check-prefix=RANGE-FORM
// MODE: error: unknown quantization mode 'int3' (int8, static-int8, int4, int2, w4a8, w2a8 or none)
// RANGE: error: activation-ranges entry 'mm=3:-1' is not NODE=MIN:MAX with MIN <= MAX
// RANGE-FORM: error: activation-ranges entry 'mm=0.5' is not NODE=MIN:MAX with MIN <= MAX
// BITS: error: layer-bits entry 'mm=3' is not NODE=BITS with BITS 2, 4, 8 or 32
// NO-NAME: error: layer-bits entry '=4' is not NODE=BITS with BITS 2, 4, 8 or 32
// UNKNOWN: error: layer-bits names 'other', which is not a MatMul, Gemm or Conv node of this function
// GROUP: error: group-size must be a positive multiple of 8, got 12
func.func @f(%x: tensor<2x16xf32>) -> tensor<2x16xf32> {
  %w = dsg.constant dense<0.25> : tensor<16x16xf32>
  %y = dsg.matmul %x, %w : (tensor<2x16xf32>, tensor<16x16xf32>) -> tensor<2x16xf32> loc("mm")
  return %y : tensor<2x16xf32>
}
