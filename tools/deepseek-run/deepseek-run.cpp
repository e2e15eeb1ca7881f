//===- deepseek-run.cpp - Run a compiled artifact on tensor files ---------===//
//
// Loads an artifact through ds_runtime, feeds it input_<i>.pb files, writes
// and/or checks output_<i>.pb files and optionally times repeated runs. An
// aarch64 artifact on an x86-64 host runs in ds-exec under qemu-aarch64.
// Exit codes: 0 ok, 1 output mismatch, 2 usage, input or load failure.
//
//===----------------------------------------------------------------------===//

#include "compiler/Support/TensorFile.h"
#include "compiler/Support/Version.h"

#include "ds_runtime.h"
#include "runtime-stub/exec/ds_exec.h"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>

namespace {

using ds::support::Tensor;

constexpr int kExitOk = 0;
constexpr int kExitMismatch = 1;
constexpr int kExitFailure = 2;

struct Options {
  std::string artifact;
  std::string inputsDir;
  std::string outputsDir;
  std::string expectedDir;
  double rtol = 1e-3;
  double atol = 1e-5;
  int bench = 0;
  int warmup = 1;
  int threads = 1;
};

int fail(const std::string &message) {
  spdlog::error("{}", message);
  return kExitFailure;
}

std::string tensorFile(const std::string &dir, const char *kind, size_t i) {
  return dir + "/" + kind + "_" + std::to_string(i) + ".pb";
}

bool isDirectory(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/// What a model takes or produces, as compiled (-1: a dynamic dim).
struct TensorSpec {
  std::string name;
  int32_t dtype = 0;
  std::vector<int64_t> shape;
};

/// Moves the tensors' data between deepseek-run's files and the runner.
std::vector<ds::exec::RawTensor> toRaw(std::vector<Tensor> &tensors) {
  std::vector<ds::exec::RawTensor> raw;
  for (Tensor &t : tensors)
    raw.push_back({t.dtype, t.shape, std::move(t.data)});
  tensors.clear();
  return raw;
}
std::vector<Tensor> fromRaw(std::vector<ds::exec::RawTensor> &raw) {
  std::vector<Tensor> tensors(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    tensors[i].dtype = raw[i].dtype;
    tensors[i].shape = std::move(raw[i].shape);
    tensors[i].data = std::move(raw[i].data);
  }
  return tensors;
}

/// Runs an artifact: in this process, or, for another architecture, in
/// ds-exec under an emulator. Inputs and outputs are whole tensors.
class Executor {
public:
  virtual ~Executor() = default;
  std::vector<TensorSpec> inputs, outputs;
  /// Runs once on `in` (already checked against `inputs`) and fills `out`
  /// with the outputs' shapes found and data; then, with opts.bench > 0,
  /// times that many runs into `latencies`.
  virtual bool run(std::vector<Tensor> &in, const Options &opts,
                   std::vector<Tensor> &out, std::vector<double> &latencies,
                   std::string &error) = 0;
};

class InProcessExecutor final : public Executor {
public:
  bool load(const std::string &artifact, std::string &error) {
    char loadError[1024] = "";
    model.reset(ds_model_load(artifact.c_str(), loadError, sizeof(loadError)));
    if (!model) {
      error = loadError;
      return false;
    }
    this->artifact = artifact;
    auto spec = [](const ds_tensor_info &info) {
      return TensorSpec{
          info.name, info.dtype,
          std::vector<int64_t>(info.shape, info.shape + info.rank)};
    };
    for (size_t i = 0; i < ds_model_num_inputs(model.get()); ++i)
      inputs.push_back(spec(*ds_model_input(model.get(), i)));
    for (size_t i = 0; i < ds_model_num_outputs(model.get()); ++i)
      outputs.push_back(spec(*ds_model_output(model.get(), i)));
    return true;
  }

  bool run(std::vector<Tensor> &in, const Options &opts,
           std::vector<Tensor> &out, std::vector<double> &latencies,
           std::string &error) override {
    ds_model_set_num_threads(model.get(), opts.threads);
    std::vector<ds::exec::RawTensor> raw = toRaw(in);
    std::vector<ds::exec::RawTensor> results;
    if (!ds::exec::runModel(model.get(), artifact, raw, opts.bench, opts.warmup,
                            results, latencies, error))
      return false;
    out = fromRaw(results);
    return true;
  }

private:
  std::string artifact;
  std::unique_ptr<ds_model, void (*)(ds_model *)> model{nullptr, ds_model_free};
};

/// The ELF machine (EM_*) of the artifact's model.so, 0 when unreadable.
unsigned artifactMachine(const std::string &artifact) {
  std::string library =
      isDirectory(artifact) ? artifact + "/model.so" : artifact;
  std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen(library.c_str(), "rb"),
                                           std::fclose);
  unsigned char header[20];
  if (!f || std::fread(header, 1, sizeof(header), f.get()) != sizeof(header) ||
      std::memcmp(header, "\177ELF", 4) != 0)
    return 0;
  return header[18] | header[19] << 8; // e_machine, little-endian
}

constexpr unsigned kMachineAArch64 = 183; // EM_AARCH64
#if defined(__aarch64__)
constexpr unsigned kHostMachine = kMachineAArch64;
#else
constexpr unsigned kHostMachine = 62; // EM_X86_64
#endif

/// ds-exec for aarch64 under qemu-aarch64: the runner and runtime built for
/// aarch64 sit in lib/aarch64-linux-gnu/ beside this tool's bin/.
class EmulatedExecutor final : public Executor {
public:
  bool load(const std::string &artifact, std::string &error) {
    this->artifact = artifact;
    std::error_code ec;
    std::filesystem::path self =
        std::filesystem::read_symlink("/proc/self/exe", ec);
    runner = (self.parent_path().parent_path() / "lib" / "aarch64-linux-gnu" /
              "ds-exec")
                 .string();
    if (ec || ::access(runner.c_str(), X_OK) != 0) {
      error = "'" + artifact +
              "' is an aarch64 artifact, and this build has no aarch64 "
              "runner (" +
              runner + "): build with Debian's g++-aarch64-linux-gnu installed";
      return false;
    }
    emulator = findProgram("qemu-aarch64");
    if (emulator.empty()) {
      error = "'" + artifact +
              "' is an aarch64 artifact: running it here needs qemu-aarch64 "
              "(Debian: qemu-user)";
      return false;
    }
    std::string listing;
    if (!execute({"describe", artifact}, &listing, error))
      return false;
    for (const std::string &line : splitLines(listing)) {
      // "input|output DTYPE RANK DIMS... NAME"
      std::istringstream fields(line);
      std::string kind;
      TensorSpec spec;
      int rank = -1;
      fields >> kind >> spec.dtype >> rank;
      for (int d = 0; d < rank && fields; ++d) {
        int64_t dim;
        fields >> dim;
        spec.shape.push_back(dim);
      }
      fields.get();
      std::getline(fields, spec.name);
      if (!fields.eof() || rank < 0 ||
          spec.shape.size() != static_cast<size_t>(rank) ||
          (kind != "input" && kind != "output")) {
        error = "the aarch64 runner described '" + artifact +
                "' unreadably: '" + line + "'";
        return false;
      }
      (kind == "input" ? inputs : outputs).push_back(std::move(spec));
    }
    return true;
  }

  bool run(std::vector<Tensor> &in, const Options &opts,
           std::vector<Tensor> &out, std::vector<double> &latencies,
           std::string &error) override {
    std::string dir = makeTempDir();
    if (dir.empty()) {
      error = "cannot create a temporary directory";
      return false;
    }
    struct Cleanup {
      std::string dir;
      ~Cleanup() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
    } cleanup{dir};
    std::vector<ds::exec::RawTensor> raw = toRaw(in);
    for (size_t i = 0; i < raw.size(); ++i)
      if (!ds::exec::writeRawTensor(ds::exec::tensorPath(dir, "input", i),
                                    raw[i])) {
        error = "cannot write the inputs to " + dir;
        return false;
      }
    std::string printed;
    if (!execute({"run", artifact, dir, std::to_string(opts.threads),
                  std::to_string(opts.bench), std::to_string(opts.warmup)},
                 &printed, error))
      return false;
    std::vector<ds::exec::RawTensor> results(outputs.size());
    for (size_t i = 0; i < results.size(); ++i)
      if (!ds::exec::readRawTensor(ds::exec::tensorPath(dir, "output", i),
                                   ds_dtype_size, results[i])) {
        error =
            "the aarch64 runner left no readable output " + std::to_string(i);
        return false;
      }
    out = fromRaw(results);
    for (const std::string &line : splitLines(printed))
      if (line.rfind("latency_ms ", 0) == 0)
        latencies.push_back(std::strtod(line.c_str() + 11, nullptr));
    return true;
  }

private:
  std::string artifact, runner, emulator;

  /// `name` on $PATH, "" when absent.
  static std::string findProgram(const char *name) {
    const char *path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
      std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0)
        return candidate;
    }
    return "";
  }

  static std::vector<std::string> splitLines(const std::string &text) {
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);)
      if (!line.empty())
        lines.push_back(line);
    return lines;
  }

  static std::string makeTempDir() {
    std::error_code ec;
    std::filesystem::path tmp = std::filesystem::temp_directory_path(ec);
    std::string base =
        (ec ? std::string("/tmp") : tmp.string()) + "/deepseek-run-XXXXXX";
    std::vector<char> name(base.begin(), base.end());
    name.push_back('\0');
    return ::mkdtemp(name.data()) ? std::string(name.data()) : std::string();
  }

  /// Runs `qemu-aarch64 ds-exec ARGS...`, its stdout into `printed`; its
  /// stderr (the reason when it fails) goes to ours.
  bool execute(const std::vector<std::string> &args, std::string *printed,
               std::string &error) {
    int pipeFds[2];
    if (::pipe(pipeFds) != 0) {
      error = "cannot start the aarch64 runner: pipe failed";
      return false;
    }
    std::vector<std::string> argv = {emulator, "-L", "/usr/aarch64-linux-gnu",
                                     runner};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char *> cargv;
    for (std::string &a : argv)
      cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::fflush(stdout);
    pid_t pid = ::fork();
    if (pid == 0) {
      // The emulator goes when deepseek-run does.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(pipeFds[1], STDOUT_FILENO);
      ::close(pipeFds[0]);
      ::close(pipeFds[1]);
      ::execv(cargv[0], cargv.data());
      std::_Exit(127);
    }
    ::close(pipeFds[1]);
    if (pid < 0) {
      ::close(pipeFds[0]);
      error = "cannot start the aarch64 runner: fork failed";
      return false;
    }
    char chunk[4096];
    for (ssize_t n; (n = ::read(pipeFds[0], chunk, sizeof(chunk))) != 0;) {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      printed->append(chunk, static_cast<size_t>(n));
    }
    ::close(pipeFds[0]);
    int status = 0;
    pid_t waited;
    while ((waited = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    if (waited < 0) {
      error = "'" + artifact + "': lost track of the aarch64 runner (" +
              std::strerror(errno) + ")";
      return false;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
      return true;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
      error = "'" + artifact + "': the aarch64 runner did not start (" +
              emulator + " " + runner +
              ": exit 127; are the aarch64 C and C++ libraries in "
              "/usr/aarch64-linux-gnu?)";
      return false;
    }
    error = "'" + artifact + "': the aarch64 runner (" + runner + " under " +
            emulator + ") failed" +
            (WIFEXITED(status)
                 ? " with exit status " + std::to_string(WEXITSTATUS(status))
                 : std::string(" on a signal"));
    return false;
  }
};

// numpy has no bfloat16, so ONNX's own test data stores bfloat16 tensors as
// uint16 bit patterns; accept them as what the model declares.
void adoptBFloat16Bits(Tensor &tensor, int32_t modelDtype) {
  if (modelDtype == DS_BFLOAT16 && tensor.dtype == DS_UINT16)
    tensor.dtype = DS_BFLOAT16;
}

// Reads input_<i>.pb and checks it against what the model declares (a
// dynamic dim takes any size; the sizes are bound afterwards).
bool readInput(const Options &opts, const TensorSpec &spec, size_t i,
               Tensor &tensor, std::string &error) {
  std::string path = tensorFile(opts.inputsDir, "input", i);
  if (!ds::support::readTensorFile(path, tensor, error))
    return false;
  const std::vector<int64_t> &shape = spec.shape;
  adoptBFloat16Bits(tensor, spec.dtype);
  bool fits = tensor.dtype == spec.dtype && tensor.shape.size() == shape.size();
  for (size_t d = 0; fits && d < shape.size(); ++d)
    fits = shape[d] < 0 || shape[d] == tensor.shape[d];
  if (!fits) {
    error = "'" + path + "': input " + std::to_string(i) + " '" + spec.name +
            "' expects " + ds::support::formatType(spec.dtype, shape) +
            ", got " + ds::support::formatType(tensor.dtype, tensor.shape);
    return false;
  }
  return true;
}

void printLatency(std::vector<double> &ms) {
  std::sort(ms.begin(), ms.end());
  size_t n = ms.size();
  double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  std::printf("latency_ms min=%.6g median=%.6g max=%.6g runs=%zu\n",
              ms.front(), median, ms.back(), n);
}

int runArtifact(const Options &opts) {
  std::unique_ptr<Executor> executor;
  std::string error;
  unsigned machine = artifactMachine(opts.artifact);
  if (machine == kMachineAArch64 && kHostMachine != kMachineAArch64) {
    auto emulated = std::make_unique<EmulatedExecutor>();
    if (!emulated->load(opts.artifact, error))
      return fail(error);
    executor = std::move(emulated);
  } else {
    auto local = std::make_unique<InProcessExecutor>();
    if (!local->load(opts.artifact, error))
      return fail(error);
    executor = std::move(local);
  }
  size_t numInputs = executor->inputs.size();
  size_t numOutputs = executor->outputs.size();

  if (numInputs > 0) {
    if (opts.inputsDir.empty())
      return fail("the model takes " + std::to_string(numInputs) +
                  " input(s): pass --inputs DIR");
    if (!isDirectory(opts.inputsDir))
      return fail("inputs directory '" + opts.inputsDir + "' does not exist");
  }
  std::vector<Tensor> inputTensors(numInputs);
  for (size_t i = 0; i < numInputs; ++i)
    if (!readInput(opts, executor->inputs[i], i, inputTensors[i], error))
      return fail(error);
  if (!opts.inputsDir.empty()) {
    std::string extra = tensorFile(opts.inputsDir, "input", numInputs);
    if (::access(extra.c_str(), F_OK) == 0)
      spdlog::warn("ignoring '{}': the model takes {} input(s)", extra,
                   numInputs);
  }

  std::vector<Tensor> outputs;
  std::vector<double> latencies;
  if (!executor->run(inputTensors, opts, outputs, latencies, error))
    return fail(error);

  if (!opts.outputsDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(opts.outputsDir, ec);
    if (ec)
      return fail("cannot create outputs directory '" + opts.outputsDir +
                  "': " + ec.message());
  }
  bool mismatch = false;
  for (size_t i = 0; i < numOutputs; ++i) {
    const TensorSpec &spec = executor->outputs[i];
    Tensor &actual = outputs[i];
    actual.name = spec.name;
    if (!opts.outputsDir.empty() &&
        !ds::support::writeTensorFile(tensorFile(opts.outputsDir, "output", i),
                                      actual, error))
      return fail(error);
    if (opts.expectedDir.empty()) {
      std::printf("output %zu '%s': %s\n", i, spec.name.c_str(),
                  ds::support::formatType(spec.dtype, actual.shape).c_str());
      continue;
    }
    Tensor expected;
    if (!ds::support::readTensorFile(
            tensorFile(opts.expectedDir, "output", i), expected, error))
      return fail(error);
    adoptBFloat16Bits(expected, spec.dtype);
    ds::support::CompareResult cmp =
        ds::support::compareTensors(actual, expected, opts.rtol, opts.atol);
    if (cmp.ok) {
      std::printf("output %zu '%s': ok (max |diff| %.3g)\n", i,
                  spec.name.c_str(), cmp.worstError);
    } else {
      std::printf("%s\n", cmp.message.c_str());
      mismatch = true;
    }
  }
  if (!latencies.empty())
    printLatency(latencies);
  std::fflush(stdout);
  return mismatch ? kExitMismatch : kExitOk;
}

} // namespace

int main(int argc, char **argv) {
  auto logger = spdlog::stderr_logger_st("deepseek-run");
  logger->set_pattern("%n: %l: %v");
  spdlog::set_default_logger(logger);

  Options opts;
  CLI::App app{"Runs a deepseek-convert artifact on ONNX tensor files "
               "(input_<i>.pb), writes or checks its outputs (output_<i>.pb) "
               "and optionally benchmarks it.\n"
               "Exit status: 0 ok, 1 output mismatch, 2 usage, input or load "
               "error.",
               "deepseek-run"};
  app.add_option("artifact", opts.artifact,
                 "Artifact directory (holding model.so) or the model.so itself")
      ->required();
  app.add_option("--inputs", opts.inputsDir,
                 "Directory with input_<i>.pb, one per model input");
  app.add_option("--outputs", opts.outputsDir,
                 "Write output_<i>.pb files here (created if missing)");
  app.add_option("--expected", opts.expectedDir,
                 "Compare with output_<i>.pb files in this directory");
  app.add_option("--rtol", opts.rtol, "Relative tolerance for float outputs")
      ->capture_default_str();
  app.add_option("--atol", opts.atol, "Absolute tolerance for float outputs")
      ->capture_default_str();
  CLI::Option *bench =
      app.add_option("--bench", opts.bench,
                     "Time N runs and print latency_ms min/median/max")
          ->check(CLI::Range(1, INT_MAX));
  app.add_option("--warmup", opts.warmup, "Untimed runs before --bench")
      ->capture_default_str()
      ->check(CLI::Range(0, INT_MAX))
      ->needs(bench);
  app.add_option("--threads", opts.threads,
                 "Threads the model's parallel loops may use (results do not "
                 "depend on it)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));

  app.set_version_flag("--version", ds::support::versionText("deepseek-run"));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    // --help is reported as a "successful" parse error.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
      return app.exit(e);
    return fail(e.what());
  }
  // Written so that NaN fails too.
  if (!(opts.rtol >= 0) || !(opts.atol >= 0))
    return fail("--rtol and --atol must be non-negative numbers");
  return runArtifact(opts);
}
