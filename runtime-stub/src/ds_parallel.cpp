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
// A new worker starts on a CPU other than its creator's and is let loose
// at its first loop: two busy threads that start on one CPU stay there
// until the scheduler balances them, milliseconds later, and a short-lived
// process runs its loops one after the other until then (measured on the
// batch-1 MLP in 20-run processes: 0.32 ms a run instead of 0.10).
//
//===----------------------------------------------------------------------===//

#include "ds_parallel.h"

#include <atomic>
#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#endif
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
        startAwayFromCaller(workers.back(), index);
      }
      job = {begin, end, task, ctx, parts};
      pending.store(parts - 1, std::memory_order_relaxed);
      generation.fetch_add(1, std::memory_order_release);
    }
    wake.notify_all();
    runChunk(job, 0);
    // A model runs many short loops back to back: spin a little before
    // sleeping, as the workers do, so a wake-up costs no system call.
    for (int spin = 0; spin < kSpins; ++spin)
      if (pending.load(std::memory_order_acquire) == 0)
        return;
      else
        pause(spin);
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [this] {
      return pending.load(std::memory_order_acquire) == 0;
    });
  }

private:
  struct Job {
    int64_t begin = 0, end = 0;
    Task task = nullptr;
    void *ctx = nullptr;
    int parts = 0;
  };

  // Waits spin this many rounds before sleeping: a few microseconds of
  // pause instructions, then yields. Yielding matters when the machine has
  // fewer free cores than threads: a waiter that only spins can burn its
  // whole time slice while the thread it waits for is not running.
  static constexpr int kSpins = 20000, kPauses = 1000;

  static void pause(int round) {
    if (round >= kPauses) {
      std::this_thread::yield();
      return;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  /// Restricts worker `index` to one allowed CPU other than the calling
  /// thread's (the index-th such, cycling), when there is one.
  void startAwayFromCaller(std::thread &worker, int index) {
#ifdef __linux__
    allowedKnown = sched_getaffinity(0, sizeof(allowed), &allowed) == 0;
    if (!allowedKnown)
      return;
    int here = sched_getcpu();
    std::vector<int> others;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &allowed) && cpu != here)
        others.push_back(cpu);
    if (others.empty())
      return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(others[(index - 1) % others.size()], &one);
    pthread_setaffinity_np(worker.native_handle(), sizeof(one), &one);
#else
    (void)worker;
    (void)index;
#endif
  }

  /// Gives the calling worker back every CPU its creator may use.
  void letLoose() {
#ifdef __linux__
    std::lock_guard<std::mutex> lock(mutex);
    if (allowedKnown)
      pthread_setaffinity_np(pthread_self(), sizeof(allowed), &allowed);
#endif
  }

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
    bool loose = false;
    for (;;) {
      // Spin for the next loop, then sleep until it comes.
      for (int spin = 0; spin < kSpins &&
                         generation.load(std::memory_order_acquire) == seen;
           ++spin)
        pause(spin);
      Job mine;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] {
          return generation.load(std::memory_order_acquire) != seen;
        });
        seen = generation.load(std::memory_order_acquire);
        mine = job;
      }
      if (!loose) {
        letLoose();
        loose = true;
      }
      if (index >= mine.parts)
        continue;
      runChunk(mine, index);
      if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        // Take the lock so the notification cannot fall between the
        // caller's check and its wait.
        std::lock_guard<std::mutex> lock(mutex);
        done.notify_one();
      }
    }
  }

  std::mutex ownerMutex; // one parallel loop at a time uses the workers
  std::mutex mutex;
  std::condition_variable wake, done;
  std::vector<std::thread> workers;
  Job job;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
#ifdef __linux__
  cpu_set_t allowed; // the creator's CPUs when the workers were started
  bool allowedKnown = false;
#endif
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
