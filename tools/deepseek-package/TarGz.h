//===- TarGz.h - Deterministic .tar.gz archives ------------------*- C++
//-*-===//
//
// A package must be byte-identical for the same inputs, so the archive is
// written here rather than by whatever tar is installed: POSIX ustar entries
// in sorted order, one fixed mtime, owner 0:0 with no names, and a gzip
// header without timestamp or file name.
//
//===----------------------------------------------------------------------===//

#ifndef DS_TOOLS_DEEPSEEK_PACKAGE_TARGZ_H
#define DS_TOOLS_DEEPSEEK_PACKAGE_TARGZ_H

#include <map>
#include <string>

namespace ds::package {

class TarGzWriter {
public:
  /// Adds a directory entry; `path` without a trailing slash.
  void addDirectory(const std::string &path);
  /// Adds a regular file with permission bits `mode` (0644, 0755).
  void addFile(const std::string &path, std::string data, unsigned mode);

  /// The gzip-compressed tar of every entry, sorted by path. False with
  /// `error` set when a path does not fit a ustar header or compression
  /// fails.
  bool write(std::string &out, std::string &error) const;

private:
  struct Entry {
    bool directory = false;
    unsigned mode = 0;
    std::string data;
  };
  // Keyed by the path as stored (directories end in '/'): iteration order
  // is the archive order, and a directory sorts before what it holds.
  std::map<std::string, Entry> entries_;
};

} // namespace ds::package

#endif // DS_TOOLS_DEEPSEEK_PACKAGE_TARGZ_H
