//===- ds_cuda.h - the CUDA driver behind --target cuda artifacts --*- C++
//-*-===//
#ifndef DS_RUNTIME_CUDA_H
#define DS_RUNTIME_CUDA_H

#include <string>

/// Whether a GPU can run cuda artifacts here; `why` says why not.
bool dsCudaAvailable(std::string &why);

/// Unloads the kernels and frees the weights kept on the GPU, before a
/// model's library is unloaded (all models': one still loaded loads and
/// uploads its own again at its next run).
void dsCudaForgetModels();

/// The first GPU call that failed since the last call, or "".
std::string dsCudaTakeError();

#endif
