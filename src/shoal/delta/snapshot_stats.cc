// Snapshot::file_stats(): the per-file statistics of a snapshot, decoded once.
#include <algorithm>
#include <atomic>
#include <mutex>

#include <arrow/type.h>

#include "shoal/delta/snapshot.h"
#include "shoal/delta/stats.h"

namespace shoal::delta {

struct Snapshot::StatsCache {
  std::once_flag once;
  std::atomic<bool> done{false};
  std::vector<std::shared_ptr<const ParsedStats>> stats;
};

Snapshot::Snapshot() : stats_cache_(std::make_shared<StatsCache>()) {}

namespace {
/// Files decoded per task when statistics are decoded in parallel.
constexpr int64_t kStatsChunk = 4096;
}  // namespace

const std::vector<std::shared_ptr<const ParsedStats>>& Snapshot::file_stats() const {
  StatsCache& cache = *stats_cache_;
  std::call_once(cache.once, [&]() {
    StatsTypes types;
    for (const auto& f : annotated_schema_->fields()) {
      if (arrow::is_nested(f->type()->id())) continue;
      types[PhysicalName(*f, mapping_mode_)] = f->type();
    }
    const int64_t n = static_cast<int64_t>(files_.size());
    cache.stats.resize(files_.size());
    auto decode = [&](int64_t chunk) -> Status {
      const int64_t end = std::min(n, (chunk + 1) * kStatsChunk);
      for (int64_t i = chunk * kStatsChunk; i < end; ++i) {
        const AddFile& a = files_[i];
        if (a.stats_parsed) {
          cache.stats[i] = a.stats_parsed;
        } else if (a.stats) {
          auto parsed = ParseStatsJson(*a.stats, types);
          if (parsed.ok()) cache.stats[i] = std::make_shared<ParsedStats>(std::move(*parsed));
        }
      }
      return Status::OK();
    };
    // Decoding cannot fail (a file whose statistics do not parse has none).
    (void)RunTasks(engine_ ? engine_->tasks.get() : nullptr, (n + kStatsChunk - 1) / kStatsChunk,
                   decode);
    cache.done.store(true, std::memory_order_release);
  });
  return cache.stats;
}

const std::vector<std::shared_ptr<const ParsedStats>>* Snapshot::decoded_file_stats() const {
  return stats_cache_->done.load(std::memory_order_acquire) ? &stats_cache_->stats : nullptr;
}

}  // namespace shoal::delta
