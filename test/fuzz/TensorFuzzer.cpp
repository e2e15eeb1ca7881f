//===- TensorFuzzer.cpp - libFuzzer target for the tensor file reader -----===//
//
// Feeds each input to the TensorProto reader deepseek-run uses for
// input_<i>.pb and output_<i>.pb. A tensor it accepts must hold exactly
// the bytes its dtype and shape call for.
//
//===----------------------------------------------------------------------===//
#include "compiler/Support/TensorFile.h"

#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace ds::support;
  std::string bytes(reinterpret_cast<const char *>(data), size);
  Tensor tensor;
  std::string error;
  if (!parseTensor(bytes, "fuzz input", tensor, error))
    return 0;
  if (tensor.data.size() != tensor.numElements() * dtypeSize(tensor.dtype)) {
    std::fprintf(stderr, "ds-fuzz-tensor: accepted %s with %zu bytes of data\n",
                 formatType(tensor.dtype, tensor.shape).c_str(),
                 tensor.data.size());
    std::abort();
  }
  // The formatting deepseek-run applies to what it read.
  (void)formatType(tensor.dtype, tensor.shape);
  if (tensor.numElements() > 0)
    (void)formatIndex(tensor.numElements() - 1, tensor.shape);
  return 0;
}
