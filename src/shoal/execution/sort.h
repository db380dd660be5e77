// ORDER BY (full sort) and ORDER BY ... LIMIT (top-N).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "shoal/execution/expression_evaluator.h"
#include "shoal/execution/physical_operator.h"
#include "shoal/execution/sort_util.h"

namespace shoal::exec {

/// Sorts its whole input. With `limit` set it keeps only the first offset+limit
/// rows per thread while sinking (top-N) and emits rows [offset, offset+limit).
class SortOp : public PhysicalOperator {
 public:
  /// `keep` marks the output columns read above (empty: all); the others are
  /// not buffered (placeholders are emitted instead).
  SortOp(TypeVector types, ExprList keys, std::vector<SortSpec> specs,
         std::optional<int64_t> limit, int64_t offset, std::string details,
         std::vector<bool> keep = {})
      : PhysicalOperator(limit ? "TopN" : "Sort", std::move(types)),
        keys_(std::move(keys)),
        specs_(std::move(specs)),
        limit_(limit),
        offset_(offset),
        details_(std::move(details)),
        keep_(std::move(keep)) {}

  Kind kind() const override { return Kind::kBreaker; }
  bool ordered_source() const override { return true; }
  std::string Details() const override { return details_; }

  Result<std::unique_ptr<GlobalSinkState>> MakeGlobalSinkState(
      QueryContext& query) const override;
  Result<std::unique_ptr<LocalSinkState>> MakeLocalSinkState(
      ThreadContext& ctx, GlobalSinkState& global) const override;
  Status Sink(ThreadContext& ctx, Chunk&& input, GlobalSinkState& global,
              LocalSinkState& local) const override;
  Status Combine(ThreadContext& ctx, GlobalSinkState& global,
                 LocalSinkState& local) const override;
  Status Finalize(QueryContext& query, GlobalSinkState& global) const override;
  Result<std::unique_ptr<GlobalSourceState>> MakeGlobalSourceState(
      QueryContext& query) const override;
  Result<bool> GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState& local,
                       Chunk* out) const override;

 private:
  /// Sort `chunks` (payload + key columns) and keep at most `keep` rows.
  Result<Chunk> SortChunks(std::vector<Chunk>* chunks, std::optional<int64_t> keep,
                           arrow::compute::ExecContext* ctx) const;

  ExprList keys_;
  std::vector<SortSpec> specs_;
  std::optional<int64_t> limit_;
  int64_t offset_;
  std::string details_;
  std::vector<bool> keep_;
};

}  // namespace shoal::exec
