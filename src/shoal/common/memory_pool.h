// The memory pool Shoal's engine allocates from.
#pragma once

#include <arrow/type_fwd.h>

namespace shoal {

/// Return the pool the engine's scans, kernels and operators allocate from,
/// chosen once per process: environment SHOAL_MEMORY_POOL = "jemalloc",
/// "system", "mimalloc" or "arrow" (Arrow's default_memory_pool(), itself set by
/// ARROW_DEFAULT_MEMORY_POOL); unset: jemalloc when this Arrow build has it, else
/// the system allocator. Arrow's default (mimalloc in the pyarrow wheels) keeps
/// freed pages per thread, which raised peak memory by about half on TPC-H SF1
/// and cost MERGE a second of system time (see ARCHITECTURE.md). An unknown name
/// falls back to the default with a warning on stderr.
arrow::MemoryPool* EngineMemoryPool();

}  // namespace shoal
