// Shoal uses Arrow's Status / Result for every fallible operation; the engine
// never throws. These aliases keep signatures short.
#pragma once

#include <arrow/result.h>
#include <arrow/status.h>

namespace shoal {

using Status = arrow::Status;
template <typename T>
using Result = arrow::Result<T>;

}  // namespace shoal
