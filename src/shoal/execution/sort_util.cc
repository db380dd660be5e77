#include "shoal/execution/sort_util.h"

#include <cmath>
#include <cstring>

#include <arrow/array.h>
#include <arrow/compute/api_vector.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <arrow/type_traits.h>
#include <arrow/util/decimal.h>

#include "shoal/execution/filter_selection.h"

namespace shoal::exec {

namespace cp = arrow::compute;

Result<std::shared_ptr<arrow::Array>> SortPermutation(
    const std::vector<std::shared_ptr<arrow::Array>>& columns,
    const std::vector<SortSpec>& specs, cp::ExecContext* ctx) {
  arrow::FieldVector fields;
  std::vector<cp::SortKey> keys;
  int64_t length = columns.empty() ? 0 : columns[0]->length();
  std::vector<std::shared_ptr<arrow::Array>> decoded;
  for (size_t i = 0; i < columns.size(); ++i) {
    // Dictionary keys sort by their values (Arrow cannot sort them in a batch).
    ARROW_ASSIGN_OR_RAISE(auto col, DecodeDictionary(columns[i], ctx));
    decoded.push_back(std::move(col));
    std::string name = "k" + std::to_string(i);
    fields.push_back(arrow::field(name, decoded[i]->type()));
    keys.emplace_back(name,
                      specs[i].ascending ? cp::SortOrder::Ascending : cp::SortOrder::Descending,
                      specs[i].nulls_first ? cp::NullPlacement::AtStart
                                           : cp::NullPlacement::AtEnd);
  }
  auto batch = arrow::RecordBatch::Make(arrow::schema(fields), length, std::move(decoded));
  cp::SortOptions options(keys);
  ARROW_ASSIGN_OR_RAISE(arrow::Datum d,
                        cp::CallFunction("sort_indices", {arrow::Datum(batch)}, &options, ctx));
  return d.make_array();
}

namespace {

template <typename Fn>
class TypedComparator : public RowComparator {
 public:
  TypedComparator(SortSpec spec, Fn fn) : spec_(spec), fn_(std::move(fn)) {}
  int Compare(const arrow::Array& a, int64_t i, const arrow::Array& b,
              int64_t j) const override {
    bool an = a.IsNull(i), bn = b.IsNull(j);
    if (an || bn) {
      if (an && bn) return 0;
      int c = an ? -1 : 1;  // null first
      return spec_.nulls_first ? c : -c;
    }
    int c = fn_(a, i, b, j);
    return spec_.ascending ? c : -c;
  }

 private:
  SortSpec spec_;
  Fn fn_;
};

template <typename Fn>
std::unique_ptr<RowComparator> MakeTyped(SortSpec spec, Fn fn) {
  return std::make_unique<TypedComparator<Fn>>(spec, std::move(fn));
}

template <typename ArrowType>
std::unique_ptr<RowComparator> Numeric(SortSpec spec) {
  using ArrayType = typename arrow::TypeTraits<ArrowType>::ArrayType;
  return MakeTyped(spec, [](const arrow::Array& a, int64_t i, const arrow::Array& b,
                            int64_t j) {
    auto x = static_cast<const ArrayType&>(a).Value(i);
    auto y = static_cast<const ArrayType&>(b).Value(j);
    if constexpr (std::is_floating_point_v<decltype(x)>) {
      // NaN sorts after every number and equals itself.
      bool xn = std::isnan(x), yn = std::isnan(y);
      if (xn || yn) return xn && yn ? 0 : (xn ? 1 : -1);
    }
    return x < y ? -1 : (y < x ? 1 : 0);
  });
}

template <typename ArrayType>
std::unique_ptr<RowComparator> Binary(SortSpec spec) {
  return MakeTyped(spec, [](const arrow::Array& a, int64_t i, const arrow::Array& b,
                            int64_t j) {
    auto x = static_cast<const ArrayType&>(a).GetView(i);
    auto y = static_cast<const ArrayType&>(b).GetView(j);
    int c = x.compare(y);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  });
}

/// Compares dictionary arrays by their values: `values_` compares the entries
/// the indices point at (dictionaries may differ between the two arrays).
class DictionaryComparator : public RowComparator {
 public:
  DictionaryComparator(SortSpec spec, std::unique_ptr<RowComparator> values)
      : spec_(spec), values_(std::move(values)) {}
  int Compare(const arrow::Array& a, int64_t i, const arrow::Array& b,
              int64_t j) const override {
    const auto& da = static_cast<const arrow::DictionaryArray&>(a);
    const auto& db = static_cast<const arrow::DictionaryArray&>(b);
    bool an = a.IsNull(i), bn = b.IsNull(j);
    int64_t ia = an ? 0 : da.GetValueIndex(i), jb = bn ? 0 : db.GetValueIndex(j);
    an = an || da.dictionary()->IsNull(ia);
    bn = bn || db.dictionary()->IsNull(jb);
    if (an || bn) {
      if (an && bn) return 0;
      int c = an ? -1 : 1;  // null first
      return spec_.nulls_first ? c : -c;
    }
    return values_->Compare(*da.dictionary(), ia, *db.dictionary(), jb);
  }

 private:
  SortSpec spec_;
  std::unique_ptr<RowComparator> values_;
};

}  // namespace

Result<std::unique_ptr<RowComparator>> RowComparator::Make(const arrow::DataType& type,
                                                           SortSpec spec) {
  switch (type.id()) {
    case arrow::Type::DICTIONARY: {
      ARROW_ASSIGN_OR_RAISE(
          auto values,
          Make(*static_cast<const arrow::DictionaryType&>(type).value_type(), spec));
      return std::make_unique<DictionaryComparator>(spec, std::move(values));
    }
    case arrow::Type::BOOL:
      return Numeric<arrow::BooleanType>(spec);
    case arrow::Type::INT8:
      return Numeric<arrow::Int8Type>(spec);
    case arrow::Type::INT16:
      return Numeric<arrow::Int16Type>(spec);
    case arrow::Type::INT32:
      return Numeric<arrow::Int32Type>(spec);
    case arrow::Type::INT64:
      return Numeric<arrow::Int64Type>(spec);
    case arrow::Type::UINT8:
      return Numeric<arrow::UInt8Type>(spec);
    case arrow::Type::UINT16:
      return Numeric<arrow::UInt16Type>(spec);
    case arrow::Type::UINT32:
      return Numeric<arrow::UInt32Type>(spec);
    case arrow::Type::UINT64:
      return Numeric<arrow::UInt64Type>(spec);
    case arrow::Type::FLOAT:
      return Numeric<arrow::FloatType>(spec);
    case arrow::Type::DOUBLE:
      return Numeric<arrow::DoubleType>(spec);
    case arrow::Type::DATE32:
      return Numeric<arrow::Date32Type>(spec);
    case arrow::Type::DATE64:
      return Numeric<arrow::Date64Type>(spec);
    case arrow::Type::TIMESTAMP:
      return Numeric<arrow::TimestampType>(spec);
    case arrow::Type::TIME32:
      return Numeric<arrow::Time32Type>(spec);
    case arrow::Type::TIME64:
      return Numeric<arrow::Time64Type>(spec);
    case arrow::Type::DURATION:
      return Numeric<arrow::DurationType>(spec);
    case arrow::Type::STRING:
      return Binary<arrow::StringArray>(spec);
    case arrow::Type::LARGE_STRING:
      return Binary<arrow::LargeStringArray>(spec);
    case arrow::Type::BINARY:
      return Binary<arrow::BinaryArray>(spec);
    case arrow::Type::LARGE_BINARY:
      return Binary<arrow::LargeBinaryArray>(spec);
    case arrow::Type::STRING_VIEW:
      return Binary<arrow::StringViewArray>(spec);
    case arrow::Type::DECIMAL128:
      return MakeTyped(spec, [](const arrow::Array& a, int64_t i, const arrow::Array& b,
                                int64_t j) {
        arrow::Decimal128 x(static_cast<const arrow::Decimal128Array&>(a).GetValue(i));
        arrow::Decimal128 y(static_cast<const arrow::Decimal128Array&>(b).GetValue(j));
        return x < y ? -1 : (y < x ? 1 : 0);
      });
    default:
      // Generic fallback: equality only through scalars (order unspecified).
      return MakeTyped(spec, [](const arrow::Array& a, int64_t i, const arrow::Array& b,
                                int64_t j) {
        auto x = a.GetScalar(i), y = b.GetScalar(j);
        if (!x.ok() || !y.ok()) return 0;
        if ((*x)->Equals(**y)) return 0;
        return (*x)->ToString() < (*y)->ToString() ? -1 : 1;
      });
  }
}

}  // namespace shoal::exec
