#include "shoal/io/scan_util.h"

#include <mutex>

#include <arrow/array.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/initialize.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

namespace shoal {

namespace {

Status EnsureCompute() {
  static Status status = arrow::compute::Initialize();
  return status;
}

class AdaptedReader : public arrow::RecordBatchReader {
 public:
  AdaptedReader(std::shared_ptr<arrow::RecordBatchReader> source, MorselOutput out,
                std::shared_ptr<void> keep_alive)
      : source_(std::move(source)), out_(std::move(out)), keep_alive_(std::move(keep_alive)) {
    if (out_.batch_size <= 0) out_.batch_size = 8192;
    if (out_.counters) out_.counters->Add(0, out_.source_bytes);
  }
  ~AdaptedReader() override {
    source_.reset();
    keep_alive_.reset();
  }

  std::shared_ptr<arrow::Schema> schema() const override { return out_.schema; }

  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    while (true) {
      if (out_.limit && produced_ >= *out_.limit) return Close();
      if (current_ && offset_ < current_->num_rows()) {
        int64_t n = std::min(out_.batch_size, current_->num_rows() - offset_);
        if (out_.limit) n = std::min(n, *out_.limit - produced_);
        *out = offset_ == 0 && n == current_->num_rows() ? current_ : current_->Slice(offset_, n);
        offset_ += n;
        produced_ += n;
        if (out_.counters) out_.counters->Add(n);
        return Status::OK();
      }
      current_.reset();
      offset_ = 0;
      if (!source_) return Status::OK();
      std::shared_ptr<arrow::RecordBatch> src;
      Status st = source_->ReadNext(&src);
      if (!st.ok()) {
        return st.WithMessage("error reading ", out_.description, ": ", st.message());
      }
      if (!src) {
        source_.reset();
        return Status::OK();
      }
      ARROW_ASSIGN_OR_RAISE(current_, Adapt(src));
    }
  }

  Status Close() override {
    current_.reset();
    if (source_) {
      auto st = source_->Close();
      source_.reset();
      ARROW_RETURN_NOT_OK(st);
    }
    return Status::OK();
  }

 private:
  Result<std::shared_ptr<arrow::RecordBatch>> Adapt(const std::shared_ptr<arrow::RecordBatch>& src) {
    const int64_t n = src->num_rows();
    std::vector<std::shared_ptr<arrow::Array>> columns;
    columns.reserve(out_.schema->num_fields());
    for (int j = 0; j < out_.schema->num_fields(); ++j) {
      const auto& field = out_.schema->field(j);
      if (j < static_cast<int>(out_.constants.size()) && out_.constants[j]) {
        ARROW_ASSIGN_OR_RAISE(auto arr, arrow::MakeArrayFromScalar(*out_.constants[j], n));
        columns.push_back(std::move(arr));
        continue;
      }
      int idx = out_.by_position ? (j < src->num_columns() ? j : -1)
                                 : src->schema()->GetFieldIndex(field->name());
      if (idx < 0) {
        ARROW_ASSIGN_OR_RAISE(auto arr, arrow::MakeArrayOfNull(field->type(), n));
        columns.push_back(std::move(arr));
        continue;
      }
      auto arr = src->column(idx);
      if (!arr->type()->Equals(*field->type()) &&
          !(out_.keep_dictionaries && arr->type_id() == arrow::Type::DICTIONARY &&
            static_cast<const arrow::DictionaryType&>(*arr->type())
                .value_type()
                ->Equals(*field->type()))) {
        ARROW_RETURN_NOT_OK(EnsureCompute());
        auto cast = arrow::compute::Cast(*arr, field->type());
        if (!cast.ok()) {
          return Status::Invalid("error reading ", out_.description, ": cannot read column '",
                                 field->name(), "' of type ", arr->type()->ToString(), " as ",
                                 field->type()->ToString(), ": ", cast.status().message());
        }
        arr = *cast;
      }
      columns.push_back(std::move(arr));
    }
    return arrow::RecordBatch::Make(out_.schema, n, std::move(columns));
  }

  std::shared_ptr<arrow::RecordBatchReader> source_;
  MorselOutput out_;
  std::shared_ptr<void> keep_alive_;
  std::shared_ptr<arrow::RecordBatch> current_;
  int64_t offset_ = 0;
  int64_t produced_ = 0;
};

class ConstantReader : public arrow::RecordBatchReader {
 public:
  ConstantReader(MorselOutput out, int64_t num_rows) : out_(std::move(out)), remaining_(num_rows) {
    if (out_.limit) remaining_ = std::min(remaining_, *out_.limit);
    if (out_.batch_size <= 0) out_.batch_size = 8192;
    if (out_.counters) out_.counters->Add(0, out_.source_bytes);
  }
  std::shared_ptr<arrow::Schema> schema() const override { return out_.schema; }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    if (remaining_ <= 0) return Status::OK();
    int64_t n = std::min(remaining_, out_.batch_size);
    std::vector<std::shared_ptr<arrow::Array>> columns;
    for (int j = 0; j < out_.schema->num_fields(); ++j) {
      std::shared_ptr<arrow::Array> arr;
      if (j < static_cast<int>(out_.constants.size()) && out_.constants[j]) {
        ARROW_ASSIGN_OR_RAISE(arr, arrow::MakeArrayFromScalar(*out_.constants[j], n));
      } else {
        ARROW_ASSIGN_OR_RAISE(arr, arrow::MakeArrayOfNull(out_.schema->field(j)->type(), n));
      }
      columns.push_back(std::move(arr));
    }
    *out = arrow::RecordBatch::Make(out_.schema, n, std::move(columns));
    remaining_ -= n;
    if (out_.counters) out_.counters->Add(n);
    return Status::OK();
  }

 private:
  MorselOutput out_;
  int64_t remaining_;
};

bool IsSignedInt(arrow::Type::type t) {
  return t == arrow::Type::INT8 || t == arrow::Type::INT16 || t == arrow::Type::INT32 ||
         t == arrow::Type::INT64;
}
bool IsUnsignedInt(arrow::Type::type t) {
  return t == arrow::Type::UINT8 || t == arrow::Type::UINT16 || t == arrow::Type::UINT32 ||
         t == arrow::Type::UINT64;
}

}  // namespace

std::shared_ptr<arrow::RecordBatchReader> MakeAdaptedReader(
    std::shared_ptr<arrow::RecordBatchReader> source, MorselOutput out,
    std::shared_ptr<void> keep_alive) {
  return std::make_shared<AdaptedReader>(std::move(source), std::move(out),
                                         std::move(keep_alive));
}

std::shared_ptr<arrow::RecordBatchReader> MakeConstantReader(MorselOutput out,
                                                             int64_t num_rows) {
  return std::make_shared<ConstantReader>(std::move(out), num_rows);
}

std::shared_ptr<arrow::RecordBatchReader> MakeBatchVectorReader(
    std::shared_ptr<arrow::Schema> schema,
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches) {
  return *arrow::RecordBatchReader::Make(std::move(batches), std::move(schema));
}

std::shared_ptr<arrow::DataType> NormalizeType(const std::shared_ptr<arrow::DataType>& type) {
  switch (type->id()) {
    case arrow::Type::DICTIONARY:
      return NormalizeType(
          static_cast<const arrow::DictionaryType&>(*type).value_type());
    case arrow::Type::STRING_VIEW:
      return arrow::utf8();
    case arrow::Type::BINARY_VIEW:
      return arrow::binary();
    default:
      return type;
  }
}

std::shared_ptr<arrow::Schema> NormalizeSchema(const std::shared_ptr<arrow::Schema>& schema) {
  arrow::FieldVector fields;
  bool changed = false;
  for (const auto& f : schema->fields()) {
    auto t = NormalizeType(f->type());
    if (t != f->type()) changed = true;
    fields.push_back(t == f->type() ? f : f->WithType(t));
  }
  return changed ? arrow::schema(std::move(fields), schema->metadata()) : schema;
}

bool IsCompatibleType(const std::shared_ptr<arrow::DataType>& from_raw,
                      const std::shared_ptr<arrow::DataType>& to) {
  auto from = NormalizeType(from_raw);
  if (from->Equals(*to)) return true;
  auto f = from->id(), t = to->id();
  if (f == arrow::Type::NA) return true;
  auto width = [](const arrow::DataType& dt) { return dt.byte_width(); };
  if (IsSignedInt(f) && IsSignedInt(t)) return width(*from) <= width(*to);
  if (IsUnsignedInt(f) && IsUnsignedInt(t)) return width(*from) <= width(*to);
  if (IsUnsignedInt(f) && IsSignedInt(t)) return width(*from) < width(*to);
  if ((IsSignedInt(f) || IsUnsignedInt(f)) &&
      (t == arrow::Type::DOUBLE || t == arrow::Type::FLOAT)) {
    return true;
  }
  if (f == arrow::Type::FLOAT && t == arrow::Type::DOUBLE) return true;
  auto stringish = [](arrow::Type::type x) {
    return x == arrow::Type::STRING || x == arrow::Type::LARGE_STRING;
  };
  auto binaryish = [](arrow::Type::type x) {
    return x == arrow::Type::BINARY || x == arrow::Type::LARGE_BINARY;
  };
  if (stringish(f) && stringish(t)) return true;
  if (binaryish(f) && binaryish(t)) return true;
  if (f == arrow::Type::TIMESTAMP && t == arrow::Type::TIMESTAMP) return true;
  if (f == arrow::Type::DATE32 && t == arrow::Type::DATE64) return true;
  return false;
}

Result<std::shared_ptr<arrow::Schema>> ProjectSchema(const arrow::Schema& schema,
                                                     const std::vector<int>& columns) {
  arrow::FieldVector fields;
  for (int c : columns) {
    if (c < 0 || c >= schema.num_fields()) {
      return Status::IndexError("scan column index ", c, " out of range for a table of ",
                                schema.num_fields(), " columns");
    }
    fields.push_back(schema.field(c));
  }
  return arrow::schema(std::move(fields));
}

}  // namespace shoal
