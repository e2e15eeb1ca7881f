//===- deepseek-package.cpp - Bundle an artifact for one platform ---------===//
//
// Turns a deepseek-convert output directory into one deployable .tar.gz for
// a named platform: the artifact, the runtime library and header, a C
// example with its Makefile, a README and a manifest with every file's
// SHA-256. Refuses artifacts the platform cannot run. The archive is
// reproducible and written atomically.
// Exit codes: 0 ok, 1 internal failure, 2 bad input.
//
//===----------------------------------------------------------------------===//

#include "compiler/Support/AtomicOutput.h"
#include "compiler/Support/Platforms.h"
#include "compiler/Support/Version.h"
#include "tools/deepseek-package/CpuFeatures.h"
#include "tools/deepseek-package/PackageFiles.h"
#include "tools/deepseek-package/TarGz.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#ifndef DS_RUNTIME_LIBRARY_DIR
#error "DS_RUNTIME_LIBRARY_DIR must name the directory of libds_runtime.so"
#endif
#ifndef DS_RUNTIME_HEADER
#error "DS_RUNTIME_HEADER must name runtime-stub/include/ds_runtime.h"
#endif

namespace {

using ds::package::TensorDesc;
using ds::support::Platform;

constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitBadInput = 2;

struct Options {
  std::string model;
  std::string output;
  std::string platform;
  bool force = false;
};

// An exit code and the one line that explains it; code 0 is success.
struct Failure {
  int code = kExitOk;
  std::string message;
  explicit operator bool() const { return code != kExitOk; }
};

Failure badInput(std::string message) {
  return {kExitBadInput, std::move(message)};
}

std::string inQuotes(const std::string &path) { return "'" + path + "'"; }

std::string stripTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  return path;
}

bool isRegularFile(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Failure readFile(const std::string &path, std::string &data) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return badInput("cannot read " + inQuotes(path) + ": " +
                    std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad())
    return badInput("cannot read " + inQuotes(path));
  data = buffer.str();
  return {};
}

// The package's top-level directory: the artifact directory's name and the
// platform, with only characters every file system and shell take.
std::string packageName(const std::string &modelDir, const Platform &p) {
  size_t slash = modelDir.rfind('/');
  std::string base =
      slash == std::string::npos ? modelDir : modelDir.substr(slash + 1);
  if (base.empty() || base == "." || base == "..")
    base = "model";
  for (char &c : base)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
          c == '-'))
      c = '_';
  // ustar splits long paths at a '/', so keep the top-level name short.
  if (base.size() > 64)
    base.resize(64);
  return base + "-" + p.name;
}

// The runtime-stub built for the platform's instruction set.
std::string runtimeLibraryPath(const Platform &platform) {
  return std::string(DS_RUNTIME_LIBRARY_DIR) + "/" + platform.runtimeLibrary;
}

// What report.json tells about the artifact.
struct Report {
  std::string artifact;
  ds::support::ArtifactTarget target;
  std::string precision;
  std::vector<TensorDesc> inputs, outputs;
};

Failure parseTensors(const llvm::json::Object &root, const char *key,
                     const std::string &path, std::vector<TensorDesc> &out) {
  const llvm::json::Array *list = root.getArray(key);
  if (!list)
    return badInput(inQuotes(path) + ": no '" + key + "' list");
  for (const llvm::json::Value &value : *list) {
    const llvm::json::Object *tensor = value.getAsObject();
    std::optional<llvm::StringRef> name =
        tensor ? tensor->getString("name") : std::nullopt;
    std::optional<int64_t> dtype =
        tensor ? tensor->getInteger("dtype") : std::nullopt;
    const llvm::json::Array *shape =
        tensor ? tensor->getArray("shape") : nullptr;
    if (!name || !dtype || !shape)
      return badInput(inQuotes(path) + ": an entry of '" + key +
                      "' lacks a name, dtype or shape");
    TensorDesc desc;
    desc.name = name->str();
    desc.dtype = static_cast<int>(*dtype);
    for (const llvm::json::Value &dim : *shape) {
      std::optional<int64_t> size = dim.getAsInteger();
      if (!size)
        return badInput(inQuotes(path) + ": tensor '" + desc.name +
                        "' has a non-integer dimension");
      desc.shape.push_back(*size);
    }
    out.push_back(std::move(desc));
  }
  return {};
}

Failure readReport(const std::string &modelDir, Report &report) {
  std::string path = modelDir + "/report.json";
  if (!isRegularFile(path))
    return badInput(inQuotes(path) + " is missing: " + inQuotes(modelDir) +
                    " is not a deepseek-convert output directory");
  std::string text;
  if (Failure f = readFile(path, text))
    return f;
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(text);
  if (!parsed)
    return badInput(inQuotes(path) +
                    ": not JSON: " + llvm::toString(parsed.takeError()));
  const llvm::json::Object *root = parsed->getAsObject();
  if (!root)
    return badInput(inQuotes(path) + ": not a JSON object");
  auto string = [&](const char *key) -> std::optional<std::string> {
    if (std::optional<llvm::StringRef> s = root->getString(key))
      return s->str();
    return std::nullopt;
  };
  std::optional<std::string> artifact = string("artifact");
  std::optional<std::string> target = string("target");
  std::optional<std::string> cpu = string("cpu");
  if (!artifact || !target || !cpu)
    return badInput(inQuotes(path) +
                    ": 'artifact', 'target' or 'cpu' is missing");
  report.artifact = *artifact;
  report.target.target = *target;
  report.target.cpu = *cpu;
  // "gpu" is null for CPU targets; "features" (extra LLVM features) is read
  // where a report records it.
  report.target.gpu = string("gpu").value_or("");
  report.target.features = string("features").value_or("");
  report.precision = string("precision").value_or("fp32");
  if (Failure f = parseTensors(*root, "inputs", path, report.inputs))
    return f;
  return parseTensors(*root, "outputs", path, report.outputs);
}

// ELF e_machine of a 64-bit little-endian ELF file, or 0.
unsigned elfMachine(const std::string &data) {
  if (data.size() < 20 ||
      data.compare(0, 4,
                   "\x7f"
                   "ELF") != 0 ||
      data[4] != 2 || data[5] != 1)
    return 0;
  return static_cast<unsigned char>(data[18]) |
         static_cast<unsigned char>(data[19]) << 8;
}

std::string machineName(unsigned machine) {
  switch (machine) {
  case 0:
    return "not a 64-bit little-endian ELF file";
  case 3:
    return "an i386 ELF file";
  case 40:
    return "a 32-bit Arm ELF file";
  case 62:
    return "an x86_64 ELF file";
  case 183:
    return "an aarch64 ELF file";
  default:
    return "an ELF file for machine " + std::to_string(machine);
  }
}

Failure checkMachine(const std::string &path, const std::string &data,
                     const Platform &platform) {
  unsigned want = std::strcmp(platform.arch, "aarch64") == 0 ? 183 : 62;
  unsigned got = elfMachine(data);
  if (got == want)
    return {};
  return badInput(inQuotes(path) + " is " + machineName(got) + ", but " +
                  platform.name + " runs " + platform.arch + " code");
}

// The artifact's own files, as deepseek-convert wrote them: the library,
// its header and report, and the PTX or weight files some targets add.
// Anything else in the directory is not part of the artifact.
Failure listArtifactFiles(const std::string &modelDir,
                          std::vector<std::string> &names) {
  DIR *dir = ::opendir(modelDir.c_str());
  if (!dir)
    return badInput("cannot read " + inQuotes(modelDir) + ": " +
                    std::strerror(errno));
  auto endsWith = [](const std::string &s, const char *suffix) {
    size_t n = std::strlen(suffix);
    return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
  };
  while (struct dirent *entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    bool wanted = name == "model.so" || name == "model.h" ||
                  name == "report.json" || endsWith(name, ".ptx") ||
                  endsWith(name, ".dsm");
    if (wanted && isRegularFile(modelDir + "/" + name))
      names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return {};
}

std::string sha256Hex(const std::string &data) {
  std::array<uint8_t, 32> digest = llvm::SHA256::hash(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(data.data()), data.size()));
  return llvm::toHex(digest, /*LowerCase=*/true);
}

void writeTensors(llvm::json::OStream &json, const char *key,
                  const std::vector<TensorDesc> &tensors) {
  json.attributeArray(key, [&] {
    for (const TensorDesc &t : tensors)
      json.object([&] {
        json.attribute("name", t.name);
        json.attribute("dtype", ds::package::dtypeName(t.dtype));
        json.attribute("onnx_dtype", t.dtype);
        json.attributeArray("shape", [&] {
          for (int64_t d : t.shape)
            json.value(d);
        });
      });
  });
}

struct PackageFile {
  std::string path; // relative to the package's top-level directory
  std::string data;
  unsigned mode = 0644;
};

std::string manifestText(const std::string &name, const Platform &platform,
                         const Report &report,
                         const std::vector<std::string> &cpuFeatures,
                         const std::vector<PackageFile> &files) {
  auto nullable = [](const std::string &s) {
    return s.empty() ? llvm::json::Value(nullptr) : llvm::json::Value(s);
  };
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream json(os, 2);
  json.object([&] {
    json.attribute("format", "deepseek-package");
    json.attribute("format_version", 1);
    json.attribute("name", name);
    json.attribute("platform", platform.name);
    json.attribute("platform_description", platform.description);
    json.attribute("arch", platform.arch);
    json.attribute("target", report.target.target);
    json.attribute("cpu", report.target.cpu);
    json.attribute("platform_cpu", platform.cpu);
    json.attributeArray("cpu_features", [&] {
      for (const std::string &f : cpuFeatures)
        json.value(f);
    });
    json.attribute("gpu", nullable(report.target.gpu));
    json.attribute("platform_gpu", nullable(platform.gpu));
    json.attribute("precision", report.precision);
    json.attribute("artifact",
                   std::string(ds::package::kModelDir) + "/" + report.artifact);
    writeTensors(json, "inputs", report.inputs);
    writeTensors(json, "outputs", report.outputs);
    // Every other file of the package; the manifest cannot hash itself.
    json.attributeArray("files", [&] {
      for (const PackageFile &f : files)
        json.object([&] {
          json.attribute("path", f.path);
          json.attribute("size", static_cast<int64_t>(f.data.size()));
          json.attribute("sha256", sha256Hex(f.data));
        });
    });
  });
  os << "\n";
  return text;
}

// The artifact's files under model/, the runtime, its header, the example
// and its Makefile: everything but the README and the manifest, which
// describe these.
Failure collectFiles(const std::string &modelDir, const Platform &platform,
                     const std::string &runtimePath,
                     std::vector<PackageFile> &files) {
  std::vector<std::string> artifactFiles;
  if (Failure f = listArtifactFiles(modelDir, artifactFiles))
    return f;
  for (const std::string &name : artifactFiles) {
    PackageFile file{std::string(ds::package::kModelDir) + "/" + name, "",
                     name == "model.so" ? 0755u : 0644u};
    if (Failure f = readFile(modelDir + "/" + name, file.data))
      return f;
    if (name == "model.so")
      if (Failure f = checkMachine(modelDir + "/" + name, file.data, platform))
        return f;
    files.push_back(std::move(file));
  }
  PackageFile runtime{ds::package::kRuntimeLibrary, "", 0755};
  if (Failure f = readFile(runtimePath, runtime.data))
    return f;
  if (Failure f = checkMachine(runtimePath, runtime.data, platform))
    return f;
  files.push_back(std::move(runtime));
  PackageFile header{ds::package::kRuntimeHeader, "", 0644};
  if (Failure f = readFile(DS_RUNTIME_HEADER, header.data))
    return f;
  files.push_back(std::move(header));
  files.push_back({ds::package::kExample, ds::package::exampleSource(), 0644});
  files.push_back({ds::package::kMakefile, ds::package::makefileText(), 0644});
  return {};
}

Failure package(const Options &opts) {
  const Platform *platform = ds::support::findPlatform(opts.platform);
  if (!platform)
    return badInput("unknown platform '" + opts.platform +
                    "' (known: " + ds::support::platformNames() + ")");

  // The output first: refusing after all the reading would waste it.
  struct stat st;
  if (::stat(opts.output.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return badInput(inQuotes(opts.output) +
                      " is a directory; --output takes a file name");
    if (!opts.force)
      return badInput(inQuotes(opts.output) +
                      " exists; pass --force to replace it");
  }

  std::string modelDir = stripTrailingSlashes(opts.model);
  if (::stat(modelDir.c_str(), &st) != 0)
    return badInput("artifact directory " + inQuotes(modelDir) +
                    " does not exist");
  if (!S_ISDIR(st.st_mode))
    return badInput(inQuotes(modelDir) +
                    " is not a directory: --model takes the directory "
                    "deepseek-convert --output wrote");
  Report report;
  if (Failure f = readReport(modelDir, report))
    return f;
  if (report.artifact != "model.so")
    return badInput(inQuotes(modelDir) + " holds " + report.artifact +
                    ", not a shared library: a package needs model.so "
                    "(deepseek-convert --emit lib, the default)");
  for (const char *required : {"model.so", "model.h"}) {
    std::string path = modelDir + "/" + required;
    if (!isRegularFile(path))
      return badInput(inQuotes(path) + " is missing");
  }

  std::vector<std::string> cpuFeatures;
  std::string why = ds::support::checkCompatible(
      *platform, report.target, ds::package::lookupCpuFeatures, &cpuFeatures);
  if (!why.empty())
    return badInput(inQuotes(modelDir) + " cannot run on " + platform->name +
                    ": " + why);

  std::string runtimePath = runtimeLibraryPath(*platform);
  if (!isRegularFile(runtimePath))
    return badInput(std::string("no ") + platform->arch +
                    " runtime-stub in this build (" + inQuotes(runtimePath) +
                    " does not exist): cannot package for " + platform->name);
  if (!isRegularFile(DS_RUNTIME_HEADER))
    return {kExitInternal, std::string("the runtime header ") +
                               inQuotes(DS_RUNTIME_HEADER) + " is missing"};

  std::vector<PackageFile> files;
  if (Failure f = collectFiles(modelDir, *platform, runtimePath, files))
    return f;

  std::string name = packageName(modelDir, *platform);
  std::vector<std::string> paths;
  for (const PackageFile &f : files)
    paths.push_back(f.path);
  paths.push_back(ds::package::kReadme);
  paths.push_back(ds::package::kManifest);
  std::sort(paths.begin(), paths.end());
  files.push_back({ds::package::kReadme,
                   ds::package::readmeText(name, *platform, report.target,
                                           paths, report.outputs),
                   0644});
  std::sort(files.begin(), files.end(),
            [](const PackageFile &a, const PackageFile &b) {
              return a.path < b.path;
            });
  std::string manifest =
      manifestText(name, *platform, report, cpuFeatures, files);

  ds::package::TarGzWriter tar;
  tar.addDirectory(name);
  for (const char *dir : {"include", "lib", ds::package::kModelDir})
    tar.addDirectory(name + "/" + dir);
  size_t payload = manifest.size();
  for (PackageFile &f : files) {
    payload += f.data.size();
    tar.addFile(name + "/" + f.path, std::move(f.data), f.mode);
  }
  tar.addFile(name + "/" + ds::package::kManifest, std::move(manifest), 0644);
  std::string archive, error;
  if (!tar.write(archive, error))
    return {kExitInternal, inQuotes(opts.output) + ": " + error};
  if (!ds::support::writeFileAtomically(opts.output, archive.data(),
                                        archive.size(), error))
    return badInput("cannot write " + inQuotes(opts.output) + ": " + error);
  std::printf("wrote %s: %s/ for %s, %zu files, %zu bytes (%zu compressed)\n",
              inQuotes(opts.output).c_str(), name.c_str(), platform->name,
              files.size() + 1, payload, archive.size());
  return {};
}

std::string helpFooter() {
  std::string text =
      "\nExample:\n"
      "  deepseek-convert --input model.onnx --output out/resnet --cpu "
      "haswell\n"
      "  deepseek-package --model out/resnet --output resnet-x86-avx2.tar.gz "
      "--platform x86-avx2\n"
      "\nPlatforms (and the deepseek-convert flags that compile for them):\n";
  for (const Platform &p : ds::support::platforms()) {
    text += std::string("  ") + p.name +
            std::string(14 - std::strlen(p.name), ' ') + p.description + "\n" +
            std::string(16, ' ') + ds::support::convertFlags(p);
    if (!isRegularFile(runtimeLibraryPath(p)))
      text += std::string("  (no ") + p.arch + " runtime-stub in this build)";
    text += "\n";
  }
  text += "\nExit status: 0 ok, 1 internal error, 2 bad input (a missing or "
          "incomplete\nartifact, an unknown platform, an artifact the "
          "platform cannot run, an\nunwritable or existing output). On "
          "failure no output file is written.\n";
  return text;
}

} // namespace

int main(int argc, char **argv) {
  auto logger = spdlog::stderr_logger_st("deepseek-package");
  logger->set_pattern("%n: %l: %v");
  spdlog::set_default_logger(logger);

  Options opts;
  CLI::App app{"Bundles a deepseek-convert artifact directory into one "
               "reproducible .tar.gz for a platform: the model, the runtime "
               "library and header, a C example with a Makefile, a README and "
               "a manifest with the SHA-256 of every file.",
               "deepseek-package"};
  app.add_option("--model,-m", opts.model,
                 "Artifact directory written by deepseek-convert --output")
      ->required();
  app.add_option("--output,-o", opts.output, "The .tar.gz file to write")
      ->required();
  app.add_option("--platform,-p", opts.platform,
                 "Platform preset (listed below)")
      ->required();
  app.add_flag("--force,-f", opts.force, "Replace an existing output file");
  app.set_version_flag("--version",
                       ds::support::versionText("deepseek-package"));
  app.footer(helpFooter());

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    // --help is reported as a "successful" parse error.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
      return app.exit(e);
    spdlog::error("{}", e.what());
    return kExitBadInput;
  }
  if (Failure f = package(opts)) {
    spdlog::error("{}", f.message);
    return f.code;
  }
  return kExitOk;
}
