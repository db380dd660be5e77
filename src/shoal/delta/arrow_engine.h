// The Engine backed by an arrow::fs::FileSystem (the local file system today;
// S3, GCS and Azure file systems work the same way once registered).
#pragma once

#include <memory>

#include <arrow/filesystem/type_fwd.h>

#include "shoal/delta/engine.h"

namespace shoal::delta {

/// Return a storage handler over `fs` (paths are paths inside `fs`).
std::shared_ptr<StorageHandler> MakeArrowStorageHandler(std::shared_ptr<arrow::fs::FileSystem> fs);

/// Return an Engine whose handlers read through `fs`, reading the log with a
/// thread per core (local file systems) or 16 (remote ones).
std::shared_ptr<Engine> MakeArrowEngine(std::shared_ptr<arrow::fs::FileSystem> fs);

}  // namespace shoal::delta
