//===- AtomicOutput.h - Write outputs without leaving partial files -------===//
//
// A crash or error while writing must never leave a half-written file or
// artifact where a previous good one was: everything is written beside the
// target first and renamed into place.
//
//===----------------------------------------------------------------------===//

#ifndef DS_COMPILER_SUPPORT_ATOMICOUTPUT_H
#define DS_COMPILER_SUPPORT_ATOMICOUTPUT_H

#include <cstddef>
#include <string>

namespace ds::support {

/// Writes `data` to a temporary file in the directory of `path`, fsyncs it
/// and renames it onto `path`. On failure nothing is left behind and `path`
/// is untouched.
bool writeFileAtomically(const std::string &path, const void *data,
                         size_t size, std::string &error);

/// A temporary directory `<target>.tmp-XXXXXX` beside `target` that becomes
/// `target` on commit() and is removed, with its contents, if never
/// committed.
class StagingDirectory {
public:
  StagingDirectory() = default;
  StagingDirectory(const StagingDirectory &) = delete;
  StagingDirectory &operator=(const StagingDirectory &) = delete;
  ~StagingDirectory();

  /// Creates the staging directory for `target`.
  bool create(const std::string &target, std::string &error);

  /// Where to write; empty before create().
  const std::string &path() const { return path_; }

  /// Renames the staging directory onto the target. An existing target
  /// directory is moved aside first and removed once the new one is in place.
  bool commit(std::string &error);

private:
  std::string target_;
  std::string path_;
  bool committed_ = false;
};

} // namespace ds::support

#endif // DS_COMPILER_SUPPORT_ATOMICOUTPUT_H
