//===- PathSafetyTest.cpp - External-data paths stay inside the model -----===//

#include "compiler/Support/PathSafety.h"

#include "TempDir.h"

#include <catch2/catch.hpp>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using ds::support::resolveInside;

namespace {

void touch(const std::string &path) {
  std::ofstream out(path);
  out << "x";
  REQUIRE(out.good());
}

std::string canonical(const std::string &path) {
  char buffer[PATH_MAX];
  REQUIRE(::realpath(path.c_str(), buffer) != nullptr);
  return buffer;
}

} // namespace

TEST_CASE("resolveInside keeps external data inside the model directory",
          "[PathSafety]") {
  TempDir model, elsewhere;
  REQUIRE(::mkdir((model / "sub").c_str(), 0755) == 0);
  touch(model / "sub/w.bin");
  touch(elsewhere / "secret.bin");
  REQUIRE(::symlink((elsewhere / "secret.bin").c_str(),
                    (model / "escape.bin").c_str()) == 0);
  REQUIRE(::symlink(elsewhere.path().c_str(), (model / "outdir").c_str()) == 0);
  REQUIRE(::symlink("sub/w.bin", (model / "inside.bin").c_str()) == 0);

  std::string resolved, error;

  SECTION("accepts a file in a subdirectory") {
    REQUIRE(resolveInside(model.path(), "sub/w.bin", resolved, error));
    CHECK(resolved == canonical(model / "sub/w.bin"));
    REQUIRE(resolveInside(model.path(), "./sub//w.bin", resolved, error));
    CHECK(resolved == canonical(model / "sub/w.bin"));
  }
  SECTION("accepts a symlink that stays inside") {
    REQUIRE(resolveInside(model.path(), "inside.bin", resolved, error));
    CHECK(resolved == canonical(model / "sub/w.bin"));
  }
  SECTION("rejects parent components") {
    CHECK_FALSE(resolveInside(model.path(), "../x", resolved, error));
    CHECK(error.find("'..'") != std::string::npos);
    CHECK_FALSE(resolveInside(model.path(), "a/../../x", resolved, error));
    CHECK_FALSE(resolveInside(model.path(), "sub/..", resolved, error));
  }
  SECTION("rejects absolute and empty paths") {
    CHECK_FALSE(resolveInside(model.path(), "/etc/passwd", resolved, error));
    CHECK(error.find("absolute") != std::string::npos);
    CHECK_FALSE(resolveInside(model.path(), "", resolved, error));
    CHECK(error.find("empty") != std::string::npos);
  }
  SECTION("rejects symlinks that leave the directory") {
    CHECK_FALSE(resolveInside(model.path(), "escape.bin", resolved, error));
    CHECK(error.find("outside") != std::string::npos);
    CHECK_FALSE(
        resolveInside(model.path(), "outdir/secret.bin", resolved, error));
    CHECK(error.find("outside") != std::string::npos);
  }
  SECTION("rejects missing files and directories") {
    CHECK_FALSE(resolveInside(model.path(), "missing.bin", resolved, error));
    CHECK(error.find("missing.bin") != std::string::npos);
    CHECK_FALSE(resolveInside(model.path(), "sub", resolved, error));
    CHECK(error.find("not a regular file") != std::string::npos);
  }
  SECTION("rejects an embedded NUL") {
    std::string sneaky("sub/w.bin\0/../../etc/passwd", 27);
    CHECK_FALSE(resolveInside(model.path(), sneaky, resolved, error));
  }
}
