#!/usr/bin/env bash
# Sets up a fresh Debian bookworm machine for deepseek-convert: installs the
# Debian packages it needs, builds into build/ (tools in build/bin/), then
# compiles a real ONNX model from libonnx-testdata and runs it against the
# reference output. Safe to re-run: apt and the build are incremental.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${DS_BUILD_DIR:-$repo/build}

packages=(
  # Compiler infrastructure: LLVM/MLIR 19, shared libraries and TableGen.
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools llvm-19 libzstd-dev
  # Build tools; clang and its runtimes build the sanitizer and fuzzing
  # preset (the `sanitizers` test).
  cmake ninja-build g++ ccache clang-19 libclang-rt-19-dev
  # Model format and the libraries the tools use.
  libonnx-dev libprotobuf-dev protobuf-compiler libflatbuffers-dev
  flatbuffers-compiler libcli11-dev libspdlog-dev catch2
  # gzip streams for deepseek-package.
  zlib1g-dev
  # --target aarch64: linking artifacts, the cross-built runtime, and
  # running them under emulation (deepseek-run, the aarch64 conformance).
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user
  # Conformance data and the model generators used by tests.
  libonnx-testdata python3 python3-onnx python3-numpy
  # A test renders deepseek-profile's HTML page in headless Chromium.
  chromium
)
# Node.js and npm fetch ONNX Runtime for bench/run (onnxruntime-node). A
# machine that already has them (say from NodeSource, whose nodejs bundles
# npm and conflicts with Debian's npm package) keeps its own.
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

# bench/run compares against ONNX Runtime; its npm package ships the CPU
# library, so no install script needs to run.
(cd "$repo/bench" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

# Paths relative to the checkout let ccache reuse objects across clones.
export CCACHE_BASEDIR="$repo"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -G Ninja -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}"
ninja -C "$build"

# A real model, compiled to native code and checked against ONNX's reference.
data=/usr/include/onnx/backend/test/data/pytorch-converted/test_Conv2d
"$build/bin/deepseek-convert" --input "$data/model.onnx" --output "$build/demo/conv2d"
"$build/bin/deepseek-run" "$build/demo/conv2d" --inputs "$data/test_data_set_0" \
  --expected "$data/test_data_set_0"
echo "setup: done; tools are in $build/bin"
