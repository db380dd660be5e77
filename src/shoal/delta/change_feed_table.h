// The change data feed of a Delta table as a TableProvider (SQL table_changes,
// Python DeltaTable.load_cdf): the table's columns followed by _change_type,
// _commit_version and _commit_timestamp, one morsel per change file.
#pragma once

#include <memory>
#include <string>

#include <arrow/filesystem/type_fwd.h>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/status.h"
#include "shoal/delta/change_feed.h"

namespace shoal::delta {

/// Names of the columns the change feed adds to the table's columns.
inline constexpr const char* kChangeTypeColumn = "_change_type";
inline constexpr const char* kCommitVersionColumn = "_commit_version";
inline constexpr const char* kCommitTimestampColumn = "_commit_timestamp";

/// The rows changed in a range of versions of a Delta table (kind "delta_changes").
class ChangeFeedTableProvider : public TableProvider {
 public:
  /// Plan the changes of the table at `table_root` (a path inside `fs`, read
  /// through `engine`) over `range`.
  static Result<std::shared_ptr<ChangeFeedTableProvider>> Make(
      std::shared_ptr<Engine> engine, std::shared_ptr<arrow::fs::FileSystem> fs,
      const std::string& table_root, const ChangeFeedRange& range);

  std::shared_ptr<arrow::Schema> schema() const override;
  std::string kind() const override { return "delta_changes"; }
  Result<std::shared_ptr<TableScan>> Scan(const ScanRequest& request) const override;
  std::optional<ScanMetricsSnapshot> ExplainScan(const ScanRequest& request) const override;

  /// Return the planned change files.
  const ChangeFeedPlan& plan() const;

  struct State;

 private:
  explicit ChangeFeedTableProvider(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

}  // namespace shoal::delta
