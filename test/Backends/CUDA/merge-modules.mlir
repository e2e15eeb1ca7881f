// RUN: deepseek-opt %s -ds-gpu-merge-modules | FileCheck %s

// Two outlined kernels end up in the first module, and their launches
// follow them there.
// CHECK: gpu.module @first_kernel {
// CHECK-DAG: gpu.func @first_kernel()
// CHECK-DAG: gpu.func @second_kernel()
// CHECK: }
// CHECK-NOT: gpu.module
// CHECK: func.func @graph
// CHECK: gpu.launch_func @first_kernel::@first_kernel
// CHECK: gpu.launch_func @first_kernel::@second_kernel
module attributes {gpu.container_module} {
  gpu.module @first_kernel {
    gpu.func @first_kernel() kernel {
      gpu.return
    }
  }
  gpu.module @second_kernel {
    gpu.func @second_kernel() kernel {
      gpu.return
    }
  }
  func.func @graph() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @first_kernel::@first_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @second_kernel::@second_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}
