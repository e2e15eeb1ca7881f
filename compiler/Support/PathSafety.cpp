//===- PathSafety.cpp - Keep model-supplied paths inside their directory --===//

#include "compiler/Support/PathSafety.h"

#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace ds::support {
namespace {

bool canonicalPath(const std::string &path, std::string &out, int &err) {
  char buffer[PATH_MAX];
  if (!::realpath(path.c_str(), buffer)) {
    err = errno;
    return false;
  }
  out = buffer;
  return true;
}

bool hasDotDotComponent(const std::string &path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos)
      end = path.size();
    if (path.compare(start, end - start, "..") == 0)
      return true;
    start = end + 1;
  }
  return false;
}

} // namespace

bool resolveInside(const std::string &baseDir, const std::string &relative,
                   std::string &resolved, std::string &error) {
  std::string quoted = "external data location '" + relative + "'";
  if (relative.empty()) {
    error = "external data location is empty";
    return false;
  }
  // The C path functions would silently stop at an embedded NUL.
  if (relative.find('\0') != std::string::npos) {
    error = quoted + " contains a NUL byte";
    return false;
  }
  if (relative.front() == '/') {
    error = quoted + " is absolute; it must be relative to the model";
    return false;
  }
  if (hasDotDotComponent(relative)) {
    error = quoted + " contains '..'";
    return false;
  }
  std::string base;
  int err = 0;
  if (!canonicalPath(baseDir, base, err)) {
    error = "cannot resolve model directory '" + baseDir +
            "': " + std::strerror(err);
    return false;
  }
  std::string candidate;
  if (!canonicalPath(base + "/" + relative, candidate, err)) {
    error = quoted + " cannot be opened in '" + base +
            "': " + std::strerror(err);
    return false;
  }
  // Symlinks are resolved by now, so a plain prefix test is sound.
  std::string prefix = base == "/" ? base : base + "/";
  if (candidate.compare(0, prefix.size(), prefix) != 0) {
    error = quoted + " resolves to '" + candidate + "', outside '" + base +
            "'";
    return false;
  }
  struct stat st;
  if (::stat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    error = quoted + " is not a regular file";
    return false;
  }
  resolved = candidate;
  return true;
}

} // namespace ds::support
