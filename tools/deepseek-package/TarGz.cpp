//===- TarGz.cpp - Deterministic .tar.gz archives -------------------------===//

#include "tools/deepseek-package/TarGz.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace ds::package {
namespace {

constexpr size_t kBlock = 512;
// GNU tar's default record: 20 blocks. Padding to it keeps tools that read
// whole records happy.
constexpr size_t kRecord = 20 * kBlock;
// The largest size an 11-digit octal field holds (8 GiB - 1).
constexpr uint64_t kMaxUstarSize = 077777777777ull;

// ustar header layout (POSIX.1-1988): offsets of the fields used here.
constexpr size_t kName = 0, kNameLen = 100;
constexpr size_t kMode = 100, kUid = 108, kGid = 116, kSize = 124, kMtime = 136,
                 kChecksum = 148, kType = 156, kMagic = 257, kVersion = 263,
                 kPrefix = 345, kPrefixLen = 155;

// Writes `value` as zero-padded octal in `width - 1` digits and a NUL
// (callers keep it in range).
void putOctal(char *field, size_t width, uint64_t value) {
  field[width - 1] = '\0';
  for (size_t i = width - 1; i-- > 0; value >>= 3)
    field[i] = static_cast<char>('0' + (value & 7));
}

// Splits `path` over the name and prefix fields; false if it cannot fit.
bool putPath(char *header, const std::string &path) {
  if (path.size() <= kNameLen) {
    std::memcpy(header + kName, path.data(), path.size());
    return true;
  }
  // The prefix takes everything before some '/', the name the rest.
  for (size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0;
       slash = path.rfind('/', slash - 1)) {
    size_t nameLen = path.size() - slash - 1;
    if (nameLen > kNameLen)
      return false;
    if (slash <= kPrefixLen && nameLen > 0) {
      std::memcpy(header + kPrefix, path.data(), slash);
      std::memcpy(header + kName, path.data() + slash + 1, nameLen);
      return true;
    }
  }
  return false;
}

bool appendHeader(std::string &tar, const std::string &path, bool directory,
                  unsigned mode, uint64_t size, std::string &error) {
  char header[kBlock] = {};
  if (!putPath(header, path)) {
    error = "path '" + path + "' is too long for a tar header";
    return false;
  }
  if (size > kMaxUstarSize) {
    error = "'" + path + "' is too large for a tar entry";
    return false;
  }
  // uid, gid 0 and no user or group names: extracting as any user gives
  // the same files, and nothing about the packaging machine leaks in.
  putOctal(header + kMode, 8, mode);
  putOctal(header + kUid, 8, 0);
  putOctal(header + kGid, 8, 0);
  putOctal(header + kSize, 12, size);
  putOctal(header + kMtime, 12, 0);
  header[kType] = directory ? '5' : '0';
  std::memcpy(header + kMagic, "ustar", 6);
  std::memcpy(header + kVersion, "00", 2);
  // The checksum counts its own field as spaces.
  std::memset(header + kChecksum, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : header)
    sum += c;
  putOctal(header + kChecksum, 7, sum);
  header[kChecksum + 7] = ' ';
  tar.append(header, kBlock);
  return true;
}

bool gzip(const std::string &in, std::string &out, std::string &error) {
  z_stream zs{};
  // 15 + 16: a gzip wrapper. zlib then writes mtime 0 and no file name.
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    error = "cannot initialise zlib";
    return false;
  }
  out.clear();
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  // Fed in chunks: avail_in is 32 bits and packages may be larger.
  constexpr size_t kChunk = size_t(1) << 30;
  size_t left = in.size();
  char buffer[1 << 16];
  int flush = Z_NO_FLUSH;
  int status = Z_OK;
  while (status == Z_OK) {
    if (zs.avail_in == 0) {
      zs.avail_in = static_cast<uInt>(std::min(left, kChunk));
      left -= zs.avail_in;
      flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    }
    // Drain everything this input gives before feeding more.
    do {
      zs.next_out = reinterpret_cast<Bytef *>(buffer);
      zs.avail_out = sizeof(buffer);
      status = deflate(&zs, flush);
      out.append(buffer, sizeof(buffer) - zs.avail_out);
    } while (status == Z_OK && zs.avail_out == 0);
  }
  deflateEnd(&zs);
  if (status != Z_STREAM_END) {
    error = "gzip compression failed";
    return false;
  }
  return true;
}

} // namespace

void TarGzWriter::addDirectory(const std::string &path) {
  Entry entry;
  entry.directory = true;
  entry.mode = 0755;
  entries_[path + "/"] = std::move(entry);
}

void TarGzWriter::addFile(const std::string &path, std::string data,
                          unsigned mode) {
  Entry entry;
  entry.mode = mode;
  entry.data = std::move(data);
  entries_[path] = std::move(entry);
}

bool TarGzWriter::write(std::string &out, std::string &error) const {
  std::string tar;
  for (const auto &[path, entry] : entries_) {
    if (!appendHeader(tar, path, entry.directory, entry.mode, entry.data.size(),
                      error))
      return false;
    tar += entry.data;
    tar.append((kBlock - entry.data.size() % kBlock) % kBlock, '\0');
  }
  // Two zero blocks end the archive.
  tar.append(2 * kBlock, '\0');
  tar.append((kRecord - tar.size() % kRecord) % kRecord, '\0');
  return gzip(tar, out, error);
}

} // namespace ds::package
