//===- ds_parallel.cpp - the thread pool generated code runs on -----------===//
//
// Artifacts call ds_parallel_for for each thread-level tile loop. Its range
// is split into one contiguous chunk per thread, the calling thread taking
// the first, so that each iteration always runs in the same order on one
// thread and results do not depend on the thread count. Workers are
// started on first use and kept; a loop started from inside a chunk (a
// nested parallel loop) or while another thread holds the pool runs on the
// calling thread.
//
//===----------------------------------------------------------------------===//

#include "ds_parallel.h"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using Task = void (*)(int64_t lo, int64_t hi, void *ctx);

thread_local int regionThreads = 1;
thread_local bool insideChunk = false;

class ThreadPool {
public:
  static ThreadPool &get() {
    static ThreadPool *pool = new ThreadPool; // workers outlive static dtors
    return *pool;
  }

  void run(int64_t begin, int64_t end, Task task, void *ctx, int threads) {
    int64_t count = end - begin;
    std::unique_lock<std::mutex> owner(ownerMutex, std::try_to_lock);
    if (threads <= 1 || count <= 1 || insideChunk || !owner.owns_lock()) {
      task(begin, end, ctx);
      return;
    }
    int parts = static_cast<int>(std::min<int64_t>(threads, count));
    {
      std::unique_lock<std::mutex> lock(mutex);
      while (static_cast<int>(workers.size()) < parts - 1) {
        int index = static_cast<int>(workers.size()) + 1;
        workers.emplace_back([this, index] { work(index); });
      }
      job = {begin, end, task, ctx, parts};
      pending = parts - 1;
      ++generation;
    }
    wake.notify_all();
    runChunk(job, 0);
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [this] { return pending == 0; });
  }

private:
  struct Job {
    int64_t begin = 0, end = 0;
    Task task = nullptr;
    void *ctx = nullptr;
    int parts = 0;
  };

  static void runChunk(const Job &j, int index) {
    int64_t count = j.end - j.begin;
    int64_t lo = j.begin + count * index / j.parts;
    int64_t hi = j.begin + count * (index + 1) / j.parts;
    insideChunk = true;
    if (lo < hi)
      j.task(lo, hi, j.ctx);
    insideChunk = false;
  }

  void work(int index) {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      wake.wait(lock, [&] { return generation != seen; });
      seen = generation;
      if (index >= job.parts)
        continue;
      Job mine = job;
      lock.unlock();
      runChunk(mine, index);
      lock.lock();
      if (--pending == 0)
        done.notify_one();
    }
  }

  std::mutex ownerMutex; // one parallel loop at a time uses the workers
  std::mutex mutex;
  std::condition_variable wake, done;
  std::vector<std::thread> workers;
  Job job;
  uint64_t generation = 0;
  int pending = 0;
};

} // namespace

ParallelRegionThreads::ParallelRegionThreads(int threads)
    : previous(regionThreads) {
  regionThreads = threads < 1 ? 1 : threads;
}

ParallelRegionThreads::~ParallelRegionThreads() { regionThreads = previous; }

extern "C" void ds_parallel_for(int64_t begin, int64_t end, Task task,
                                void *ctx) {
  ThreadPool::get().run(begin, end, task, ctx, regionThreads);
}
