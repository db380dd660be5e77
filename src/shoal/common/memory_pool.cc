#include "shoal/common/memory_pool.h"

#include <arrow/memory_pool.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace shoal {

namespace {

arrow::MemoryPool* Jemalloc() {
  arrow::MemoryPool* pool = nullptr;
  return arrow::jemalloc_memory_pool(&pool).ok() ? pool : nullptr;
}

arrow::MemoryPool* Mimalloc() {
  arrow::MemoryPool* pool = nullptr;
  return arrow::mimalloc_memory_pool(&pool).ok() ? pool : nullptr;
}

arrow::MemoryPool* Choose() {
  const char* env = std::getenv("SHOAL_MEMORY_POOL");
  std::string name = env ? env : "";
  arrow::MemoryPool* pool = nullptr;
  if (name.empty() || name == "jemalloc") {
    pool = Jemalloc();
  } else if (name == "system") {
    pool = arrow::system_memory_pool();
  } else if (name == "mimalloc") {
    pool = Mimalloc();
  } else if (name == "arrow") {
    pool = arrow::default_memory_pool();
  } else {
    std::fprintf(stderr,
                 "shoal: unknown SHOAL_MEMORY_POOL '%s' (jemalloc, system, mimalloc or arrow); "
                 "using the default\n",
                 name.c_str());
    pool = Jemalloc();
  }
  if (pool == nullptr) {
    if (!name.empty() && name != "jemalloc") {
      std::fprintf(stderr, "shoal: SHOAL_MEMORY_POOL '%s' is not in this Arrow build; using the "
                           "system allocator\n", name.c_str());
    }
    pool = arrow::system_memory_pool();
  }
  return pool;
}

}  // namespace

arrow::MemoryPool* EngineMemoryPool() {
  static arrow::MemoryPool* pool = Choose();
  return pool;
}

}  // namespace shoal
