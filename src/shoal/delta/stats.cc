#include "shoal/delta/stats.h"

#include <cmath>

#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/decimal.h>

#include "shoal/delta/json.h"
#include "shoal/delta/schema.h"

namespace shoal::delta {

namespace cp = arrow::compute;

namespace {

std::shared_ptr<arrow::Scalar> ToScalar(const JsonValue& v,
                                        const std::shared_ptr<arrow::DataType>& type) {
  if (v.is_null()) return nullptr;
  switch (type->id()) {
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64: {
      auto i = v.AsInt64();
      if (!i) return nullptr;
      auto s = arrow::MakeScalar(type, *i);
      return s.ok() ? *s : nullptr;
    }
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE: {
      auto d = v.AsDouble();
      if (!d || std::isnan(*d)) return nullptr;
      if (type->id() == arrow::Type::FLOAT) return std::make_shared<arrow::FloatScalar>(static_cast<float>(*d));
      return std::make_shared<arrow::DoubleScalar>(*d);
    }
    case arrow::Type::STRING:
      if (!v.is_string()) return nullptr;
      return std::make_shared<arrow::StringScalar>(v.text());
    case arrow::Type::DATE32: {
      if (!v.is_string()) return nullptr;
      auto d = ParseDateDays(v.text());
      if (!d) return nullptr;
      return std::make_shared<arrow::Date32Scalar>(*d);
    }
    case arrow::Type::TIMESTAMP: {
      if (!v.is_string()) return nullptr;
      auto t = ParseTimestampMicros(v.text());
      if (!t) return nullptr;
      return std::make_shared<arrow::TimestampScalar>(*t, type);
    }
    case arrow::Type::DECIMAL128: {
      if (!v.is_number() && !v.is_string()) return nullptr;
      const auto& dt = static_cast<const arrow::Decimal128Type&>(*type);
      arrow::Decimal128 d;
      int32_t precision, scale;
      if (!arrow::Decimal128::FromString(v.text(), &d, &precision, &scale).ok()) return nullptr;
      if (scale > dt.scale()) return nullptr;  // would need rounding: skip
      auto r = d.Rescale(scale, dt.scale());
      if (!r.ok()) return nullptr;
      return std::make_shared<arrow::Decimal128Scalar>(*r, type);
    }
    default:
      return nullptr;
  }
}

void Collect(const JsonValue* obj, const std::string& prefix, const StatsTypes& types,
             std::unordered_map<std::string, std::shared_ptr<arrow::Scalar>>* out) {
  if (!obj || !obj->is_object()) return;
  for (const auto& [k, v] : obj->members()) {
    std::string path = prefix.empty() ? k : prefix + "." + k;
    if (v.is_object()) {
      Collect(&v, path, types, out);
      continue;
    }
    auto it = types.find(path);
    if (it == types.end()) continue;
    if (auto s = ToScalar(v, it->second)) (*out)[path] = std::move(s);
  }
}

void CollectCounts(const JsonValue* obj, const std::string& prefix,
                   std::unordered_map<std::string, int64_t>* out) {
  if (!obj || !obj->is_object()) return;
  for (const auto& [k, v] : obj->members()) {
    std::string path = prefix.empty() ? k : prefix + "." + k;
    if (v.is_object()) {
      CollectCounts(&v, path, out);
    } else if (auto i = v.AsInt64()) {
      (*out)[path] = *i;
    }
  }
}

// Return `s` cast to `type` when it is of a different (compatible) type, e.g.
// stats_parsed written as int32 for a widened long column.
std::shared_ptr<arrow::Scalar> Conform(const std::shared_ptr<arrow::Scalar>& s,
                                       const std::shared_ptr<arrow::DataType>& type) {
  if (!s || !s->is_valid) return nullptr;
  if (s->type->Equals(*type)) return s;
  if (s->type->id() == arrow::Type::TIMESTAMP && type->id() == arrow::Type::TIMESTAMP) {
    const auto& from = static_cast<const arrow::TimestampType&>(*s->type);
    const auto& to = static_cast<const arrow::TimestampType&>(*type);
    if (from.unit() == to.unit()) {
      return std::make_shared<arrow::TimestampScalar>(
          static_cast<const arrow::TimestampScalar&>(*s).value, type);
    }
  }
  auto cast = s->CastTo(type);
  return cast.ok() ? *cast : nullptr;
}

}  // namespace

namespace {

// The same decoding as ParseStatsJson's JsonValue tree walk, streamed with a
// JsonReader (no tree: statistics of every file are decoded for skipping and
// table statistics, 100,000s of them for big tables). Any error: the caller
// falls back to the tree walk, which reports it.
Status SkipValue(JsonReader* r) {
  JsonValue skipped;
  return r->ReadValue(&skipped);
}

// Read one scalar (non-object) value as a JsonValue; strings and numbers avoid
// the generic path.
Status ReadLeaf(JsonReader* r, JsonValue* out) {
  const char c = r->Peek();
  if (c == '"') {
    std::string text;
    ARROW_RETURN_NOT_OK(r->ReadString(&text));
    *out = JsonValue::String(std::move(text));
    return Status::OK();
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    std::string_view text;
    ARROW_RETURN_NOT_OK(r->ReadNumber(&text));
    *out = JsonValue::Number(std::string(text));
    return Status::OK();
  }
  return r->ReadValue(out);
}

/// Nesting depth of statistics objects the streamed decoding accepts (deeper:
/// the tree walk, whose parser bounds the depth, decides).
constexpr int kMaxStreamDepth = 64;

/// Walk the object at `r` (nested objects flattened to dotted paths) and call
/// `leaf(path, r)` for each non-object member; it reads or skips the value.
template <typename Leaf>
Status StreamWalk(JsonReader* r, const std::string& prefix, Leaf&& leaf, int depth = 0) {
  if (depth > kMaxStreamDepth) return Status::Invalid("statistics nested too deeply");
  ARROW_RETURN_NOT_OK(r->BeginObject());
  bool first = true;
  std::string key;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool more, r->NextMember(&first, &key));
    if (!more) return Status::OK();
    std::string path = prefix.empty() ? key : prefix + "." + key;
    if (r->Peek() == '{') {
      ARROW_RETURN_NOT_OK(StreamWalk(r, path, leaf, depth + 1));
    } else {
      ARROW_RETURN_NOT_OK(leaf(path, r));
    }
  }
}

/// Collect the bounds of the columns in `types` (others skipped).
Status StreamCollect(JsonReader* r, const StatsTypes& types,
                     std::unordered_map<std::string, std::shared_ptr<arrow::Scalar>>* out) {
  JsonValue value;
  return StreamWalk(r, "", [&](const std::string& path, JsonReader* in) -> Status {
    auto it = types.find(path);
    if (it == types.end()) return SkipValue(in);
    ARROW_RETURN_NOT_OK(ReadLeaf(in, &value));
    if (auto s = ToScalar(value, it->second)) (*out)[path] = std::move(s);
    return Status::OK();
  });
}

/// Collect the integer counts of every column.
Status StreamCollectCounts(JsonReader* r, std::unordered_map<std::string, int64_t>* out) {
  JsonValue value;
  return StreamWalk(r, "", [&](const std::string& path, JsonReader* in) -> Status {
    ARROW_RETURN_NOT_OK(ReadLeaf(in, &value));
    if (auto i = value.AsInt64()) (*out)[path] = *i;
    return Status::OK();
  });
}

// Return true and fill `out` when `json` decodes by streaming.
bool StreamStatsJson(const std::string& json, const StatsTypes& types, ParsedStats* out) {
  JsonReader r(json);
  if (!r.BeginObject().ok()) return false;
  bool first = true;
  std::string key;
  JsonValue leaf;
  // The tree walk uses the first member of each name: later ones are skipped.
  bool seen_records = false, seen_tight = false, seen_min = false, seen_max = false,
       seen_nulls = false;
  while (true) {
    auto more = r.NextMember(&first, &key);
    if (!more.ok()) return false;
    if (!*more) break;
    Status st;
    auto once = [&](bool* seen) {
      bool was = *seen;
      *seen = true;
      return !was;
    };
    if (key == "numRecords" && once(&seen_records)) {
      st = ReadLeaf(&r, &leaf);
      if (st.ok()) out->num_records = leaf.AsInt64();
    } else if (key == "tightBounds" && once(&seen_tight)) {
      st = ReadLeaf(&r, &leaf);
      if (st.ok() && leaf.is_bool()) out->tight_bounds = leaf.bool_value();
    } else if ((key == "minValues" && once(&seen_min)) || (key == "maxValues" && once(&seen_max))) {
      auto* target = key == "minValues" ? &out->min_values : &out->max_values;
      st = r.Peek() == '{' ? StreamCollect(&r, types, target) : SkipValue(&r);
    } else if (key == "nullCount" && once(&seen_nulls)) {
      st = r.Peek() == '{' ? StreamCollectCounts(&r, &out->null_count) : SkipValue(&r);
    } else {
      st = SkipValue(&r);
    }
    if (!st.ok()) return false;
  }
  return r.Finish().ok();
}

}  // namespace

Result<ParsedStats> ParseStatsJson(const std::string& json, const StatsTypes& types) {
  {
    ParsedStats streamed;
    if (StreamStatsJson(json, types, &streamed)) return streamed;
  }
  auto doc = ParseJson(json);
  if (!doc.ok()) return Status::Invalid("invalid statistics: ", doc.status().message());
  ParsedStats out;
  if (const JsonValue* n = doc->Find("numRecords")) out.num_records = n->AsInt64();
  if (const JsonValue* t = doc->Find("tightBounds"); t && t->is_bool()) {
    out.tight_bounds = t->bool_value();
  }
  Collect(doc->Find("minValues"), "", types, &out.min_values);
  Collect(doc->Find("maxValues"), "", types, &out.max_values);
  CollectCounts(doc->Find("nullCount"), "", &out.null_count);
  return out;
}

std::vector<cp::Expression> StatsGuarantees(const ParsedStats& stats,
                                            const std::vector<StatsColumn>& columns) {
  // Conjuncts true for every row, and per column that may hold nulls the
  // bounds that hold for its non-null rows (a null row gets "is null").
  std::vector<cp::Expression> always;
  std::vector<std::pair<cp::Expression, cp::Expression>> either;  // (bounds, is_null)
  for (const auto& c : columns) {
    auto ref = cp::field_ref(c.name);
    std::optional<int64_t> nulls;
    if (auto it = stats.null_count.find(c.physical_name); it != stats.null_count.end()) {
      nulls = it->second;
    }
    if (nulls && stats.num_records && *nulls == *stats.num_records && *nulls > 0) {
      always.push_back(cp::is_null(ref));
      continue;
    }
    std::shared_ptr<arrow::Scalar> lo, hi;
    if (auto it = stats.min_values.find(c.physical_name); it != stats.min_values.end()) {
      lo = Conform(it->second, c.type);
    }
    if (auto it = stats.max_values.find(c.physical_name); it != stats.max_values.end()) {
      hi = Conform(it->second, c.type);
    }
    if (hi && c.type->id() == arrow::Type::TIMESTAMP) {
      // Maxima are truncated to milliseconds: the true maximum can be 999 us later.
      const auto& ts = static_cast<const arrow::TimestampType&>(*c.type);
      int64_t widen = ts.unit() == arrow::TimeUnit::MICRO  ? 999
                      : ts.unit() == arrow::TimeUnit::NANO ? 999999
                                                           : 0;
      hi = std::make_shared<arrow::TimestampScalar>(
          static_cast<const arrow::TimestampScalar&>(*hi).value + widen, c.type);
    }
    if (hi && c.type->id() == arrow::Type::STRING &&
        static_cast<const arrow::StringScalar&>(*hi).value->size() >= 32) {
      hi.reset();  // possibly a truncated prefix
    }
    for (auto* bound : {&lo, &hi}) {
      if (*bound && ((*bound)->type->id() == arrow::Type::FLOAT ||
                     (*bound)->type->id() == arrow::Type::DOUBLE)) {
        // NaN ordering differs between writers: no float bounds with NaN.
        auto d = (*bound)->CastTo(arrow::float64());
        if (!d.ok() || std::isnan(static_cast<const arrow::DoubleScalar&>(**d).value)) bound->reset();
      }
    }
    std::vector<cp::Expression> bounds;
    if (lo) bounds.push_back(cp::greater_equal(ref, cp::literal(lo)));
    if (hi) bounds.push_back(cp::less_equal(ref, cp::literal(hi)));
    const bool no_nulls = nulls && *nulls == 0;
    if (no_nulls) {
      always.push_back(bounds.empty() ? cp::is_valid(ref) : cp::and_(bounds));
    } else if (!bounds.empty() && either.size() < 4) {
      either.emplace_back(cp::and_(bounds), cp::is_null(ref));
    }
  }
  // One alternative per combination of "non-null within bounds" / "null".
  std::vector<cp::Expression> out;
  const size_t combos = size_t{1} << either.size();
  for (size_t mask = 0; mask < combos; ++mask) {
    std::vector<cp::Expression> parts = always;
    for (size_t i = 0; i < either.size(); ++i) {
      parts.push_back((mask >> i) & 1 ? either[i].second : either[i].first);
    }
    out.push_back(parts.empty() ? cp::literal(true) : cp::and_(parts));
  }
  return out;
}

}  // namespace shoal::delta
