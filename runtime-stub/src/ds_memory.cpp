//===- ds_memory.cpp - scratch memory for running artifacts ---------------===//
//
// Artifacts allocate their intermediate buffers through the generic
// allocation functions MLIR's memref lowering calls (use-generic-functions),
// which the runtime exports. Every run asks for the same sizes, so freed
// blocks are kept per size and handed out again: without this, glibc maps
// and unmaps each large buffer per run and the page faults of touching it
// afresh cost a quarter of a ResNet's run time.
//
// The blocks are kept per thread: a thread-pool task's scratch buffers then
// come back to the core that last wrote them. Shared, they went to
// whichever thread asked next, and on a Zen 5 server (two cores of a VM)
// every run moved megabytes between the cores' caches: a Winograd 3x3
// convolution of 64 channels at 56x56 took 1.2 ms on two threads, 1.0 on
// one; 0.64 with caches per thread. A thread's blocks stay with it until it
// exits or the last model is freed (kMaxCachedBytes bounds them all).
//
//===----------------------------------------------------------------------===//

#include "ds_memory.h"

#include <algorithm>
#include <atomic>
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
// Cached blocks above this total, over all threads, are really freed.
constexpr size_t kMaxCachedBytes = size_t(2) << 30;

std::atomic<size_t> cachedBytes{0};

/// One thread's freed blocks by size. Its mutex is uncontended but for
/// ds_release_cached_memory, which empties every thread's.
struct ThreadCache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void *>> free;

  void release() {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto &entry : free)
      for (void *block : entry.second) {
        cachedBytes -= *static_cast<size_t *>(block);
        std::free(block);
      }
    free.clear();
  }
};

struct Registry {
  std::mutex mutex;
  std::vector<ThreadCache *> caches;
};

Registry &registry() {
  static Registry *instance = new Registry; // outlives static dtors
  return *instance;
}

// Plain thread-locals stay readable while the thread exits, so a buffer
// freed after its cache is gone (a static destructor running a model) is
// simply freed.
thread_local ThreadCache *threadCache = nullptr;
thread_local bool threadExiting = false;

/// Frees the thread's blocks when it exits.
struct ThreadCacheOwner {
  ~ThreadCacheOwner() {
    threadExiting = true;
    if (!threadCache)
      return;
    {
      Registry &r = registry();
      std::lock_guard<std::mutex> lock(r.mutex);
      r.caches.erase(std::remove(r.caches.begin(), r.caches.end(), threadCache),
                     r.caches.end());
    }
    threadCache->release();
    delete threadCache;
    threadCache = nullptr;
  }
};
thread_local ThreadCacheOwner threadCacheOwner;

ThreadCache *cacheOfThisThread() {
  if (threadCache || threadExiting)
    return threadCache;
  (void)&threadCacheOwner; // constructs it, so that it runs at exit
  threadCache = new ThreadCache;
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.caches.push_back(threadCache);
  return threadCache;
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
  if (ThreadCache *c = cacheOfThisThread()) {
    std::lock_guard<std::mutex> lock(c->mutex);
    auto it = c->free.find(size);
    if (it != c->free.end() && !it->second.empty()) {
      block = it->second.back();
      it->second.pop_back();
      cachedBytes -= size;
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
  ThreadCache *c = cacheOfThisThread();
  if (c && cachedBytes.fetch_add(size) + size <= kMaxCachedBytes) {
    std::lock_guard<std::mutex> lock(c->mutex);
    c->free[size].push_back(block);
    return;
  }
  if (c)
    cachedBytes -= size;
  std::free(block);
}

} // namespace

void ds_release_cached_memory() {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (ThreadCache *c : r.caches)
    c->release();
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
