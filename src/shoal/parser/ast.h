// The abstract syntax tree produced by Shoal's SQL parser.
//
// Every node carries the source location of its first token so that binder
// errors can point at the text the user wrote. Nodes own their children with
// unique_ptr; the tree is immutable after parsing (the binder only reads it).
// The same tree can be printed back as SQL (printer.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace shoal::ast {

/// A position in the SQL text: 1-based line and column, 0-based byte offset.
struct SourceLocation {
  int32_t line = 0;
  int32_t column = 0;
  int32_t offset = -1;  ///< -1 when unknown (synthesized nodes)
  bool known() const { return offset >= 0; }
};

/// An identifier as written. `quoted` is true for "Name" (case is kept; unquoted
/// names are folded by the binder depending on the session setting).
struct Identifier {
  std::string name;
  bool quoted = false;
  SourceLocation loc;
};

/// A possibly qualified name: catalog.schema.table or table.column.
struct QualifiedName {
  std::vector<Identifier> parts;
  SourceLocation loc() const { return parts.empty() ? SourceLocation{} : parts.front().loc; }
};

/// A type as written: name in lower case ("decimal", "varchar", "timestamp"),
/// numeric parameters, and extras. "timestamp with time zone" -> name "timestamptz".
/// Array types: `element` set and name "list" (INT[] or LIST<INT>).
/// Synonyms are NOT unified: "int", "integer", "int4" arrive as written (lower-cased);
/// only multi-word spellings are canonical: "double precision" -> "double",
/// "character varying" -> "varchar", "character" -> "char", "time with time zone" -> "timetz".
struct TypeName {
  std::string name;
  std::vector<int64_t> params;
  std::unique_ptr<TypeName> element;  ///< for list types
  SourceLocation loc;
};

struct Query;  // forward
struct WindowSpec;

// ---------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------

enum class ExprKind {
  kColumnRef,     ///< a, t.a, s.t.a
  kStar,          ///< * or t.*  (only in select lists and count(*))
  kLiteral,       ///< 1, 'x', TRUE, NULL, DATE '2020-01-01', INTERVAL '1' DAY
  kParameter,     ///< $1 or ?
  kFunction,      ///< f(args) incl. aggregates and window calls (with `over`)
  kUnary,         ///< NOT x, -x, +x
  kBinary,        ///< arithmetic, comparison, AND/OR, ||
  kCast,          ///< CAST(x AS t), TRY_CAST(x AS t), x::t
  kCase,          ///< CASE [operand] WHEN ... THEN ... [ELSE ...] END
  kBetween,       ///< x [NOT] BETWEEN a AND b
  kInList,        ///< x [NOT] IN (a, b, c)
  kInSubquery,    ///< x [NOT] IN (SELECT ...)
  kExists,        ///< [NOT] EXISTS (SELECT ...)
  kSubquery,      ///< (SELECT ...) as a scalar
  kQuantified,    ///< x = ANY (SELECT ...), x > ALL (SELECT ...)
  kIsNull,        ///< x IS [NOT] NULL
  kIsBool,        ///< x IS [NOT] TRUE / FALSE / UNKNOWN
  kIsDistinctFrom,///< x IS [NOT] DISTINCT FROM y
  kLike,          ///< x [NOT] LIKE/ILIKE p [ESCAPE e]
  kArray,         ///< [a, b] or ARRAY[a, b]
};

struct Expr {
  explicit Expr(ExprKind k) : kind(k) {}
  virtual ~Expr() = default;
  ExprKind kind;
  SourceLocation loc;
};
using ExprPtr = std::unique_ptr<Expr>;

struct ColumnRefExpr : Expr {
  ColumnRefExpr() : Expr(ExprKind::kColumnRef) {}
  QualifiedName name;  ///< last part is the column
};

struct StarExpr : Expr {
  StarExpr() : Expr(ExprKind::kStar) {}
  std::optional<QualifiedName> qualifier;  ///< t.*  (none for *)
  std::vector<Identifier> exclude;         ///< * EXCLUDE (a, b)
};

enum class LiteralKind {
  kNull,
  kBool,
  kInteger,   ///< text holds the digits (may exceed int64: binder picks a type)
  kDecimal,   ///< 1.5, 1e3: text holds the number as written
  kString,    ///< 'abc' with quotes removed and '' unescaped
  kTyped,     ///< DATE '...', TIME '...', TIMESTAMP '...': type_name + text
  kInterval,  ///< INTERVAL '3' DAY / INTERVAL '1 day 2 hours': text + unit (may be empty)
};

struct LiteralExpr : Expr {
  LiteralExpr() : Expr(ExprKind::kLiteral) {}
  LiteralKind literal_kind = LiteralKind::kNull;
  std::string text;       ///< value text (see LiteralKind)
  bool bool_value = false;
  std::string type_name;  ///< for kTyped: "date", "time", "timestamp", "timestamptz"
  std::string unit;       ///< for kInterval: "year", "month", "day", "hour", ... or ""
  std::string unit_to;    ///< INTERVAL '1-2' YEAR TO MONTH: "month"
};

struct ParameterExpr : Expr {
  ParameterExpr() : Expr(ExprKind::kParameter) {}
  int index = 0;  ///< 1-based
};

/// A sort key: used by ORDER BY, window specs and ordered aggregates.
struct OrderByItem {
  ExprPtr expr;
  bool ascending = true;
  std::optional<bool> nulls_first;  ///< unset: engine default (NULLS LAST for ASC)
};

/// A call. The name is as written (case kept); special syntaxes arrive as plain calls
/// with lower-case names: EXTRACT(f FROM e) -> date_part('f', e), SUBSTRING(s FROM a FOR b)
/// -> substring(s, a, b), POSITION(a IN b) -> strpos(b, a), TRIM(LEADING c FROM s) ->
/// ltrim(s, c) (btrim/rtrim likewise), CURRENT_DATE -> current_date() with no args.
struct FunctionExpr : Expr {
  FunctionExpr() : Expr(ExprKind::kFunction) {}
  QualifiedName name;
  std::vector<ExprPtr> args;
  bool distinct = false;          ///< count(DISTINCT x)
  bool star = false;              ///< count(*)
  std::vector<OrderByItem> order_by;  ///< string_agg(x, ',' ORDER BY y)
  ExprPtr filter;                 ///< FILTER (WHERE ...)
  bool ignore_nulls = false;      ///< lag(x) IGNORE NULLS
  std::unique_ptr<WindowSpec> over;   ///< OVER (...) or OVER w
};

enum class UnaryOp { kNot, kMinus, kPlus };

/// NOT x, -x, +x. A negative number literal arrives as kMinus over the positive literal.
struct UnaryExpr : Expr {
  UnaryExpr() : Expr(ExprKind::kUnary) {}
  UnaryOp op = UnaryOp::kNot;
  ExprPtr operand;
};

enum class BinaryOp {
  kAdd, kSub, kMul, kDiv, kMod, kConcat,
  kEq, kNotEq, kLt, kLtEq, kGt, kGtEq,
  kAnd, kOr,
};

/// Return the SQL spelling of `op` ("+", "<>", "AND", ...).
const char* BinaryOpToString(BinaryOp op);

struct BinaryExpr : Expr {
  BinaryExpr() : Expr(ExprKind::kBinary) {}
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr left, right;
};

struct CastExpr : Expr {
  CastExpr() : Expr(ExprKind::kCast) {}
  ExprPtr operand;
  TypeName type;
  bool try_cast = false;
  bool double_colon = false;  ///< written as x::t (kept for printing)
};

struct CaseExpr : Expr {
  CaseExpr() : Expr(ExprKind::kCase) {}
  ExprPtr operand;  ///< CASE x WHEN ... (null for searched CASE)
  std::vector<std::pair<ExprPtr, ExprPtr>> when_then;
  ExprPtr else_expr;  ///< may be null
};

struct BetweenExpr : Expr {
  BetweenExpr() : Expr(ExprKind::kBetween) {}
  ExprPtr operand, low, high;
  bool negated = false;
};

struct InListExpr : Expr {
  InListExpr() : Expr(ExprKind::kInList) {}
  ExprPtr operand;
  std::vector<ExprPtr> list;
  bool negated = false;
};

struct InSubqueryExpr : Expr {
  InSubqueryExpr() : Expr(ExprKind::kInSubquery) {}
  ExprPtr operand;
  std::unique_ptr<Query> subquery;
  bool negated = false;
};

struct ExistsExpr : Expr {
  ExistsExpr() : Expr(ExprKind::kExists) {}
  std::unique_ptr<Query> subquery;
  bool negated = false;
};

struct SubqueryExpr : Expr {
  SubqueryExpr() : Expr(ExprKind::kSubquery) {}
  std::unique_ptr<Query> subquery;
};

struct QuantifiedExpr : Expr {
  QuantifiedExpr() : Expr(ExprKind::kQuantified) {}
  ExprPtr operand;
  BinaryOp op = BinaryOp::kEq;  ///< a comparison
  bool all = false;             ///< ALL; otherwise ANY/SOME
  std::unique_ptr<Query> subquery;
};

struct IsNullExpr : Expr {
  IsNullExpr() : Expr(ExprKind::kIsNull) {}
  ExprPtr operand;
  bool negated = false;  ///< IS NOT NULL
};

struct IsBoolExpr : Expr {
  IsBoolExpr() : Expr(ExprKind::kIsBool) {}
  ExprPtr operand;
  std::optional<bool> value;  ///< true, false, or unset for UNKNOWN
  bool negated = false;
};

struct IsDistinctFromExpr : Expr {
  IsDistinctFromExpr() : Expr(ExprKind::kIsDistinctFrom) {}
  ExprPtr left, right;
  bool negated = false;  ///< IS NOT DISTINCT FROM
};

struct LikeExpr : Expr {
  LikeExpr() : Expr(ExprKind::kLike) {}
  ExprPtr operand, pattern, escape;  ///< escape may be null
  bool case_insensitive = false;     ///< ILIKE
  bool negated = false;
};

struct ArrayExpr : Expr {
  ArrayExpr() : Expr(ExprKind::kArray) {}
  std::vector<ExprPtr> elements;
};

// ---------------------------------------------------------------------------
// Windows
// ---------------------------------------------------------------------------

enum class FrameUnit { kRows, kRange, kGroups };
enum class FrameBoundKind { kUnboundedPreceding, kPreceding, kCurrentRow, kFollowing,
                            kUnboundedFollowing };

struct FrameBound {
  FrameBoundKind kind = FrameBoundKind::kCurrentRow;
  ExprPtr offset;  ///< for kPreceding / kFollowing
};

struct WindowFrame {
  FrameUnit unit = FrameUnit::kRange;
  FrameBound start, end;
};

struct WindowSpec {
  std::optional<Identifier> name;        ///< OVER w, or the base window in (w ORDER BY ...)
  std::vector<ExprPtr> partition_by;
  std::vector<OrderByItem> order_by;
  std::optional<WindowFrame> frame;
  SourceLocation loc;
};

// ---------------------------------------------------------------------------
// FROM clause
// ---------------------------------------------------------------------------

enum class TableRefKind { kBaseTable, kSubquery, kJoin, kTableFunction, kValues };

struct TableRef {
  explicit TableRef(TableRefKind k) : kind(k) {}
  virtual ~TableRef() = default;
  TableRefKind kind;
  std::optional<Identifier> alias;
  std::vector<Identifier> column_aliases;  ///< AS t(a, b)
  SourceLocation loc;
};
using TableRefPtr = std::unique_ptr<TableRef>;

/// Time travel on a table reference (Delta and friends).
struct TimeTravel {
  enum Kind { kVersion, kTimestamp } kind = kVersion;
  ExprPtr value;
};

struct BaseTableRef : TableRef {
  BaseTableRef() : TableRef(TableRefKind::kBaseTable) {}
  QualifiedName name;
  /// Set when the table was written as a string: FROM 'data/x.parquet' (`name` is empty).
  bool is_path = false;
  std::string path;
  std::optional<TimeTravel> time_travel;  ///< VERSION AS OF n / TIMESTAMP AS OF '...'
};

struct SubqueryRef : TableRef {
  SubqueryRef() : TableRef(TableRefKind::kSubquery) {}
  std::unique_ptr<Query> query;
  bool lateral = false;
};

enum class JoinType { kInner, kLeft, kRight, kFull, kCross, kSemi, kAnti };

struct JoinRef : TableRef {
  JoinRef() : TableRef(TableRefKind::kJoin) {}
  JoinType join_type = JoinType::kInner;
  TableRefPtr left, right;
  ExprPtr condition;                 ///< ON ...
  std::vector<Identifier> using_columns;  ///< USING (a, b)
  bool natural = false;
};

struct TableFunctionRef : TableRef {
  TableFunctionRef() : TableRef(TableRefKind::kTableFunction) {}
  QualifiedName name;
  std::vector<ExprPtr> args;
  bool lateral = false;  ///< written with LATERAL (table functions may see earlier FROM items)
};

struct ValuesRef : TableRef {
  ValuesRef() : TableRef(TableRefKind::kValues) {}
  std::vector<std::vector<ExprPtr>> rows;
};

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

struct SelectItem {
  ExprPtr expr;                     ///< may be a StarExpr
  std::optional<Identifier> alias;
};

enum class GroupingKind { kPlain, kGroupingSets, kRollup, kCube, kAll };

/// One element of GROUP BY: plain expressions, or a GROUPING SETS/ROLLUP/CUBE item.
struct GroupingElement {
  GroupingKind kind = GroupingKind::kPlain;
  std::vector<ExprPtr> exprs;                  ///< kPlain (one expr), kRollup, kCube
  std::vector<std::vector<ExprPtr>> sets;      ///< kGroupingSets
  SourceLocation loc;
};

struct NamedWindow {
  Identifier name;
  std::unique_ptr<WindowSpec> spec;
};

enum class QueryNodeKind { kSelect, kSetOperation, kValues };

struct QueryNode {
  explicit QueryNode(QueryNodeKind k) : kind(k) {}
  virtual ~QueryNode() = default;
  QueryNodeKind kind;
  SourceLocation loc;
};
using QueryNodePtr = std::unique_ptr<QueryNode>;

struct SelectNode : QueryNode {
  SelectNode() : QueryNode(QueryNodeKind::kSelect) {}
  bool distinct = false;
  std::vector<ExprPtr> distinct_on;  ///< DISTINCT ON (...)
  std::vector<SelectItem> select_list;
  TableRefPtr from;                  ///< null for SELECT without FROM; comma joins become kCross JoinRefs
  ExprPtr where;
  std::vector<GroupingElement> group_by;  ///< empty: no GROUP BY
  ExprPtr having;
  std::vector<NamedWindow> windows;  ///< WINDOW w AS (...)
  ExprPtr qualify;
};

enum class SetOpKind { kUnion, kIntersect, kExcept };

struct SetOperationNode : QueryNode {
  SetOperationNode() : QueryNode(QueryNodeKind::kSetOperation) {}
  SetOpKind op = SetOpKind::kUnion;
  bool all = false;
  bool by_name = false;  ///< UNION [ALL] BY NAME
  std::unique_ptr<Query> left, right;
};

struct ValuesNode : QueryNode {
  ValuesNode() : QueryNode(QueryNodeKind::kValues) {}
  std::vector<std::vector<ExprPtr>> rows;
};

struct CommonTableExpr {
  Identifier name;
  std::vector<Identifier> column_names;
  std::unique_ptr<Query> query;
  std::optional<bool> materialized;  ///< AS [NOT] MATERIALIZED
};

/// A full query: WITH, a body, ORDER BY, LIMIT/OFFSET.
struct Query {
  bool recursive = false;
  std::vector<CommonTableExpr> ctes;
  QueryNodePtr body;
  std::vector<OrderByItem> order_by;
  ExprPtr limit;   ///< null: no limit (LIMIT ALL also null)
  ExprPtr offset;
  SourceLocation loc;
};

// ---------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------

enum class StatementKind {
  kSelect, kInsert, kCreateTable, kCreateView, kCreateExternalTable, kDrop,
  kShowTables, kShowVariable, kDescribe, kExplain, kSet, kReset, kCopy,
  kDelete, kUpdate,
  kMerge,
  kDeltaMaintenance,  ///< ALTER TABLE, RESTORE, OPTIMIZE, VACUUM, FSCK (Delta tables)
};

struct Statement {
  explicit Statement(StatementKind k) : kind(k) {}
  virtual ~Statement() = default;
  StatementKind kind;
  SourceLocation loc;
  /// The statement's text span in the input, for messages and history.
  int32_t text_begin = 0, text_end = 0;
};
using StatementPtr = std::unique_ptr<Statement>;

struct SelectStatement : Statement {
  SelectStatement() : Statement(StatementKind::kSelect) {}
  std::unique_ptr<Query> query;
};

struct InsertStatement : Statement {
  InsertStatement() : Statement(StatementKind::kInsert) {}
  QualifiedName table;
  std::vector<Identifier> columns;  ///< empty: all, in table order
  std::unique_ptr<Query> query;     ///< VALUES are a Query with a ValuesNode body
  bool overwrite = false;           ///< INSERT OVERWRITE
  ExprPtr replace_where;            ///< INSERT INTO t REPLACE WHERE pred (Delta)
};

struct ColumnDef {
  Identifier name;
  TypeName type;
  bool not_null = false;
  ExprPtr default_value;
  ExprPtr generated;    ///< GENERATED ALWAYS AS (expr)
  SourceLocation loc;
};

/// A key/value option: OPTIONS ('k' 'v'), OPTIONS (k = 'v'), TBLPROPERTIES ('k' = 'v').
struct OptionItem {
  std::string key;
  std::string value;
  SourceLocation loc;
};

struct CreateTableStatement : Statement {
  CreateTableStatement() : Statement(StatementKind::kCreateTable) {}
  QualifiedName name;
  bool or_replace = false;
  bool if_not_exists = false;
  bool temporary = false;
  std::vector<ColumnDef> columns;
  std::unique_ptr<Query> as_query;        ///< CREATE TABLE t AS SELECT ...
  std::string using_format;               ///< USING DELTA / USING PARQUET (lower case)
  std::vector<Identifier> partitioned_by;
  std::optional<std::string> location;
  std::vector<OptionItem> properties;     ///< TBLPROPERTIES / OPTIONS
  /// CHECK constraints declared inline: name (may be empty) and expression.
  std::vector<std::pair<std::string, ExprPtr>> checks;
};

struct CreateViewStatement : Statement {
  CreateViewStatement() : Statement(StatementKind::kCreateView) {}
  QualifiedName name;
  bool or_replace = false;
  bool if_not_exists = false;
  std::vector<Identifier> columns;
  std::unique_ptr<Query> query;
  std::string query_text;  ///< the view body as written (kept for DESCRIBE / persistence)
};

/// CREATE [OR REPLACE] [UNBOUNDED] EXTERNAL TABLE [IF NOT EXISTS] name [(cols)]
/// STORED AS fmt [PARTITIONED BY (..)] [WITH ORDER (..)] [OPTIONS (..)] LOCATION 'p'
struct CreateExternalTableStatement : Statement {
  CreateExternalTableStatement() : Statement(StatementKind::kCreateExternalTable) {}
  QualifiedName name;
  bool or_replace = false;
  bool if_not_exists = false;
  bool unbounded = false;
  std::vector<ColumnDef> columns;
  std::string stored_as;  ///< upper case as DataFusion: PARQUET, CSV, JSON, ARROW, DELTATABLE, ...
  /// PARTITIONED BY: either names of declared columns, or new `name type` columns.
  std::vector<ColumnDef> partitioned_by;
  std::vector<std::vector<OrderByItem>> with_order;
  std::vector<OptionItem> options;
  std::string location;
};

enum class DropKind { kTable, kView };

struct DropStatement : Statement {
  DropStatement() : Statement(StatementKind::kDrop) {}
  DropKind object = DropKind::kTable;
  std::vector<QualifiedName> names;
  bool if_exists = false;
};

struct ShowTablesStatement : Statement {
  ShowTablesStatement() : Statement(StatementKind::kShowTables) {}
};

/// SHOW ALL, SHOW key, SHOW COLUMNS FROM t is a DESCRIBE.
struct ShowVariableStatement : Statement {
  ShowVariableStatement() : Statement(StatementKind::kShowVariable) {}
  std::string name;  ///< "all" for SHOW ALL
};

struct DescribeStatement : Statement {
  DescribeStatement() : Statement(StatementKind::kDescribe) {}
  QualifiedName table;             ///< DESCRIBE t
  std::unique_ptr<Query> query;    ///< DESCRIBE SELECT ... (table empty)
  bool history = false;            ///< DESCRIBE HISTORY t (Delta)
  std::optional<int64_t> history_limit;  ///< DESCRIBE HISTORY t LIMIT n
};

struct ExplainStatement : Statement {
  ExplainStatement() : Statement(StatementKind::kExplain) {}
  bool analyze = false;
  bool verbose = false;
  std::string format;  ///< FORMAT TEXT | JSON | ... (lower case; empty = default)
  StatementPtr statement;
};

struct SetStatement : Statement {
  SetStatement() : Statement(StatementKind::kSet) {}
  std::string name;   ///< dotted key as written, lower-cased
  std::string value;  ///< literal value as text (strings unquoted)
  bool local = false;
};

struct ResetStatement : Statement {
  ResetStatement() : Statement(StatementKind::kReset) {}
  std::string name;  ///< "all" for RESET ALL
};

/// COPY (query) TO 'path' [STORED AS fmt] [PARTITIONED BY (..)] [OPTIONS (..)]
/// COPY table TO 'path' ...
struct CopyStatement : Statement {
  CopyStatement() : Statement(StatementKind::kCopy) {}
  std::unique_ptr<Query> query;  ///< null when copying a table
  QualifiedName table;
  std::string path;
  std::string stored_as;
  std::vector<Identifier> partitioned_by;
  std::vector<OptionItem> options;
};

struct DeleteStatement : Statement {
  DeleteStatement() : Statement(StatementKind::kDelete) {}
  QualifiedName table;
  std::optional<Identifier> alias;  ///< DELETE FROM t AS x
  ExprPtr where;
};

struct UpdateStatement : Statement {
  UpdateStatement() : Statement(StatementKind::kUpdate) {}
  QualifiedName table;
  std::optional<Identifier> alias;  ///< UPDATE t AS x SET ...
  std::vector<std::pair<Identifier, ExprPtr>> assignments;
  ExprPtr where;
};

/// One WHEN clause of MERGE.
struct MergeClause {
  enum Match { kMatched, kNotMatched, kNotMatchedBySource } match = kMatched;
  enum Action { kUpdate, kUpdateAll, kDelete, kInsert, kInsertAll } action = kUpdate;
  ExprPtr condition;  ///< WHEN ... AND condition (null: none)
  std::vector<std::pair<Identifier, ExprPtr>> assignments;  ///< UPDATE SET c = e
  std::vector<Identifier> insert_columns;  ///< INSERT (cols); empty: all, in table order
  std::vector<ExprPtr> insert_values;      ///< VALUES (...)
  SourceLocation loc;
};

/// MERGE INTO target [AS x] USING source [AS s] ON cond WHEN ... (Delta tables).
struct MergeStatement : Statement {
  MergeStatement() : Statement(StatementKind::kMerge) {}
  QualifiedName target;
  std::optional<Identifier> target_alias;
  TableRefPtr source;  ///< a table, subquery, VALUES or table function, with its alias
  ExprPtr on;
  std::vector<MergeClause> clauses;
};

/// Maintenance of Delta tables (parser_delta_maint.cc):
///   ALTER TABLE t ADD COLUMNS (c type, ...) | SET TBLPROPERTIES ('k' = 'v', ...)
///     | UNSET TBLPROPERTIES [IF EXISTS] ('k', ...) | ADD CONSTRAINT name CHECK (expr)
///     | DROP CONSTRAINT [IF EXISTS] name
///   RESTORE [TABLE] t TO VERSION AS OF n | TO TIMESTAMP AS OF 'ts'
///   OPTIMIZE t [WHERE pred] [ZORDER BY (c, ...)]
///   VACUUM t [RETAIN n HOURS] [DRY RUN]
///   FSCK REPAIR TABLE t [DRY RUN]
/// The table is a name or a quoted path ('dir' or delta.`dir`).
struct DeltaMaintenanceStatement : Statement {
  enum class Op {
    kAddColumns, kSetProperties, kUnsetProperties, kAddConstraint, kDropConstraint,
    kRestore, kOptimize, kVacuum, kFsck,
  };
  DeltaMaintenanceStatement() : Statement(StatementKind::kDeltaMaintenance) {}
  Op op = Op::kVacuum;
  QualifiedName table;              ///< empty when `path` is given
  std::optional<std::string> path;  ///< 'dir' or delta.`dir`
  std::vector<ColumnDef> columns;   ///< ADD COLUMNS
  std::vector<OptionItem> properties;
  std::vector<std::string> keys;    ///< UNSET TBLPROPERTIES
  bool if_exists = false;
  Identifier constraint_name;
  ExprPtr expr;                     ///< CHECK expression / OPTIMIZE WHERE
  std::vector<Identifier> zorder_by;
  std::optional<int64_t> version;   ///< RESTORE ... VERSION AS OF
  std::optional<std::string> timestamp;  ///< RESTORE ... TIMESTAMP AS OF
  std::optional<double> retain_hours;
  bool dry_run = false;
};

}  // namespace shoal::ast
