# lit configuration for deepseek-convert: dialect, pass, import, lowering and
# driver tests. Tools come from the build tree; FileCheck from LLVM 19.
import os

import lit.formats

config.name = "deepseek-convert"
config.test_format = lit.formats.ShTest(not lit_config.isWindows)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.ds_obj_root, "test")
config.excludes = ["unit", "conformance", "Inputs", "CMakeLists.txt",
                   "lit.cfg.py", "lit.site.cfg.py.in"]

config.environment["PATH"] = os.pathsep.join(
    [config.ds_tools_dir, config.llvm_tools_dir, os.environ.get("PATH", "")])
config.substitutions.append(("%onnx_data", config.onnx_test_data))
# The build tree under test (bin/ holds the tools).
config.substitutions.append(("%ds_build", config.ds_obj_root))
# The interpreter that has the onnx module, for model generators.
config.substitutions.append(("%python_onnx", "/usr/bin/python3"))
# MLIR's C runner library (vector.print), for tests run with mlir-cpu-runner.
config.substitutions.append(("%mlir_c_runner_utils", os.path.join(
    os.path.dirname(config.llvm_tools_dir), "lib", "libmlir_c_runner_utils.so")))

# NVIDIA's PTX assembler, where the CUDA toolkit is installed: GPU tests
# then assemble the PTX they emit. A CUDA driver means a GPU to run on.
import ctypes
import shutil
ptxas = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas"
    if os.access("/usr/local/cuda/bin/ptxas", os.X_OK) else None)
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
# (Loaded, not looked up: find_library also finds the toolkit's link-time
# stubs, which cannot run anything.)
try:
    ctypes.CDLL("libcuda.so.1")
    config.available_features.add("cuda-driver")
except OSError:
    pass

# --target aarch64 shared libraries are linked by the GNU cross compiler,
# which also built the aarch64 runtime and runner (lib/aarch64-linux-gnu/);
# they run under user-mode emulation.
aarch64_lib = os.path.join(config.ds_obj_root, "lib", "aarch64-linux-gnu")
if shutil.which("aarch64-linux-gnu-gcc") and os.path.exists(
        os.path.join(aarch64_lib, "libds_runtime.so")):
    config.available_features.add("aarch64-cross")
    if shutil.which("qemu-aarch64") and os.path.exists(
            os.path.join(aarch64_lib, "ds-exec")):
        config.available_features.add("qemu-aarch64")

# Headless Chromium renders deepseek-profile's HTML page.
if shutil.which("chromium"):
    config.available_features.add("chromium")

# bfloat16 arithmetic on the host CPU (for --precision bf16 on x86).
try:
    with open("/proc/cpuinfo") as cpuinfo:
        if "avx512_bf16" in cpuinfo.read():
            config.available_features.add("avx512bf16")
except OSError:
    pass
