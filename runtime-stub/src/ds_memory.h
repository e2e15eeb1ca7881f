//===- ds_memory.h - scratch memory for running artifacts -------*- C++ -*-===//
#ifndef DS_RUNTIME_MEMORY_H
#define DS_RUNTIME_MEMORY_H

/// Frees the blocks kept for reuse; called when the last model is freed.
void ds_release_cached_memory();

#endif
