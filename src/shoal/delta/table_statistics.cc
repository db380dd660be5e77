#include "shoal/delta/table_statistics.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_set>

#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/decimal.h>

namespace shoal::delta {

namespace {

bool IsRangeType(const arrow::DataType& t) {
  return arrow::is_integer(t.id()) || arrow::is_floating(t.id()) || arrow::is_decimal(t.id()) ||
         arrow::is_temporal(t.id());
}

// Return an integer or temporal scalar's value as int64 (nullopt: not one).
std::optional<int64_t> AsInt64(const arrow::Scalar& s) {
  const auto id = s.type->id();
  if (!arrow::is_integer(id) && !arrow::is_temporal(id)) return std::nullopt;
  if (id == arrow::Type::UINT64) return std::nullopt;  // not a Delta type
  const void* data = static_cast<const arrow::internal::PrimitiveScalarBase&>(s).data();
  const bool u = arrow::is_unsigned_integer(id);
  switch (arrow::bit_width(id)) {
    case 8: return u ? *static_cast<const uint8_t*>(data) : *static_cast<const int8_t*>(data);
    case 16: return u ? *static_cast<const uint16_t*>(data) : *static_cast<const int16_t*>(data);
    case 32:
      return u ? static_cast<int64_t>(*static_cast<const uint32_t*>(data))
               : static_cast<int64_t>(*static_cast<const int32_t*>(data));
    case 64: return *static_cast<const int64_t*>(data);
    default: return std::nullopt;
  }
}

// Return -1, 0 or 1 comparing two valid scalars of the same range type, or
// nullopt when they do not compare (NaN, an unsupported type).
std::optional<int> Compare(const arrow::Scalar& a, const arrow::Scalar& b) {
  auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (a.type->id()) {
    case arrow::Type::FLOAT: {
      float x = static_cast<const arrow::FloatScalar&>(a).value;
      float y = static_cast<const arrow::FloatScalar&>(b).value;
      if (std::isnan(x) || std::isnan(y)) return std::nullopt;
      return sign(x, y);
    }
    case arrow::Type::DOUBLE: {
      double x = static_cast<const arrow::DoubleScalar&>(a).value;
      double y = static_cast<const arrow::DoubleScalar&>(b).value;
      if (std::isnan(x) || std::isnan(y)) return std::nullopt;
      return sign(x, y);
    }
    case arrow::Type::DECIMAL128:
      return sign(static_cast<const arrow::Decimal128Scalar&>(a).value,
                  static_cast<const arrow::Decimal128Scalar&>(b).value);
    case arrow::Type::DECIMAL256:
      return sign(static_cast<const arrow::Decimal256Scalar&>(a).value,
                  static_cast<const arrow::Decimal256Scalar&>(b).value);
    default: {
      auto x = AsInt64(a), y = AsInt64(b);
      if (!x || !y) return std::nullopt;
      return sign(*x, *y);
    }
  }
}

// Return `s` as a valid scalar of `type` (cast when it is of another type, e.g.
// stats_parsed of a column widened since), or null.
std::shared_ptr<arrow::Scalar> Conform(const std::shared_ptr<arrow::Scalar>& s,
                                       const std::shared_ptr<arrow::DataType>& type) {
  if (!s || !s->is_valid) return nullptr;
  if (s->type->Equals(*type)) return s;
  if (s->type->id() == arrow::Type::TIMESTAMP && type->id() == arrow::Type::TIMESTAMP &&
      static_cast<const arrow::TimestampType&>(*s->type).unit() ==
          static_cast<const arrow::TimestampType&>(*type).unit()) {
    return std::make_shared<arrow::TimestampScalar>(
        static_cast<const arrow::TimestampScalar&>(*s).value, type);
  }
  auto cast = s->CastTo(type);
  return cast.ok() && (*cast)->is_valid ? *cast : nullptr;
}

struct ScalarEq {
  bool operator()(const std::shared_ptr<arrow::Scalar>& a,
                  const std::shared_ptr<arrow::Scalar>& b) const {
    return a->Equals(*b);
  }
};

}  // namespace

struct TableStatisticsBuilder::Column {
  bool nulls_known = true;
  int64_t nulls = 0;
  bool bounds_known = true;
  std::shared_ptr<arrow::Scalar> min, max;
  /// Partition columns: the distinct non-null values.
  std::unordered_set<std::shared_ptr<arrow::Scalar>, arrow::Scalar::Hash, ScalarEq> distinct;

  // Widen [min, max] to hold [lo, hi]; bounds become unknown when they do not compare.
  void Widen(const std::shared_ptr<arrow::Scalar>& lo, const std::shared_ptr<arrow::Scalar>& hi) {
    if (!min) {
      auto c = Compare(*lo, *hi);  // also rejects NaN
      if (!c) {
        bounds_known = false;
        return;
      }
      min = lo;
      max = hi;
      return;
    }
    auto c_lo = Compare(*lo, *min);
    auto c_hi = Compare(*hi, *max);
    if (!c_lo || !c_hi) {
      bounds_known = false;
      min.reset();
      max.reset();
      return;
    }
    if (*c_lo < 0) min = lo;
    if (*c_hi > 0) max = hi;
  }
};

bool TableStatisticsBuilder::ReportsBounds(const arrow::DataType& type) {
  return IsRangeType(type);
}

TableStatisticsBuilder::TableStatisticsBuilder(std::vector<StatsColumnSource> columns)
    : sources_(std::move(columns)), columns_(sources_.size()) {
  for (size_t c = 0; c < sources_.size(); ++c) {
    const auto& src = sources_[c];
    if (!src.bounds || !src.type || !IsRangeType(*src.type)) columns_[c].bounds_known = false;
  }
}

TableStatisticsBuilder::~TableStatisticsBuilder() = default;

void TableStatisticsBuilder::Add(const FileStatsView& file) {
  ++files_;
  bytes_ += std::max<int64_t>(file.size, 0);
  const ParsedStats* stats = file.stats;
  std::optional<int64_t> records;
  if (stats) records = stats->num_records;
  std::optional<int64_t> live;
  if (records) live = std::max<int64_t>(*records - file.deleted_rows, 0);
  if (live) {
    rows_ += *live;
  } else {
    rows_known_ = false;
  }
  for (size_t c = 0; c < sources_.size(); ++c) {
    const StatsColumnSource& src = sources_[c];
    Column& col = columns_[c];
    switch (src.kind) {
      case StatsColumnSource::Kind::kUnknown:
        break;
      case StatsColumnSource::Kind::kFilePath:
        break;
      case StatsColumnSource::Kind::kFileIndex: {
        auto v = std::make_shared<arrow::Int32Scalar>(static_cast<int32_t>(file.index));
        if (col.bounds_known) col.Widen(v, v);
        break;
      }
      case StatsColumnSource::Kind::kPartition: {
        std::shared_ptr<arrow::Scalar> value;
        if (file.partition_values && src.partition_slot >= 0 &&
            static_cast<size_t>(src.partition_slot) < file.partition_values->size()) {
          value = (*file.partition_values)[src.partition_slot];
        }
        if (!value || !value->is_valid) {
          if (live) {
            col.nulls += *live;
          } else {
            col.nulls_known = false;
          }
          break;
        }
        col.distinct.insert(value);
        if (col.bounds_known) col.Widen(value, value);
        break;
      }
      case StatsColumnSource::Kind::kData: {
        if (!stats) {
          col.nulls_known = false;
          col.bounds_known = false;
          break;
        }
        std::optional<int64_t> nulls;
        if (auto it = stats->null_count.find(src.physical_name); it != stats->null_count.end()) {
          nulls = it->second;
          col.nulls += it->second;
        } else {
          col.nulls_known = false;
        }
        if (!col.bounds_known) break;
        if (records && (*records == 0 || (nulls && *nulls >= *records))) break;  // no values
        std::shared_ptr<arrow::Scalar> lo, hi;
        if (auto it = stats->min_values.find(src.physical_name); it != stats->min_values.end()) {
          lo = Conform(it->second, src.type);
        }
        if (auto it = stats->max_values.find(src.physical_name); it != stats->max_values.end()) {
          hi = Conform(it->second, src.type);
        }
        if (!lo || !hi) {
          col.bounds_known = false;
          col.min.reset();
          col.max.reset();
          break;
        }
        if (src.type->id() == arrow::Type::TIMESTAMP) {
          // Maxima are truncated to milliseconds: the true maximum can be 999 us later.
          const auto unit = static_cast<const arrow::TimestampType&>(*src.type).unit();
          const int64_t widen = unit == arrow::TimeUnit::MICRO  ? 999
                                : unit == arrow::TimeUnit::NANO ? 999999
                                                                : 0;
          if (widen) {
            hi = std::make_shared<arrow::TimestampScalar>(
                static_cast<const arrow::TimestampScalar&>(*hi).value + widen, hi->type);
          }
        }
        col.Widen(lo, hi);
        break;
      }
    }
  }
}

void TableStatisticsBuilder::Merge(const TableStatisticsBuilder& other) {
  files_ += other.files_;
  bytes_ += other.bytes_;
  rows_ += other.rows_;
  rows_known_ = rows_known_ && other.rows_known_;
  for (size_t c = 0; c < columns_.size() && c < other.columns_.size(); ++c) {
    Column& col = columns_[c];
    const Column& o = other.columns_[c];
    col.nulls += o.nulls;
    col.nulls_known = col.nulls_known && o.nulls_known;
    if (!o.bounds_known) {
      col.bounds_known = false;
      col.min.reset();
      col.max.reset();
    } else if (col.bounds_known && o.min && o.max) {
      col.Widen(o.min, o.max);
    }
    col.distinct.insert(o.distinct.begin(), o.distinct.end());
  }
}

TableStatistics TableStatisticsBuilder::Finish() const {
  TableStatistics out;
  out.total_bytes = bytes_;
  if (rows_known_) {
    out.num_rows = rows_;
    out.exact = true;
  }
  out.columns.resize(sources_.size());
  for (size_t c = 0; c < sources_.size(); ++c) {
    const StatsColumnSource& src = sources_[c];
    const Column& col = columns_[c];
    ColumnStatistics& cs = out.columns[c];
    switch (src.kind) {
      case StatsColumnSource::Kind::kUnknown:
        continue;
      case StatsColumnSource::Kind::kFilePath:
      case StatsColumnSource::Kind::kFileIndex:
        cs.null_count = 0;
        cs.distinct_count = static_cast<double>(files_);
        break;
      case StatsColumnSource::Kind::kPartition:
        cs.distinct_count = static_cast<double>(col.distinct.size());
        break;
      case StatsColumnSource::Kind::kData:
        break;
    }
    if (src.kind == StatsColumnSource::Kind::kData ||
        src.kind == StatsColumnSource::Kind::kPartition) {
      if (col.nulls_known) {
        // nullCount counts the rows of the physical file, deleted ones included.
        cs.null_count = rows_known_ ? std::min(col.nulls, rows_) : col.nulls;
      }
    }
    if (col.bounds_known && col.min && col.max) {
      cs.min = col.min;
      cs.max = col.max;
    }
  }
  return out;
}

}  // namespace shoal::delta
