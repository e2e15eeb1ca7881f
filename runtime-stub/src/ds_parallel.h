//===- ds_parallel.h - the thread pool generated code runs on ---*- C++ -*-===//
#ifndef DS_RUNTIME_PARALLEL_H
#define DS_RUNTIME_PARALLEL_H

/// Threads that parallel loops started on the calling thread may use, until
/// the returned guard goes away. ds_model_run sets it from the model.
class ParallelRegionThreads {
public:
  explicit ParallelRegionThreads(int threads);
  ~ParallelRegionThreads();

private:
  int previous;
};

#endif
