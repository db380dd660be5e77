// The engine's memory pool (common/memory_pool.h).
#include <cstdlib>
#include <string>

#include <arrow/memory_pool.h>
#include <gtest/gtest.h>

#include "shoal/common/memory_pool.h"

namespace shoal {
namespace {

TEST(MemoryPoolTest, ChosenOnceAndAllocates) {
  arrow::MemoryPool* pool = EngineMemoryPool();
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool, EngineMemoryPool());
  const char* env = std::getenv("SHOAL_MEMORY_POOL");
  if (env == nullptr || std::string(env).empty()) {
    // jemalloc when this Arrow build has it, else the system allocator.
    arrow::MemoryPool* jemalloc = nullptr;
    std::string want = arrow::jemalloc_memory_pool(&jemalloc).ok() ? "jemalloc" : "system";
    EXPECT_EQ(pool->backend_name(), want);
  }
  uint8_t* data = nullptr;
  const int64_t before = pool->bytes_allocated();
  ASSERT_TRUE(pool->Allocate(1 << 20, &data).ok());
  data[0] = 1;
  data[(1 << 20) - 1] = 2;
  EXPECT_GE(pool->bytes_allocated(), before + (1 << 20));
  pool->Free(data, 1 << 20);
}

}  // namespace
}  // namespace shoal
