//===- TensorFile.cpp - Read, write and compare ONNX TensorProto files ----===//

#include "compiler/Support/TensorFile.h"

#include "compiler/Support/AtomicOutput.h"

#include <onnx/onnx_pb.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace ds::support {

// Tensor bytes are copied to and from memory as-is; the file format and the
// compiled models are little-endian.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "TensorFile assumes a little-endian host");

namespace {

using onnx::TensorProto;

// Dense byte size of `shape` with `elemSize`-byte elements; false on a
// negative dimension or overflow.
bool denseBytes(const std::vector<int64_t> &shape, size_t elemSize,
                size_t &bytes, std::string &problem) {
  bytes = elemSize;
  for (int64_t dim : shape) {
    if (dim < 0) {
      problem = "negative dimension " + std::to_string(dim);
      return false;
    }
    if (dim != 0 && bytes > std::numeric_limits<size_t>::max() /
                                static_cast<size_t>(dim)) {
      problem = "shape " + formatShape(shape) + " is too large";
      return false;
    }
    bytes *= static_cast<size_t>(dim);
  }
  return true;
}

bool isFloatType(int32_t dtype) {
  return dtype == TensorProto::FLOAT || dtype == TensorProto::DOUBLE ||
         dtype == TensorProto::FLOAT16 || dtype == TensorProto::BFLOAT16;
}

float halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) { // inf / NaN
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent != 0) { // normal
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) { // zero
    bits = sign;
  } else { // subnormal: value = mantissa * 2^-24, exact in float
    float value = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -value : value;
  }
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

template <typename T> T load(const Tensor &t, size_t index) {
  T value;
  std::memcpy(&value, t.data.data() + index * sizeof(T), sizeof(T));
  return value;
}

// Element `index` of `t` as a double (exact for all but 64-bit integers
// beyond 2^53, which only affects the size of a reported difference).
double elementAsDouble(const Tensor &t, size_t index) {
  switch (t.dtype) {
  case TensorProto::FLOAT: return load<float>(t, index);
  case TensorProto::DOUBLE: return load<double>(t, index);
  case TensorProto::FLOAT16: return halfToFloat(load<uint16_t>(t, index));
  case TensorProto::BFLOAT16: {
    uint32_t bits = static_cast<uint32_t>(load<uint16_t>(t, index)) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
  }
  case TensorProto::BOOL: return load<uint8_t>(t, index) != 0;
  case TensorProto::UINT8: return load<uint8_t>(t, index);
  case TensorProto::INT8: return load<int8_t>(t, index);
  case TensorProto::UINT16: return load<uint16_t>(t, index);
  case TensorProto::INT16: return load<int16_t>(t, index);
  case TensorProto::UINT32: return load<uint32_t>(t, index);
  case TensorProto::INT32: return load<int32_t>(t, index);
  case TensorProto::UINT64: return static_cast<double>(load<uint64_t>(t, index));
  case TensorProto::INT64: return static_cast<double>(load<int64_t>(t, index));
  default: return 0;
  }
}

// Integers compare exactly on their stored value, not via double.
bool integersEqual(const Tensor &a, const Tensor &b, size_t index) {
  if (a.dtype == TensorProto::BOOL)
    return (load<uint8_t>(a, index) != 0) == (load<uint8_t>(b, index) != 0);
  size_t size = dtypeSize(a.dtype);
  return std::memcmp(a.data.data() + index * size,
                     b.data.data() + index * size, size) == 0;
}

// The shortest text that reads back as the stored value.
std::string elementString(const Tensor &t, size_t index) {
  char buffer[64];
  std::to_chars_result result;
  switch (t.dtype) {
  case TensorProto::DOUBLE:
    result = std::to_chars(buffer, buffer + sizeof(buffer),
                           load<double>(t, index));
    break;
  case TensorProto::FLOAT:
  case TensorProto::FLOAT16:
  case TensorProto::BFLOAT16:
    result = std::to_chars(buffer, buffer + sizeof(buffer),
                           static_cast<float>(elementAsDouble(t, index)));
    break;
  case TensorProto::UINT64:
    result = std::to_chars(buffer, buffer + sizeof(buffer),
                           load<uint64_t>(t, index));
    break;
  case TensorProto::INT64:
    result = std::to_chars(buffer, buffer + sizeof(buffer),
                           load<int64_t>(t, index));
    break;
  default: // narrower integers and bool are exact as int64
    result = std::to_chars(buffer, buffer + sizeof(buffer),
                           static_cast<int64_t>(elementAsDouble(t, index)));
    break;
  }
  return std::string(buffer, result.ptr);
}

std::string shortNumber(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3g", value);
  return buffer;
}

bool readWholeFile(const std::string &path, std::string &bytes,
                   std::string &error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open tensor file '" + path + "': " + std::strerror(errno);
    return false;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    error = "tensor file '" + path + "' is not a regular file";
    return false;
  }
  // A serialized protobuf message cannot exceed 2 GiB.
  if (st.st_size > std::numeric_limits<int32_t>::max()) {
    ::close(fd);
    error = "tensor file '" + path + "' is larger than 2 GiB";
    return false;
  }
  bytes.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd, &bytes[done], bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      error = "cannot read tensor file '" + path + "': " +
              (n < 0 ? std::strerror(errno) : "file shrank while reading");
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return true;
}

// Which typed field of TensorProto holds a dtype's values when raw_data is
// absent (ONNX packs narrow integers, bool and 16-bit floats into int32_data).
enum class Field { Float, Int32, Int64, Double, UInt64 };

Field typedFieldFor(int32_t dtype) {
  switch (dtype) {
  case TensorProto::FLOAT: return Field::Float;
  case TensorProto::INT64: return Field::Int64;
  case TensorProto::DOUBLE: return Field::Double;
  case TensorProto::UINT32:
  case TensorProto::UINT64: return Field::UInt64;
  default: return Field::Int32;
  }
}

const char *fieldName(Field field) {
  switch (field) {
  case Field::Float: return "float_data";
  case Field::Int32: return "int32_data";
  case Field::Int64: return "int64_data";
  case Field::Double: return "double_data";
  case Field::UInt64: return "uint64_data";
  }
  return "";
}

int fieldSize(const TensorProto &proto, Field field) {
  switch (field) {
  case Field::Float: return proto.float_data_size();
  case Field::Int32: return proto.int32_data_size();
  case Field::Int64: return proto.int64_data_size();
  case Field::Double: return proto.double_data_size();
  case Field::UInt64: return proto.uint64_data_size();
  }
  return 0;
}

template <typename T> void store(std::vector<uint8_t> &data, size_t index, T v) {
  std::memcpy(data.data() + index * sizeof(T), &v, sizeof(T));
}

// Narrows int32_data entries to the tensor's element type, rejecting values
// the type cannot hold.
bool decodeInt32Data(const TensorProto &proto, Tensor &t, std::string &problem) {
  int64_t lo, hi;
  switch (t.dtype) {
  case TensorProto::BOOL: lo = 0; hi = 1; break;
  case TensorProto::INT8: lo = INT8_MIN; hi = INT8_MAX; break;
  case TensorProto::UINT8: lo = 0; hi = UINT8_MAX; break;
  case TensorProto::INT16: lo = INT16_MIN; hi = INT16_MAX; break;
  // 16-bit floats are stored as their bit pattern.
  case TensorProto::UINT16:
  case TensorProto::FLOAT16:
  case TensorProto::BFLOAT16: lo = 0; hi = UINT16_MAX; break;
  default: lo = INT32_MIN; hi = INT32_MAX; break;
  }
  size_t elemSize = dtypeSize(t.dtype);
  for (int i = 0; i < proto.int32_data_size(); ++i) {
    int32_t v = proto.int32_data(i);
    if (v < lo || v > hi) {
      problem = "int32_data[" + std::to_string(i) + "] = " +
                std::to_string(v) + " does not fit " + dtypeName(t.dtype);
      return false;
    }
    if (elemSize == 1)
      store<uint8_t>(t.data, i, static_cast<uint8_t>(v));
    else if (elemSize == 2)
      store<uint16_t>(t.data, i, static_cast<uint16_t>(v));
    else
      store<int32_t>(t.data, i, v);
  }
  return true;
}

bool decodeTypedData(const TensorProto &proto, Tensor &t,
                     std::string &problem) {
  switch (typedFieldFor(t.dtype)) {
  case Field::Float:
    for (int i = 0; i < proto.float_data_size(); ++i)
      store<float>(t.data, i, proto.float_data(i));
    return true;
  case Field::Int64:
    for (int i = 0; i < proto.int64_data_size(); ++i)
      store<int64_t>(t.data, i, proto.int64_data(i));
    return true;
  case Field::Double:
    for (int i = 0; i < proto.double_data_size(); ++i)
      store<double>(t.data, i, proto.double_data(i));
    return true;
  case Field::UInt64:
    for (int i = 0; i < proto.uint64_data_size(); ++i) {
      uint64_t v = proto.uint64_data(i);
      if (t.dtype == TensorProto::UINT64) {
        store<uint64_t>(t.data, i, v);
      } else if (v > UINT32_MAX) {
        problem = "uint64_data[" + std::to_string(i) + "] = " +
                  std::to_string(v) + " does not fit uint32";
        return false;
      } else {
        store<uint32_t>(t.data, i, static_cast<uint32_t>(v));
      }
    }
    return true;
  case Field::Int32:
    return decodeInt32Data(proto, t, problem);
  }
  return false;
}

// Turns a parsed TensorProto into a dense Tensor; `problem` says what is
// wrong otherwise.
bool decodeTensor(const TensorProto &proto, Tensor &t, std::string &problem) {
  t.name = proto.name();
  t.dtype = proto.data_type();
  t.shape.assign(proto.dims().begin(), proto.dims().end());
  if (proto.data_location() == TensorProto::EXTERNAL ||
      proto.external_data_size() > 0) {
    problem = "uses external data, which tensor files may not";
    return false;
  }
  if (t.dtype == TensorProto::STRING) {
    problem = "is a string tensor, which is not supported";
    return false;
  }
  size_t elemSize = dtypeSize(t.dtype);
  if (elemSize == 0) {
    problem = "has unsupported " + dtypeName(t.dtype);
    return false;
  }
  if (proto.has_segment()) {
    problem = "is a segment of a larger tensor, which is not supported";
    return false;
  }
  size_t numBytes;
  if (!denseBytes(t.shape, elemSize, numBytes, problem))
    return false;
  std::string type = formatType(t.dtype, t.shape);
  size_t count = numBytes / elemSize;

  const Field expectedField = typedFieldFor(t.dtype);
  for (Field field : {Field::Float, Field::Int32, Field::Int64, Field::Double,
                      Field::UInt64}) {
    if (fieldSize(proto, field) == 0)
      continue;
    if (proto.has_raw_data() || field != expectedField) {
      problem = std::string("stores values in ") + fieldName(field) +
                ", which a " + type + " tensor " +
                (proto.has_raw_data() ? "with raw_data " : "") +
                "may not use";
      return false;
    }
  }

  if (proto.has_raw_data()) {
    const std::string &raw = proto.raw_data();
    if (raw.size() != numBytes) {
      problem = "raw_data holds " + std::to_string(raw.size()) +
                " bytes, expected " + std::to_string(numBytes) + " for " +
                type;
      return false;
    }
    t.data.assign(raw.begin(), raw.end());
    return true;
  }
  size_t stored = static_cast<size_t>(fieldSize(proto, expectedField));
  if (stored != count) {
    problem = std::string(fieldName(expectedField)) + " holds " +
              std::to_string(stored) + " values, expected " +
              std::to_string(count) + " for " + type;
    return false;
  }
  t.data.assign(numBytes, 0);
  return decodeTypedData(proto, t, problem);
}

} // namespace

size_t Tensor::numElements() const {
  size_t n = 1;
  for (int64_t dim : shape)
    n *= dim < 0 ? 0 : static_cast<size_t>(dim);
  return n;
}

size_t dtypeSize(int32_t dtype) {
  switch (dtype) {
  case TensorProto::UINT8:
  case TensorProto::INT8:
  case TensorProto::BOOL:
    return 1;
  case TensorProto::UINT16:
  case TensorProto::INT16:
  case TensorProto::FLOAT16:
  case TensorProto::BFLOAT16:
    return 2;
  case TensorProto::FLOAT:
  case TensorProto::INT32:
  case TensorProto::UINT32:
    return 4;
  case TensorProto::INT64:
  case TensorProto::DOUBLE:
  case TensorProto::UINT64:
    return 8;
  default:
    return 0;
  }
}

std::string dtypeName(int32_t dtype) {
  switch (dtype) {
  case TensorProto::FLOAT: return "float";
  case TensorProto::UINT8: return "uint8";
  case TensorProto::INT8: return "int8";
  case TensorProto::UINT16: return "uint16";
  case TensorProto::INT16: return "int16";
  case TensorProto::INT32: return "int32";
  case TensorProto::INT64: return "int64";
  case TensorProto::STRING: return "string";
  case TensorProto::BOOL: return "bool";
  case TensorProto::FLOAT16: return "float16";
  case TensorProto::DOUBLE: return "double";
  case TensorProto::UINT32: return "uint32";
  case TensorProto::UINT64: return "uint64";
  case TensorProto::COMPLEX64: return "complex64";
  case TensorProto::COMPLEX128: return "complex128";
  case TensorProto::BFLOAT16: return "bfloat16";
  default: return "dtype " + std::to_string(dtype);
  }
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

std::string formatType(int32_t dtype, const std::vector<int64_t> &shape) {
  return dtypeName(dtype) + formatShape(shape);
}

std::string formatIndex(size_t flat, const std::vector<int64_t> &shape) {
  std::vector<int64_t> index(shape.size(), 0);
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] <= 0)
      continue;
    size_t dim = static_cast<size_t>(shape[i]);
    index[i] = static_cast<int64_t>(flat % dim);
    flat /= dim;
  }
  return formatShape(index);
}

bool parseTensor(const std::string &bytes, const std::string &origin,
                 Tensor &out, std::string &error) {
  std::string problem;
  try {
    TensorProto proto;
    if (!proto.ParseFromString(bytes)) {
      error = "tensor file '" + origin +
              "' is not a valid TensorProto (truncated or corrupt)";
      return false;
    }
    Tensor tensor;
    if (!decodeTensor(proto, tensor, problem)) {
      error = "tensor file '" + origin + "' " + problem;
      return false;
    }
    out = std::move(tensor);
    return true;
  } catch (const std::exception &e) {
    error = "cannot read tensor file '" + origin + "': " + e.what();
    return false;
  }
}

bool readTensorFile(const std::string &path, Tensor &out, std::string &error) {
  std::string bytes;
  return readWholeFile(path, bytes, error) &&
         parseTensor(bytes, path, out, error);
}

bool writeTensorFile(const std::string &path, const Tensor &t,
                     std::string &error) {
  size_t elemSize = dtypeSize(t.dtype);
  if (elemSize == 0) {
    error = "cannot write tensor file '" + path + "': unsupported " +
            dtypeName(t.dtype);
    return false;
  }
  size_t numBytes;
  std::string problem;
  if (!denseBytes(t.shape, elemSize, numBytes, problem)) {
    error = "cannot write tensor file '" + path + "': " + problem;
    return false;
  }
  if (t.data.size() != numBytes) {
    error = "cannot write tensor file '" + path + "': " + formatType(t.dtype,
            t.shape) + " needs " + std::to_string(numBytes) + " bytes, got " +
            std::to_string(t.data.size());
    return false;
  }
  std::string bytes;
  try {
    TensorProto proto;
    proto.set_name(t.name);
    proto.set_data_type(t.dtype);
    for (int64_t dim : t.shape)
      proto.add_dims(dim);
    proto.set_raw_data(t.data.data(), t.data.size());
    if (!proto.SerializeToString(&bytes)) {
      error = "cannot write tensor file '" + path +
              "': tensor too large to serialize";
      return false;
    }
  } catch (const std::exception &e) {
    error = "cannot write tensor file '" + path + "': " + e.what();
    return false;
  }
  return writeFileAtomically(path, bytes.data(), bytes.size(), error);
}

CompareResult compareTensors(const Tensor &actual, const Tensor &expected,
                             double rtol, double atol) {
  CompareResult result;
  const std::string &name = actual.name.empty() ? expected.name : actual.name;
  std::string label = "output '" + name + "'";
  if (actual.dtype != expected.dtype) {
    result.message = label + " dtype mismatch: got " +
                     dtypeName(actual.dtype) + ", expected " +
                     dtypeName(expected.dtype);
    return result;
  }
  if (actual.shape != expected.shape) {
    result.message = label + " shape mismatch: got " +
                     formatShape(actual.shape) + ", expected " +
                     formatShape(expected.shape);
    return result;
  }
  size_t elemSize = dtypeSize(expected.dtype);
  if (elemSize == 0) {
    result.message = label + " has unsupported " + dtypeName(expected.dtype);
    return result;
  }
  size_t count = expected.numElements();
  for (const Tensor *t : {&actual, &expected}) {
    if (t->data.size() != count * elemSize) {
      result.message = label + " holds " + std::to_string(t->data.size()) +
                       " bytes, expected " + std::to_string(count * elemSize) +
                       " for " + formatType(t->dtype, t->shape);
      return result;
    }
  }

  const bool isFloat = isFloatType(expected.dtype);
  size_t failures = 0;
  double worstExcess = -std::numeric_limits<double>::infinity();
  double worstTol = 0, maxDiff = 0;
  bool worstNonFinite = false;
  size_t maxDiffIndex = 0;
  for (size_t i = 0; i < count; ++i) {
    double a = elementAsDouble(actual, i);
    double e = elementAsDouble(expected, i);
    double diff = std::fabs(a - e);
    double tol = 0;
    bool pass;
    bool nonFinite = isFloat && !(std::isfinite(a) && std::isfinite(e));
    if (!isFloat) {
      pass = integersEqual(actual, expected, i);
    } else if (nonFinite) {
      // NaN matches NaN; infinities must be equal, sign included.
      pass = (std::isnan(a) && std::isnan(e)) || a == e;
      diff = pass ? 0 : std::numeric_limits<double>::infinity();
    } else {
      tol = atol + rtol * std::fabs(e);
      pass = diff <= tol;
    }
    if (pass) {
      if (diff > maxDiff) {
        maxDiff = diff;
        maxDiffIndex = i;
      }
      continue;
    }
    ++failures;
    // Non-finite mismatches rank worst; among those the first one is kept.
    double excess = diff - tol;
    if (excess > worstExcess) {
      worstExcess = excess;
      worstTol = tol;
      worstNonFinite = nonFinite;
      result.worstIndex = i;
      result.worstActual = a;
      result.worstExpected = e;
      result.worstError = diff;
    }
  }

  if (failures == 0) {
    result.ok = true;
    result.worstIndex = maxDiffIndex;
    if (count) {
      result.worstActual = elementAsDouble(actual, maxDiffIndex);
      result.worstExpected = elementAsDouble(expected, maxDiffIndex);
    }
    result.worstError = maxDiff;
    result.message = label + " matches (max |diff| " + shortNumber(maxDiff) +
                     ")";
    return result;
  }
  size_t w = result.worstIndex;
  std::string why;
  if (!isFloat)
    why = "|diff| " + shortNumber(result.worstError) +
          ", integers must match exactly";
  else if (worstNonFinite)
    why = "NaN and infinity must match exactly";
  else
    why = "|diff| " + shortNumber(result.worstError) + " > tol " +
          shortNumber(worstTol);
  result.message = label + " mismatch at " + formatIndex(w, expected.shape) +
                   ": got " + elementString(actual, w) + ", expected " +
                   elementString(expected, w) + " (" + why + "); " +
                   std::to_string(failures) + " of " + std::to_string(count) +
                   " elements differ";
  return result;
}

} // namespace ds::support
