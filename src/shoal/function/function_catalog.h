// SQL functions: name resolution, type coercion and how each function runs.
//
// Scalar functions run as arrow::compute functions. The catalog owns a
// FunctionRegistry whose parent is Arrow's default registry, with Shoal's own
// kernels added (string, date and math functions Arrow lacks, faster DECIMAL
// arithmetic and sum/avg). It also shadows two Arrow functions with the same
// names, options and results: "match_like" and "is_in" run faster utf8
// kernels for case-sensitive patterns without `_` and for small IN lists
// (string_match_kernels.cc); lookups through Arrow's default registry still
// find Arrow's. Binding a call
// picks the function, the argument types it needs (the binder inserts casts) and
// the options (constant arguments such as LIKE patterns become options).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/compute/function_options.h>
#include <arrow/compute/registry.h>
#include <arrow/compute/type_fwd.h>
#include <arrow/datum.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/common/status.h"

namespace shoal {

/// One argument of a call being bound: its type and, when it is a constant, its value.
struct ScalarArg {
  std::shared_ptr<arrow::DataType> type;
  std::shared_ptr<arrow::Scalar> literal;  ///< set when the argument is a constant
};

/// How to run a bound scalar call.
///
/// Conventions the binder relies on (see FunctionCatalog::BindScalar):
/// - Casts: cast argument `arg_indices[i]` to `arg_types[i]` (arrow Cast or
///   CastValue below), then call `function` with those values and `options`.
/// - Calls with no passed arguments (random(), pi(), now(), current_date) must
///   be executed with the batch length: ExecuteScalar() below does this
///   (arrow::compute::CallFunction with no arguments would give one row).
/// - Constant arguments that Arrow needs as options (LIKE patterns, date parts,
///   trim characters, ...) are folded into `options` and left out of arg_indices.
struct BoundScalarFunction {
  /// Name in FunctionCatalog::registry() to call.
  std::string function;
  /// Which of the original arguments are passed to `function`, in order (others
  /// were folded into `options`, e.g. a LIKE pattern).
  std::vector<int> arg_indices;
  /// The type each passed argument must be cast to (same length as arg_indices).
  std::vector<std::shared_ptr<arrow::DataType>> arg_types;
  std::shared_ptr<arrow::compute::FunctionOptions> options;
  std::shared_ptr<arrow::DataType> return_type;
  bool is_volatile = false;  ///< random(), now(): never constant-folded
};

/// How the executor computes an aggregate.
enum class AggregateImpl {
  kArrowHash,   ///< an Arrow "hash_*" kernel named in `hash_function`
  kShoal,       ///< `hash_function` then Shoal's finishing step (FinalizeAggregate)
};

/// A bound aggregate call.
///
/// How the executor runs one (per group):
/// 1. Cast the arguments listed in `arg_indices` to `arg_types` (count(*) has none).
/// 2. If `distinct_input`, feed only distinct (group keys, argument) pairs
///    (sum(DISTINCT x), avg(DISTINCT x), ...; count(DISTINCT x) needs no such
///    step: it binds to hash_count_distinct).
/// 3. Run the Arrow hash aggregate `hash_function` with `options`. The
///    "ordered" kernels (hash_first, hash_last, hash_list) see rows in input
///    order: run them in order (ORDER BY in the aggregate: sort the input first).
/// 4. Call FinalizeAggregate() on its output: for kShoal it computes the SQL
///    result from the hash_list output (string_agg joins the non-null strings
///    with `separator`, NULL when there are none; median is the exact median
///    as DOUBLE); with `cast_result` it casts to `return_type`.
/// Aggregates of no rows / only NULLs are NULL (options carry min_count = 1),
/// except count / count_if (0).
/// Known limits: Arrow's hash_sum does not detect integer overflow (wraps).
/// approx_distinct is computed exactly (hash_count_distinct).
struct BoundAggregate {
  std::string name;  ///< canonical lower-case SQL name ("count", "sum", "median", ...)
  AggregateImpl impl = AggregateImpl::kArrowHash;
  std::string hash_function;  ///< e.g. "hash_sum", "hash_count_distinct"
  std::shared_ptr<arrow::compute::FunctionOptions> options;
  std::vector<std::shared_ptr<arrow::DataType>> arg_types;  ///< cast arguments to these
  std::shared_ptr<arrow::DataType> return_type;
  /// When set, the hash kernel's output must be cast to return_type (e.g. to
  /// match SQL's result type). FinalizeAggregate does this.
  bool cast_result = false;
  /// Which original arguments are passed to hash_function (string_agg's
  /// constant separator is not); same length as arg_types.
  std::vector<int> arg_indices;
  /// Feed distinct (group, argument) pairs only (see above).
  bool distinct_input = false;
  /// kShoal finishing step: "string_agg" or "median" (empty for kArrowHash).
  std::string finalize;
  /// string_agg's separator.
  std::string separator;
};

/// Turn the output of `agg.hash_function` (one value per group) into the SQL
/// result: runs the kShoal finishing step and/or the result cast. Returns the
/// input unchanged when there is nothing to do. `ctx` may be null.
Result<arrow::Datum> FinalizeAggregate(const BoundAggregate& agg, const arrow::Datum& hash_output,
                                       arrow::compute::ExecContext* ctx = nullptr);

/// A bound window function (ranking/value functions; aggregates over windows use
/// BindAggregate).
struct BoundWindowFunction {
  std::string name;
  std::vector<std::shared_ptr<arrow::DataType>> arg_types;
  std::shared_ptr<arrow::DataType> return_type;
};

/// The function catalog. Thread-safe; one process-wide instance.
class FunctionCatalog {
 public:
  /// Return the process-wide catalog (initializes Arrow compute on first use).
  static const FunctionCatalog& Get();

  /// The registry holding every scalar function the executor may call.
  arrow::compute::FunctionRegistry* registry() const;

  /// Return true for known scalar functions / aggregates / window-only functions.
  bool IsScalar(const std::string& name) const;
  bool IsAggregate(const std::string& name) const;
  bool IsWindow(const std::string& name) const;

  /// Bind a scalar call. `name` is a lower-case SQL function name ("substr",
  /// "date_trunc", "coalesce", ...) or one of the operator names the binder uses:
  ///   "+", "-", "*", "/", "%", "||", "=", "<>", "<", "<=", ">", ">=",
  ///   "and", "or", "not", "negate", "is_null", "is_not_null",
  ///   "is_distinct_from", "is_not_distinct_from", "like", "ilike",
  ///   "in_list" (args: operand, then the list items).
  /// Errors: unknown function (with close matches), wrong argument count or types
  /// ("function substr(integer) does not exist; candidates: substr(varchar, bigint[, bigint])").
  ///
  /// Operator and special-form arguments:
  /// - "like"/"ilike": (value, pattern[, escape]); a constant pattern becomes
  ///   MatchSubstringOptions of Arrow's match_like (ESCAPE is rewritten into Arrow's
  ///   backslash escapes; without ESCAPE the backslash escapes, like PostgreSQL);
  ///   a column pattern uses Shoal's own kernel. NOT LIKE: wrap in "not".
  /// - "in_list": (operand, item1, item2, ...). Every item must be a constant: the
  ///   result is Arrow's is_in with SQL null semantics (x IN (1, NULL) is NULL when
  ///   x is not 1; NULL IN (...) is NULL). When an item is not a constant this
  ///   returns Status::NotImplemented ("in_list: ... bind as OR of equals"): the
  ///   binder must then build `operand = item1 OR operand = item2 ...`.
  ///   NOT IN: wrap in "not".
  /// - "date_part"/"extract": (field, value) with a constant field ('year', ...);
  ///   the parser's EXTRACT(year FROM x) binds as date_part('year', x).
  /// - "strpos"/"position"/"instr": (string, substring); POSITION(a IN b) binds as
  ///   strpos(b, a). "substring" is substr; SUBSTRING(x FROM a FOR b) binds as
  ///   substr(x, a, b). TRIM(BOTH c FROM s) binds as btrim(s, c).
  /// - "now"/"current_timestamp"/"current_date": the value is taken at bind time
  ///   (one value per query) and carried in the options.
  /// - "+"/"-" with DATE and INTERVAL: DATE +/- a constant interval of months
  ///   and days only (INTERVAL '3' MONTH, INTERVAL '90' DAY) is a DATE (months
  ///   first, the day clamped to the end of the month, then days), so
  ///   `d < DATE '1994-01-01' + INTERVAL '1' YEAR` compares dates. This follows
  ///   DataFusion; PostgreSQL and DuckDB return a TIMESTAMP. An interval with a
  ///   time part, or an interval column, gives TIMESTAMP.
  /// - "+", "-", "*" on DECIMAL128 run Shoal's __int128 kernels with Arrow's exact
  ///   result types while they fit DECIMAL(38) (then no overflow is possible),
  ///   capped at DECIMAL(38) with the scale reduced otherwise (overflow errors
  ///   only there).
  /// - "cast"/"try_cast" are not functions here: use CastValue().
  Result<BoundScalarFunction> BindScalar(const std::string& name,
                                         const std::vector<ScalarArg>& args) const;

  /// Bind an aggregate; `distinct` for agg(DISTINCT x). count(*) has no
  /// arguments. string_agg(x, sep) needs a constant separator.
  Result<BoundAggregate> BindAggregate(const std::string& name,
                                       const std::vector<ScalarArg>& args,
                                       bool distinct) const;

  /// Bind a ranking/value window function (row_number, rank, lag, ...).
  /// arg_types: lag/lead (x, BIGINT offset, default of x's type); ntile (BIGINT);
  /// nth_value (x, BIGINT). Aggregates used as window functions go through
  /// BindAggregate instead.
  Result<BoundWindowFunction> BindWindow(const std::string& name,
                                         const std::vector<ScalarArg>& args) const;

  /// Return the type both `a` and `b` coerce to for comparison, UNION, CASE,
  /// COALESCE and IN (e.g. int32 + int64 -> int64, int + decimal -> decimal,
  /// date + timestamp -> timestamp, string vs date -> date); error when none.
  Result<std::shared_ptr<arrow::DataType>> CommonType(
      const std::shared_ptr<arrow::DataType>& a,
      const std::shared_ptr<arrow::DataType>& b) const;

  /// Return true when a value of `from` can be implicitly cast to `to`.
  bool CanImplicitlyCast(const std::shared_ptr<arrow::DataType>& from,
                         const std::shared_ptr<arrow::DataType>& to) const;

  /// Return every function name (for "did you mean" suggestions and SHOW FUNCTIONS).
  std::vector<std::string> AllNames() const;

 private:
  FunctionCatalog();
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// Cast `value` to `to` with SQL semantics: float/decimal -> integer and decimal ->
/// decimal with a smaller scale round half away from zero (Arrow would refuse to
/// truncate); out-of-range values and unparsable strings are errors naming the
/// value (Arrow's messages, e.g. "Failed to parse string: '1x' as a scalar of type
/// int32"); strings are trimmed of surrounding white space before parsing numbers.
/// With `try_cast`, values that fail become NULL instead (the cast is retried
/// element by element after a failure). `ctx` may be null (default context with
/// the catalog's registry).
Result<arrow::Datum> CastValue(const arrow::Datum& value,
                               const std::shared_ptr<arrow::DataType>& to, bool try_cast,
                               arrow::compute::ExecContext* ctx = nullptr);

/// Run a bound scalar call: cast each passed argument (`args` holds ALL original
/// arguments of the call, indexed like BindScalar's `args`; constants folded into
/// options may be null Datums) to its `arg_types`, call the function and return
/// the result. `num_rows` is the batch length, used when the call has no passed
/// arguments. `ctx` may be null (default context with the catalog's registry).
Result<arrow::Datum> ExecuteScalar(const BoundScalarFunction& bound,
                                   const std::vector<arrow::Datum>& args, int64_t num_rows,
                                   arrow::compute::ExecContext* ctx = nullptr);

/// Map a SQL type name (ast::TypeName fields) to an Arrow type: "integer" -> int32,
/// "bigint" -> int64, "decimal" (p, s) -> decimal128(p, s), "varchar" -> utf8,
/// "date" -> date32, "timestamp" -> timestamp(us), "timestamptz" -> timestamp(us, "UTC"),
/// "interval" -> month_day_nano_interval, "list" -> list(element), ...
Result<std::shared_ptr<arrow::DataType>> SqlTypeToArrow(const std::string& name,
                                                        const std::vector<int64_t>& params);

/// Return the SQL name of an Arrow type for messages and DESCRIBE ("BIGINT", "DECIMAL(15,2)").
std::string ArrowTypeToSql(const arrow::DataType& type);

/// Map a SQL type with an element type (ast::TypeName with `element` set: "list"
/// / "array") to an Arrow type; `element` is the already mapped element type.
/// For other names `element` must be null and this is the two-argument form.
Result<std::shared_ptr<arrow::DataType>> SqlTypeToArrow(
    const std::string& name, const std::vector<int64_t>& params,
    const std::shared_ptr<arrow::DataType>& element);

}  // namespace shoal
