//===- TensorFile.h - Read, write and compare ONNX TensorProto files ------===//
//
// The tensor files of the ONNX backend test data (input_N.pb, output_N.pb):
// one serialized onnx::TensorProto each. Tensors are held densely so tools can
// hand them straight to a compiled model.
//
//===----------------------------------------------------------------------===//

#ifndef DS_COMPILER_SUPPORT_TENSORFILE_H
#define DS_COMPILER_SUPPORT_TENSORFILE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ds::support {

struct Tensor {
  std::string name;
  int32_t dtype = 0; // ONNX TensorProto.DataType code
  std::vector<int64_t> shape;
  // Dense little-endian row-major bytes; bool is 1 byte per element,
  // float16/bfloat16 are 2 bytes.
  std::vector<uint8_t> data;

  size_t numElements() const;
};

/// Bytes per element of an ONNX dtype, 0 for types tensors here cannot hold
/// (string, complex, undefined).
size_t dtypeSize(int32_t dtype);

/// ONNX spelling of a dtype ("float", "int64", ...), or "dtype N".
std::string dtypeName(int32_t dtype);

/// "[3, 4, 5]"; "[]" for a scalar.
std::string formatShape(const std::vector<int64_t> &shape);

/// "float[3, 4, 5]".
std::string formatType(int32_t dtype, const std::vector<int64_t> &shape);

/// The multi-dimensional index of row-major element `flat`, as "[0, 3, 1]".
std::string formatIndex(size_t flat, const std::vector<int64_t> &shape);

/// Reads a serialized TensorProto. Accepts raw_data and the typed fields;
/// rejects string tensors, external data, malformed files and element counts
/// that disagree with the dims.
bool readTensorFile(const std::string &path, Tensor &out, std::string &error);

/// readTensorFile's decoding, on the file's bytes; `origin` names them in
/// errors.
bool parseTensor(const std::string &bytes, const std::string &origin,
                 Tensor &out, std::string &error);

/// Writes `t` as a TensorProto with name, dims and raw_data, atomically.
bool writeTensorFile(const std::string &path, const Tensor &t,
                     std::string &error);

struct CompareResult {
  bool ok = false;
  // The worst element: on failure the one furthest out of tolerance,
  // otherwise the one with the largest |diff|.
  size_t worstIndex = 0;
  double worstActual = 0, worstExpected = 0, worstError = 0;
  std::string message;
};

/// Compares element-wise. Floating-point elements pass when
/// |a - e| <= atol + rtol * |e|, NaN matches NaN and infinities must match
/// exactly; integers and bools must be equal. Shapes and dtypes must match.
CompareResult compareTensors(const Tensor &actual, const Tensor &expected,
                             double rtol, double atol);

} // namespace ds::support

#endif // DS_COMPILER_SUPPORT_TENSORFILE_H
