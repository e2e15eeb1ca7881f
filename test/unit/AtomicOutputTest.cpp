//===- AtomicOutputTest.cpp - No partial files, no leftover temporaries ---===//

#include "compiler/Support/AtomicOutput.h"

#include "TempDir.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

using ds::support::StagingDirectory;
using ds::support::writeFileAtomically;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> listDir(const std::string &dir) {
  std::vector<std::string> names;
  for (const auto &entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string readText(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeText(const std::string &path, const std::string &text) {
  std::string error;
  REQUIRE(writeFileAtomically(path, text.data(), text.size(), error));
}

} // namespace

TEST_CASE("writeFileAtomically writes and replaces files", "[AtomicOutput]") {
  TempDir dir;
  std::string error;
  writeText(dir / "a.txt", "first");
  CHECK(readText(dir / "a.txt") == "first");
  writeText(dir / "a.txt", "second, longer");
  CHECK(readText(dir / "a.txt") == "second, longer");
  writeText(dir / "empty", "");
  CHECK(fs::file_size(dir / "empty") == 0);
  CHECK(listDir(dir.path()) == std::vector<std::string>{"a.txt", "empty"});

  CHECK_FALSE(writeFileAtomically(dir / "no/such/dir/x", "x", 1, error));
  CHECK(error.find("no/such/dir") != std::string::npos);

  // A directory in the way: the rename fails and the temporary is removed.
  REQUIRE(fs::create_directory(dir / "busy"));
  CHECK_FALSE(writeFileAtomically(dir / "busy", "x", 1, error));
  CHECK(listDir(dir.path()) ==
        std::vector<std::string>{"a.txt", "busy", "empty"});
}

TEST_CASE("StagingDirectory commits into place", "[AtomicOutput]") {
  TempDir dir;
  std::string error;
  std::string target = dir / "out";

  SECTION("new target") {
    StagingDirectory staging;
    REQUIRE(staging.create(target + "/", error));
    CHECK(staging.path().rfind(target + ".tmp-", 0) == 0);
    CHECK(staging.path().size() == target.size() + 11);
    CHECK(fs::is_directory(staging.path()));
    CHECK_FALSE(fs::exists(target));
    writeText(staging.path() + "/model.so", "elf");
    REQUIRE(staging.commit(error));
    CHECK(readText(target + "/model.so") == "elf");
    CHECK(listDir(dir.path()) == std::vector<std::string>{"out"});
  }
  SECTION("replaces an existing target directory") {
    REQUIRE(fs::create_directory(target));
    writeText(target + "/stale.txt", "old");
    StagingDirectory staging;
    REQUIRE(staging.create(target, error));
    writeText(staging.path() + "/fresh.txt", "new");
    REQUIRE(staging.commit(error));
    CHECK(listDir(target) == std::vector<std::string>{"fresh.txt"});
    CHECK(listDir(dir.path()) == std::vector<std::string>{"out"});
  }
  SECTION("refuses to replace a file") {
    writeText(target, "not a directory");
    {
      StagingDirectory staging;
      REQUIRE(staging.create(target, error));
      CHECK_FALSE(staging.commit(error));
      CHECK(error.find("not a directory") != std::string::npos);
    }
    CHECK(readText(target) == "not a directory");
    CHECK(listDir(dir.path()) == std::vector<std::string>{"out"});
  }
}

TEST_CASE("StagingDirectory rolls back when not committed",
          "[AtomicOutput]") {
  TempDir dir;
  std::string error;
  std::string target = dir / "out";
  REQUIRE(fs::create_directory(target));
  writeText(target + "/keep.txt", "previous");
  {
    StagingDirectory staging;
    REQUIRE(staging.create(target, error));
    REQUIRE(fs::create_directory(staging.path() + "/nested"));
    writeText(staging.path() + "/nested/partial.bin", "half");
  }
  CHECK(listDir(dir.path()) == std::vector<std::string>{"out"});
  CHECK(readText(target + "/keep.txt") == "previous");

  StagingDirectory twice;
  REQUIRE(twice.create(target, error));
  CHECK_FALSE(twice.create(target, error));
}
