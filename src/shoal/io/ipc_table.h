// Arrow IPC tables: files in the Arrow IPC file format (Feather v2) or stream
// format. One morsel per record batch of a file-format file, per file otherwise.
#pragma once

#include <memory>
#include <string>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/status.h"
#include "shoal/io/options.h"

namespace shoal {

/// Create a table over the Arrow IPC files at `path` (a file, a directory or a
/// glob). The schema is the first file's; other files are read by column name.
Result<std::shared_ptr<TableProvider>> MakeIpcTable(const std::string& path,
                                                    const IpcOptions& options = {});

}  // namespace shoal
