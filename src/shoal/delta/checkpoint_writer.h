// Writing classic single-file checkpoints (PROTOCOL.md "Checkpoints") and the
// _last_checkpoint hint ("Last Checkpoint File").
//
// A checkpoint holds the snapshot's protocol, metaData, txn and add actions and
// the remove tombstones not yet expired, one per row, written in row groups of a
// bounded number of actions.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <arrow/filesystem/type_fwd.h>
#include <arrow/io/type_fwd.h>
#include <arrow/type_fwd.h>

#include "shoal/common/status.h"
#include "shoal/delta/snapshot.h"

namespace shoal::delta {

/// What a written checkpoint holds.
struct CheckpointInfo {
  int64_t version = -1;
  int64_t num_actions = 0;    ///< Rows (the `size` of _last_checkpoint).
  int64_t num_add_files = 0;
  int64_t size_in_bytes = 0;  ///< Size of the checkpoint file.
};

/// Return the Arrow schema of a classic checkpoint file.
std::shared_ptr<arrow::Schema> CheckpointSchema();

/// Return the remove actions a checkpoint of `snapshot` keeps: files whose last
/// action in the log segment (previous checkpoint, then commits) is a remove,
/// deleted less than delta.deletedFileRetentionDuration (default 1 week) before
/// `now_ms`, sorted by path. Removes without a deletionTimestamp count as expired.
/// Tombstones of v2 checkpoint sidecars are not read.
Result<std::vector<RemoveFile>> CollectTombstones(const Snapshot& snapshot, int64_t now_ms);

/// Write the checkpoint Parquet of `snapshot` to `out` (which is not closed),
/// `batch_rows` actions per row group.
Result<CheckpointInfo> WriteCheckpointParquet(const Snapshot& snapshot,
                                              std::shared_ptr<arrow::io::OutputStream> out,
                                              int64_t batch_rows = 8192);

/// Write <version>.checkpoint.parquet for `snapshot` into its _delta_log in `fs`
/// (the snapshot's table root is a path inside `fs`), then _last_checkpoint.
/// Both are written to a temporary name first and moved in place.
Result<CheckpointInfo> WriteCheckpoint(const Snapshot& snapshot,
                                       const std::shared_ptr<arrow::fs::FileSystem>& fs);

}  // namespace shoal::delta
