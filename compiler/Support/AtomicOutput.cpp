//===- AtomicOutput.cpp - Write outputs without leaving partial files -----===//

#include "compiler/Support/AtomicOutput.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

namespace ds::support {
namespace {

// Names are made here rather than with mkstemp/mkdtemp so files and
// directories get the usual umask-derived permissions instead of 0600/0700.
std::string randomSuffix() {
  static const char alphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 engine{std::random_device{}() ^
                                      static_cast<uint64_t>(::getpid())};
  std::uniform_int_distribution<size_t> pick(0, sizeof(alphabet) - 2);
  std::string suffix(6, 'X');
  for (char &c : suffix)
    c = alphabet[pick(engine)];
  return suffix;
}

// How many unique names to try before giving up on a crowded directory.
constexpr int kNameAttempts = 100;

std::string stripTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  return path;
}

std::string parentDirectory(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Makes a rename durable; a failure here loses nothing that was written, so
// it is not reported.
void syncDirectory(const std::string &dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  ::fsync(fd);
  ::close(fd);
}

bool writeAll(int fd, const void *data, size_t size) {
  const char *p = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

std::string systemError(const std::string &what, int err) {
  return what + ": " + std::strerror(err);
}

} // namespace

bool writeFileAtomically(const std::string &path, const void *data,
                         size_t size, std::string &error) {
  std::string temp;
  int fd = -1;
  for (int attempt = 0; attempt < kNameAttempts && fd < 0; ++attempt) {
    temp = path + ".tmp-" + randomSuffix();
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) {
      error = systemError("cannot create '" + temp + "'", errno);
      return false;
    }
  }
  if (fd < 0) {
    error = "cannot create a temporary file beside '" + path + "'";
    return false;
  }
  if (!writeAll(fd, data, size) || ::fsync(fd) != 0) {
    error = systemError("cannot write '" + temp + "'", errno);
    ::close(fd);
    ::unlink(temp.c_str());
    return false;
  }
  if (::close(fd) != 0) {
    error = systemError("cannot write '" + temp + "'", errno);
    ::unlink(temp.c_str());
    return false;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    error = systemError("cannot rename '" + temp + "' to '" + path + "'",
                        errno);
    ::unlink(temp.c_str());
    return false;
  }
  syncDirectory(parentDirectory(path));
  return true;
}

StagingDirectory::~StagingDirectory() {
  if (!path_.empty() && !committed_) {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
}

bool StagingDirectory::create(const std::string &target, std::string &error) {
  if (!path_.empty()) {
    error = "staging directory for '" + target_ + "' already created";
    return false;
  }
  std::string base = stripTrailingSlashes(target);
  if (base.empty()) {
    error = "no output directory given";
    return false;
  }
  for (int attempt = 0; attempt < kNameAttempts; ++attempt) {
    std::string candidate = base + ".tmp-" + randomSuffix();
    if (::mkdir(candidate.c_str(), 0777) == 0) {
      target_ = base;
      path_ = candidate;
      return true;
    }
    if (errno != EEXIST) {
      error = systemError("cannot create '" + candidate + "'", errno);
      return false;
    }
  }
  error = "cannot create a staging directory beside '" + base + "'";
  return false;
}

bool StagingDirectory::commit(std::string &error) {
  if (path_.empty() || committed_) {
    error = "nothing staged to commit for '" + target_ + "'";
    return false;
  }
  // Move an existing target aside instead of deleting it first, so a failed
  // rename can put it back.
  std::string aside;
  struct stat st;
  if (::lstat(target_.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      error = "cannot replace '" + target_ + "': it exists and is not a "
              "directory";
      return false;
    }
    bool moved = false;
    for (int attempt = 0; attempt < kNameAttempts && !moved; ++attempt) {
      aside = target_ + ".old-" + randomSuffix();
      if (::lstat(aside.c_str(), &st) == 0)
        continue;
      if (::rename(target_.c_str(), aside.c_str()) != 0) {
        error = systemError("cannot move '" + target_ + "' aside", errno);
        return false;
      }
      moved = true;
    }
    if (!moved) {
      error = "cannot move '" + target_ + "' aside";
      return false;
    }
  } else if (errno != ENOENT) {
    error = systemError("cannot inspect '" + target_ + "'", errno);
    return false;
  }

  if (::rename(path_.c_str(), target_.c_str()) != 0) {
    error = systemError("cannot rename '" + path_ + "' to '" + target_ + "'",
                        errno);
    if (!aside.empty())
      ::rename(aside.c_str(), target_.c_str());
    return false;
  }
  committed_ = true;
  syncDirectory(parentDirectory(target_));
  if (!aside.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(aside, ec);
    if (ec) {
      error = "new '" + target_ + "' is in place but the old one, moved to '" +
              aside + "', could not be removed: " + ec.message();
      return false;
    }
  }
  return true;
}

} // namespace ds::support
