// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-prune-weights{sparsity=0.5}))' | FileCheck %s --check-prefix=LAYER
// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-prune-weights{sparsity=0.5 global=true}))' | FileCheck %s --check-prefix=GLOBAL
// RUN: deepseek-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ds-prune-weights{sparsity=0.5 exclude=big}))' | FileCheck %s --check-prefix=EXCLUDE

// Magnitude pruning: half of each layer's weights (the smallest) become
// zero; globally, one threshold for both layers, so the small layer loses
// everything and the big one nothing.
// LAYER-LABEL: func @magnitude
// LAYER-SAME: ds.pruning = {{.*}}node = "small"{{.*}}sparsity = 5.000000e-01
// LAYER-DAG: dsg.constant dense<[0.000000e+00, 0.000000e+00, 3.000000e-01, -4.000000e-01]> : tensor<4xf32>
// LAYER-DAG: dsg.constant dense<[0.000000e+00, 0.000000e+00, 3.000000e+01, 4.000000e+01]> : tensor<4xf32>
// GLOBAL-LABEL: func @magnitude
// GLOBAL-DAG: dsg.constant dense<0.000000e+00> : tensor<4xf32>
// GLOBAL-DAG: dsg.constant dense<[1.000000e+01, -2.000000e+01, 3.000000e+01, 4.000000e+01]> : tensor<4xf32>
// EXCLUDE-LABEL: func @magnitude
// EXCLUDE-SAME: note = "excluded"
// EXCLUDE-DAG: dsg.constant dense<[0.000000e+00, 0.000000e+00, 3.000000e-01, -4.000000e-01]> : tensor<4xf32>
// EXCLUDE-DAG: dsg.constant dense<[1.000000e+01, -2.000000e+01, 3.000000e+01, 4.000000e+01]> : tensor<4xf32>
func.func @magnitude(%x: tensor<2x4xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %small = dsg.constant dense<[0.1, -0.2, 0.3, -0.4]> : tensor<4xf32>
  %big = dsg.constant dense<[10.0, -20.0, 30.0, 40.0]> : tensor<4xf32>
  %0 = dsg.matmul %x, %small : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2xf32> loc("small")
  %1 = dsg.matmul %x, %big : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2xf32> loc("big")
  return %0, %1 : tensor<2xf32>, tensor<2xf32>
}
