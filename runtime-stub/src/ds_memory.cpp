//===- ds_memory.cpp - scratch memory for running artifacts ---------------===//
//
// Artifacts allocate their intermediate buffers through the generic
// allocation functions MLIR's memref lowering calls (use-generic-functions),
// which the runtime exports. Every run asks for the same sizes, so freed
// blocks are kept per size and handed out again: without this, glibc maps
// and unmaps each large buffer per run and the page faults of touching it
// afresh cost a quarter of a ResNet's run time.
//
//===----------------------------------------------------------------------===//

#include "ds_memory.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace {

// Blocks start with this header, so that free knows the size. 64 bytes keeps
// the payload cache-line (and AVX-512) aligned.
constexpr size_t kHeaderBytes = 64;
// Cached blocks above this total are really freed.
constexpr size_t kMaxCachedBytes = size_t(2) << 30;

struct BlockCache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void *>> free;
  size_t cachedBytes = 0;
};

BlockCache &cache() {
  static BlockCache *instance = new BlockCache; // outlives static dtors
  return *instance;
}

// Every size is kept: handing small blocks back to malloc lets it trim its
// heap at the end of a run and fault the pages in again on the next one.
size_t roundedSize(size_t bytes) {
  size_t total = bytes + kHeaderBytes;
  size_t granule = total < 65536 ? 64 : 4096;
  return (total + granule - 1) & ~(granule - 1);
}

void *allocateBlock(size_t bytes) {
  size_t size = roundedSize(bytes);
  if (size < bytes) // overflow
    return nullptr;
  void *block = nullptr;
  {
    BlockCache &c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free.find(size);
    if (it != c.free.end() && !it->second.empty()) {
      block = it->second.back();
      it->second.pop_back();
      c.cachedBytes -= size;
    }
  }
  if (!block && posix_memalign(&block, kHeaderBytes, size) != 0)
    return nullptr;
  *static_cast<size_t *>(block) = size;
  return static_cast<char *>(block) + kHeaderBytes;
}

void freeBlock(void *payload) {
  if (!payload)
    return;
  void *block = static_cast<char *>(payload) - kHeaderBytes;
  size_t size = *static_cast<size_t *>(block);
  {
    BlockCache &c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.cachedBytes + size <= kMaxCachedBytes) {
      c.free[size].push_back(block);
      c.cachedBytes += size;
      return;
    }
  }
  std::free(block);
}

} // namespace

void ds_release_cached_memory() {
  BlockCache &c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto &entry : c.free)
    for (void *block : entry.second)
      std::free(block);
  c.free.clear();
  c.cachedBytes = 0;
}

extern "C" {
// The names MLIR's memref-to-LLVM lowering calls with use-generic-functions.
void *_mlir_memref_to_llvm_alloc(size_t bytes) { return allocateBlock(bytes); }

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  // Payloads are 64-byte aligned; larger alignments are not requested.
  return alignment <= kHeaderBytes ? allocateBlock(bytes) : nullptr;
}

void _mlir_memref_to_llvm_free(void *payload) { freeBlock(payload); }
}
