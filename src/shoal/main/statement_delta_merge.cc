// MERGE INTO a Delta table, copy-on-write or with deletion vectors, computed by Shoal's own executor:
//   0. the source's row count and, when the ON condition has equalities
//      `target.k = source.c` (and no WHEN NOT MATCHED BY SOURCE clause), the
//      min / max of the source keys: `target.k BETWEEN min AND max` plus the ON
//      condition's comparisons of target columns with literals filter the
//      target, so the Delta scan skips files by partition values and statistics;
//      the Delta provider reports the min / max of the key columns from the
//      files' statistics, so the optimizer sees that the BETWEEN keeps most rows
//      and builds the join's hash table on the source;
//   1. scan: target (with a file index column and a per-scan row id) joined with
//      the source; each joined row gets the number of the first WHEN clause that
//      applies (per kind: matched, not matched, not matched by source; 0 for
//      none). Target rows an UPDATE / DELETE clause applies to name the touched
//      files; a target row matched by more than one source row is an error
//      (except with a single unconditional WHEN MATCHED THEN DELETE);
//   2. rewrite: the same join over the files read, keeping the rows of touched
//      files (updated or copied, deleted ones dropped) and the inserted source
//      rows, streamed into new files. For an upsert (one integer key, UPDATE SET *
//      and INSERT * without conditions) whose scan found no source row matching
//      two target rows, the rewrite is `touched target ANTI JOIN source UNION ALL
//      source` instead: no full join and no CASE per column;
//      With delta.enableDeletionVectors (DeletionVectorsEnabled) step 2 instead
//      joins only the touched files, scanned with physical row ids, with the
//      source: updated rows are written to new files and the positions of
//      updated and deleted rows marked in deletion vectors (merged with the
//      files' current ones, delta_dml_dv.cc); inserted rows come from the source
//      joined with the (pruned) target; untouched rows are not copied;
//   3. commit: removes of the touched files + adds (+ the touched files added
//      again with their new deletion vectors), operation MERGE.
#include <arrow/array.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/scalar.h>
#include <arrow/table.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "shoal/common/strings.h"
#include "shoal/delta/schema.h"
#include "shoal/function/function_catalog.h"
#include "shoal/main/delta_dml_internal.h"
#include "shoal/main/session_state.h"
#include "shoal/main/statement_util.h"
#include "shoal/optimizer/cardinality.h"
#include "shoal/parser/printer.h"

namespace shoal {
namespace dml {

namespace {

using Clause = ast::MergeClause;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Return the SQL literal for a key bound, or "" when it cannot be written.
std::string BoundLiteral(const arrow::Scalar& s) {
  if (!s.is_valid) return "";
  switch (s.type->id()) {
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
      return s.ToString();
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
      return QuoteString(s.ToString());
    case arrow::Type::DATE32:
      return "DATE " + QuoteString(s.ToString());
    default:
      return "";
  }
}

struct Side {
  std::string alias;
  std::vector<std::string> columns;
};

/// Which side a column reference belongs to: 0 target, 1 source, -1 unknown.
int SideOf(const ast::ColumnRefExpr& ref, bool fold, const Side& target, const Side& source,
           std::string* column) {
  auto folded = [&](const ast::Identifier& id) {
    return fold && !id.quoted ? ToLower(id.name) : id.name;
  };
  const auto& parts = ref.name.parts;
  *column = folded(parts.back());
  auto has = [&](const Side& s) {
    for (const auto& c : s.columns) {
      if (c == *column) return true;
    }
    return false;
  };
  if (parts.size() >= 2) {
    std::string q = folded(parts[parts.size() - 2]);
    if (q == target.alias && has(target)) return 0;
    if (q == source.alias && has(source)) return 1;
    return -1;
  }
  bool t = has(target), s = has(source);
  if (t && !s) return 0;
  if (s && !t) return 1;
  return -1;
}

void Conjuncts(const ast::Expr& e, std::vector<const ast::Expr*>* out) {
  if (e.kind == ast::ExprKind::kBinary) {
    const auto& b = static_cast<const ast::BinaryExpr&>(e);
    if (b.op == ast::BinaryOp::kAnd) {
      Conjuncts(*b.left, out);
      Conjuncts(*b.right, out);
      return;
    }
  }
  out->push_back(&e);
}

bool IsComparison(ast::BinaryOp op) {
  using B = ast::BinaryOp;
  return op == B::kEq || op == B::kNotEq || op == B::kLt || op == B::kLtEq || op == B::kGt ||
         op == B::kGtEq;
}

std::string JoinCodes(const std::vector<int>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::to_string(v[i]);
  return out;
}

std::string ClausesJson(const ast::MergeStatement& st, Clause::Match match) {
  delta::JsonValue arr = delta::JsonValue::Array();
  for (const auto& c : st.clauses) {
    if (c.match != match) continue;
    delta::JsonValue o = delta::JsonValue::Object();
    const char* type = c.action == Clause::kDelete ? "delete"
                       : (c.action == Clause::kInsert || c.action == Clause::kInsertAll)
                           ? "insert"
                           : "update";
    o.Add("actionType", delta::JsonValue::String(type));
    if (c.condition) o.Add("predicate", delta::JsonValue::String(ToSql(*c.condition)));
    arr.Append(std::move(o));
  }
  return arr.ToJson();
}

/// The widest source key range (max - min + 1) the upsert rewrite tracks in a bitmap.
constexpr double kUpsertKeySpan = double{1 << 27};

/// The target row ids seen, as one bitmap per scan morsel (a row id is the
/// morsel's ordinal << 40 plus the row's index in it: delta::DmlScanProvider).
class MatchedRows {
 public:
  /// Add `rid`; return false when it was there already.
  bool Insert(int64_t rid) {
    if (!last_ || (rid >> 40) != last_key_) {
      last_key_ = rid >> 40;
      last_ = &morsels_[last_key_];
    }
    auto& bits = *last_;
    uint64_t index = static_cast<uint64_t>(rid) & ((uint64_t{1} << 40) - 1);
    size_t word = index >> 6;
    if (word >= bits.size()) bits.resize(std::max(word + 1, bits.size() * 2), 0);
    uint64_t mask = uint64_t{1} << (index & 63);
    if (bits[word] & mask) return false;
    bits[word] |= mask;
    return true;
  }

 private:
  std::unordered_map<int64_t, std::vector<uint64_t>> morsels_;
  int64_t last_key_ = 0;
  std::vector<uint64_t>* last_ = nullptr;  // morsels_[last_key_]
};

}  // namespace

Result<std::shared_ptr<QueryResult>> ExecuteMerge(SessionState* state, std::string_view sql,
                                                  const ast::MergeStatement& st) {
  (void)sql;
  auto start = std::chrono::steady_clock::now();
  ARROW_ASSIGN_OR_RAISE(auto target, ResolveTarget(state, st.target, "MERGE"));
  std::string context = "MERGE INTO " + target.qualified;
  bool fold = state->settings().GetBool("shoal.sql.enable_ident_normalization");
  auto folded = [&](const ast::Identifier& id) {
    return fold && !id.quoted ? ToLower(id.name) : id.name;
  };
  const auto& schema = *target.snapshot->schema();
  Side tside{st.target_alias ? folded(*st.target_alias) : target.name.back(),
             schema.field_names()};

  // The source, its alias and columns.
  std::string src_sql = ToSql(*st.source);
  Side sside;
  if (st.source->alias) {
    sside.alias = folded(*st.source->alias);
  } else if (st.source->kind == ast::TableRefKind::kBaseTable &&
             !static_cast<const ast::BaseTableRef&>(*st.source).is_path) {
    sside.alias = folded(static_cast<const ast::BaseTableRef&>(*st.source).name.parts.back());
  } else {
    sside.alias = "source";
    src_sql += " AS " + QuoteIdent(sside.alias);
  }
  if (sside.alias == tside.alias) {
    return Status::Invalid(context, ": the target and the source are both called '",
                           tside.alias, "'; give one of them an alias (MERGE INTO t AS x ...)");
  }
  ARROW_ASSIGN_OR_RAISE(auto src_empty,
                        RunQuery(state, "SELECT * FROM " + src_sql + " LIMIT 0", context));
  sside.columns = src_empty->schema()->field_names();

  // Clause numbers by kind and action.
  std::vector<int> matched, not_matched, by_source, deletes, updates, inserts;
  for (size_t i = 0; i < st.clauses.size(); ++i) {
    const auto& c = st.clauses[i];
    int code = static_cast<int>(i) + 1;
    (c.match == Clause::kMatched      ? matched
     : c.match == Clause::kNotMatched ? not_matched
                                      : by_source)
        .push_back(code);
    if (c.action == Clause::kDelete) deletes.push_back(code);
    if (c.action == Clause::kUpdate || c.action == Clause::kUpdateAll) updates.push_back(code);
    if (c.action == Clause::kInsert || c.action == Clause::kInsertAll) inserts.push_back(code);
  }
  std::string T = QuoteIdent(tside.alias), S = QuoteIdent(sside.alias);
  auto group = [&](const std::vector<int>& codes) {
    if (codes.empty()) return std::string("0");
    // The first clause without a condition decides alone.
    if (!st.clauses[codes[0] - 1].condition) return std::to_string(codes[0]);
    std::string out = "CASE";
    for (int code : codes) {
      const auto& c = st.clauses[code - 1];
      out += " WHEN " + (c.condition ? "(" + ToSql(*c.condition) + ")" : std::string("TRUE")) +
             " THEN " + std::to_string(code);
    }
    return out + " ELSE 0 END";
  };
  std::string tmark = T + "." + QuoteIdent("__shoal_t");
  std::string smark = S + "." + QuoteIdent("__shoal_s");
  std::string act = "(CASE WHEN " + tmark + " AND " + smark + " THEN " + group(matched) +
                    " WHEN " + smark + " THEN " + group(not_matched) + " ELSE " +
                    group(by_source) + " END)";

  // Values of the target columns per clause.
  std::vector<std::map<int, std::string>> values(schema.num_fields());
  auto column_index = [&](const std::string& name) {
    int idx = schema.GetFieldIndex(name);
    if (idx < 0) {
      for (int i = 0; i < schema.num_fields(); ++i) {
        if (ToLower(schema.field(i)->name()) == ToLower(name)) idx = i;
      }
    }
    return idx;
  };
  auto source_column = [&](const std::string& name) -> Result<std::string> {
    for (const auto& c : sside.columns) {
      if (c == name) return S + "." + QuoteIdent(c);
    }
    for (const auto& c : sside.columns) {
      if (ToLower(c) == ToLower(name)) return S + "." + QuoteIdent(c);
    }
    return Status::Invalid(context, ": UPDATE SET * / INSERT * needs column '", name,
                           "' in the source (source columns: ", Join(sside.columns, ", "), ")");
  };
  for (size_t i = 0; i < st.clauses.size(); ++i) {
    const auto& c = st.clauses[i];
    int code = static_cast<int>(i) + 1;
    switch (c.action) {
      case Clause::kDelete:
        break;
      case Clause::kUpdateAll:
      case Clause::kInsertAll:
        for (int k = 0; k < schema.num_fields(); ++k) {
          const std::string& name = schema.field(k)->name();
          auto value = source_column(name);
          if (!value.ok() && IsGenerated(target, name)) {
            values[k][code] = "NULL";  // computed from the other columns
            continue;
          }
          ARROW_ASSIGN_OR_RAISE(values[k][code], std::move(value));
        }
        break;
      case Clause::kUpdate:
        for (const auto& [id, e] : c.assignments) {
          int idx = column_index(folded(id));
          if (idx < 0) {
            return Status::Invalid(context, ": column '", folded(id),
                                   "' does not exist in the target (columns: ",
                                   Join(schema.field_names(), ", "), ")");
          }
          if (values[idx].count(code)) {
            return Status::Invalid(context, ": column '", folded(id),
                                   "' is assigned twice in one UPDATE clause");
          }
          values[idx][code] = ToSql(*e);
        }
        // Generated columns not assigned are computed again from the new values.
        for (int k = 0; k < schema.num_fields(); ++k) {
          if (!values[k].count(code) && IsGenerated(target, schema.field(k)->name())) {
            values[k][code] = "NULL";
          }
        }
        break;
      case Clause::kInsert: {
        if (c.insert_columns.empty() &&
            c.insert_values.size() != static_cast<size_t>(schema.num_fields())) {
          return Status::Invalid(context, ": INSERT VALUES gives ", c.insert_values.size(),
                                 " values but the target has ", schema.num_fields(),
                                 " columns; name the columns: INSERT (a, b) VALUES (...)");
        }
        for (size_t k = 0; k < c.insert_values.size(); ++k) {
          int idx = static_cast<int>(k);
          if (!c.insert_columns.empty()) {
            idx = column_index(folded(c.insert_columns[k]));
            if (idx < 0) {
              return Status::Invalid(context, ": column '", folded(c.insert_columns[k]),
                                     "' does not exist in the target");
            }
          }
          values[idx][code] = ToSql(*c.insert_values[k]);
        }
        // Columns not named are null (the ELSE of the CASE: the absent target row's nulls).
        break;
      }
    }
  }

  // 0. Source statistics and target pruning.
  std::vector<const ast::Expr*> conjuncts;
  Conjuncts(*st.on, &conjuncts);
  std::vector<std::pair<std::string, std::string>> keys;  // target column, source column
  std::vector<std::string> target_filters;
  if (by_source.empty()) {
    for (const ast::Expr* e : conjuncts) {
      if (e->kind != ast::ExprKind::kBinary) continue;
      const auto& b = static_cast<const ast::BinaryExpr&>(*e);
      if (!IsComparison(b.op)) continue;
      const ast::Expr* l = b.left.get();
      const ast::Expr* r = b.right.get();
      if (l->kind == ast::ExprKind::kColumnRef && r->kind == ast::ExprKind::kColumnRef &&
          b.op == ast::BinaryOp::kEq) {
        std::string lc, rc;
        int ls = SideOf(static_cast<const ast::ColumnRefExpr&>(*l), fold, tside, sside, &lc);
        int rs = SideOf(static_cast<const ast::ColumnRefExpr&>(*r), fold, tside, sside, &rc);
        if (ls == 0 && rs == 1) keys.emplace_back(lc, rc);
        if (ls == 1 && rs == 0) keys.emplace_back(rc, lc);
        continue;
      }
      const ast::Expr* col = l->kind == ast::ExprKind::kColumnRef ? l : r;
      const ast::Expr* lit = col == l ? r : l;
      if (col->kind != ast::ExprKind::kColumnRef || lit->kind != ast::ExprKind::kLiteral) continue;
      std::string c;
      if (SideOf(static_cast<const ast::ColumnRefExpr&>(*col), fold, tside, sside, &c) == 0) {
        target_filters.push_back("(" + ToSql(*e) + ")");
      }
    }
  }
  std::string stats_sql = "SELECT count(*) AS n";
  for (const auto& [tc, sc] : keys) {
    stats_sql += ", min(" + S + "." + QuoteIdent(sc) + "), max(" + S + "." + QuoteIdent(sc) + ")";
  }
  stats_sql += " FROM " + src_sql;
  ARROW_ASSIGN_OR_RAISE(auto stats_table, RunQuery(state, stats_sql, context));
  ARROW_ASSIGN_OR_RAISE(auto stats, stats_table->CombineChunksToBatch());
  int64_t num_source_rows = 0;
  int64_t key_lo = 0, key_span = 0;  // integer single key: source min and max - min + 1
  if (stats->num_rows() == 1) {
    ARROW_ASSIGN_OR_RAISE(auto n, Int64Column(*stats, "n", 0));
    num_source_rows = n[0];
    for (size_t k = 0; k < keys.size(); ++k) {
      ARROW_ASSIGN_OR_RAISE(auto lo, stats->column(1 + 2 * k)->GetScalar(0));
      ARROW_ASSIGN_OR_RAISE(auto hi, stats->column(2 + 2 * k)->GetScalar(0));
      std::string col = T + "." + QuoteIdent(keys[k].first);
      if (!lo->is_valid) {
        target_filters.push_back("FALSE");  // no source key: no target row can match
        continue;
      }
      if (k == 0 && keys.size() == 1 && arrow::is_integer(lo->type->id())) {
        auto l = opt::ScalarAsDouble(*lo), h = opt::ScalarAsDouble(*hi);
        if (l && h && *h - *l < kUpsertKeySpan) {
          key_lo = static_cast<int64_t>(*l);
          key_span = static_cast<int64_t>(*h - *l) + 1;
        }
      }
      std::string a = BoundLiteral(*lo), z = BoundLiteral(*hi);
      if (a.empty() || z.empty()) continue;
      target_filters.push_back("(" + col + " BETWEEN " + a + " AND " + z + ")");
    }
  }
  std::string prune = target_filters.empty() ? "" : " WHERE " + Join(target_filters, " AND ");
  std::string on = "(" + ToSql(*st.on) + ")";
  std::string source_side =
      "(SELECT *, TRUE AS " + QuoteIdent("__shoal_s") + " FROM " + src_sql + ") AS " + S;
  auto target_side = [&](const TempTable& tmp, const std::string& where) {
    return "(SELECT *, TRUE AS " + QuoteIdent("__shoal_t") + " FROM " + tmp.sql_name() +
           " AS " + T + where + ") AS " + T;
  };

  // 1. Scan: touched files, deleted rows, multiple matches.
  auto scan_start = std::chrono::steady_clock::now();
  std::set<std::string> touched;        // decoded paths
  std::vector<int32_t> touched_index;  // the same files by index in the snapshot
  std::vector<std::string> read_files;
  std::shared_ptr<const delta::FileMatcher> matcher;
  std::unordered_set<int64_t> deleted_rows;
  bool modifies = !matched.empty() || !by_source.empty();
  bool check_multi = !matched.empty() &&
                     !(matched.size() == 1 && st.clauses[matched[0] - 1].action ==
                                                  Clause::kDelete &&
                       !st.clauses[matched[0] - 1].condition);
  // Upsert: ON is one integer key equality, WHEN MATCHED UPDATE SET * and WHEN NOT
  // MATCHED INSERT * without conditions (the same values: the source's). When the
  // scan also finds that no source row matched two target rows, every source row
  // is written once (updated or inserted) and the rewrite is the touched files'
  // target rows without a match plus the source: no full join, no CASE per column.
  bool upsert = check_multi && by_source.empty() && matched.size() == 1 &&
                not_matched.size() == 1 && st.clauses.size() == 2 &&
                st.clauses[matched[0] - 1].action == Clause::kUpdateAll &&
                !st.clauses[matched[0] - 1].condition &&
                st.clauses[not_matched[0] - 1].action == Clause::kInsertAll &&
                !st.clauses[not_matched[0] - 1].condition && keys.size() == 1 &&
                conjuncts.size() == 1 && key_span > 0 && !ChangeDataFeedEnabled(target);
  if (upsert) {  // the target key is read as BIGINT
    auto key_field = schema.GetFieldByName(keys[0].first);
    auto id = key_field ? key_field->type()->id() : arrow::Type::NA;
    upsert = arrow::is_signed_integer(id) || id == arrow::Type::UINT8 ||
             id == arrow::Type::UINT16 || id == arrow::Type::UINT32;
  }
  for (int k = 0; upsert && k < schema.num_fields(); ++k) {
    const auto& v = values[k];
    auto u = v.find(matched[0]), n = v.find(not_matched[0]);
    upsert = u != v.end() && n != v.end() && u->second == n->second && u->second != "NULL";
  }
  int64_t upsert_pairs = 0;
  {
    ARROW_ASSIGN_OR_RAISE(auto scan, TargetScan(target, /*row_id=*/true, nullptr));
    ARROW_ASSIGN_OR_RAISE(auto tmp, TempTable::Register(state, scan));
    if (modifies) {
      std::string q = "SELECT " + T + "." + QuoteIdent(kFileIndexCol) + " AS f, " + T + "." +
                      QuoteIdent(kRowIdCol) + " AS " + QuoteIdent(kRowIdCol) + ", (" + smark +
                      " IS NOT NULL) AS m, " +
                      (upsert ? "CAST(" + T + "." + QuoteIdent(keys[0].first) + " AS BIGINT) AS " +
                                    QuoteIdent("__shoal_key") + ", "
                              : std::string()) +
                      act + " AS " + QuoteIdent(kActCol) + " FROM " +
                      target_side(*tmp, prune) + (by_source.empty() ? " JOIN " : " LEFT JOIN ") +
                      source_side + " ON " + on + " WHERE " + smark + " IS NOT NULL OR " + act +
                      " <> 0";
      ARROW_ASSIGN_OR_RAISE(auto query, StartQuery(state, q, context));
      MatchedRows seen;
      // By clause number: 1 modifies (update / delete), 2 deletes.
      std::vector<uint8_t> kind(st.clauses.size() + 1, 0);
      for (int u : updates) kind[u] = 1;
      for (int d : deletes) kind[d] = 2;
      const auto& snapshot_files = target.snapshot->files();
      std::vector<bool> is_touched(snapshot_files.size(), false);
      std::vector<uint64_t> key_seen(upsert ? (key_span + 63) / 64 : 0, 0);
      while (true) {
        std::shared_ptr<arrow::RecordBatch> batch;
        ARROW_RETURN_NOT_OK(query->reader->ReadNext(&batch));
        if (!batch) break;
        ARROW_ASSIGN_OR_RAISE(auto acts, Int64Column(*batch, kActCol, 0));
        ARROW_ASSIGN_OR_RAISE(auto rids, Int64Column(*batch, kRowIdCol, -1));
        const auto& files = static_cast<const arrow::Int32Array&>(*batch->GetColumnByName("f"));
        const auto& m = static_cast<const arrow::BooleanArray&>(*batch->GetColumnByName("m"));
        if (upsert) {
          // Matched target keys: a key seen twice is a source row matching two target rows.
          const auto& key = static_cast<const arrow::Int64Array&>(
              *batch->GetColumnByName("__shoal_key"));
          for (int64_t i = 0; upsert && i < batch->num_rows(); ++i) {
            if (!m.Value(i) || key.IsNull(i)) continue;
            uint64_t off = static_cast<uint64_t>(key.Value(i)) - static_cast<uint64_t>(key_lo);
            if (off >= static_cast<uint64_t>(key_span)) {
              upsert = false;  // cannot happen (keys equal source keys); be safe
              break;
            }
            uint64_t bit = uint64_t{1} << (off & 63);
            if (key_seen[off >> 6] & bit) upsert = false;
            key_seen[off >> 6] |= bit;
            ++upsert_pairs;
          }
        }
        for (int64_t i = 0; i < batch->num_rows(); ++i) {
          if (check_multi && m.Value(i) && !seen.Insert(rids[i])) {
            (void)query->reader->Close();
            return Status::Invalid(
                context,
                ": MERGE: multiple source rows matched the same target row (a target row may "
                "be updated or deleted by one source row only; deduplicate the source on the "
                "ON condition's keys)");
          }
          int64_t a = acts[i];
          uint8_t k = a > 0 && a < static_cast<int64_t>(kind.size()) ? kind[a] : 0;
          if (k == 0) continue;
          int32_t file = files.Value(i);
          if (file < 0 || static_cast<size_t>(file) >= snapshot_files.size()) {
            (void)query->reader->Close();
            return Status::Invalid(context, ": internal: bad data file index ", file);
          }
          if (!is_touched[file]) {
            is_touched[file] = true;
            touched.insert(delta::DecodeActionPath(snapshot_files[file].path));
            touched_index.push_back(file);
          }
          if (k == 2) deleted_rows.insert(rids[i]);
        }
      }
      matcher = std::make_shared<delta::FileMatcher>(target.snapshot, scan->last_filter());
    }
  }
  int64_t scan_ms = MillisSince(scan_start);

  // 2. Rewrite: rows of touched files and inserted rows.
  auto rewrite_start = std::chrono::steady_clock::now();
  // The target columns' new values (updated / inserted rows; others as they
  // are) and old values (change data pre-images), each followed by ", ".
  std::string new_cols, old_cols;
  for (int k = 0; k < schema.num_fields(); ++k) {
    const auto& f = schema.field(k);
    std::string col = T + "." + QuoteIdent(f->name());
    old_cols += col + " AS " + QuoteIdent(f->name()) + ", ";
    if (values[k].empty()) {
      new_cols += col;
    } else {
      // One branch per distinct value (UPDATE SET * and INSERT * give the same
      // source column): CASE WHEN act IN (1, 2) THEN v ... rather than a branch per code.
      std::vector<std::pair<std::string, std::vector<int>>> branches;
      for (const auto& [code, v] : values[k]) {
        auto it = std::find_if(branches.begin(), branches.end(),
                               [&](const auto& b) { return b.first == v; });
        if (it == branches.end()) {
          branches.push_back({v, {code}});
        } else {
          it->second.push_back(code);
        }
      }
      new_cols += "CASE";
      for (const auto& [v, codes] : branches) {
        std::string value = "(" + v + ")";
        if (!arrow::is_nested(f->type()->id())) {
          value = "CAST(" + value + " AS " + ArrowTypeToSql(*f->type()) + ")";
        }
        new_cols += " WHEN " + act +
             (codes.size() == 1 ? " = " + std::to_string(codes[0])
                                : " IN (" + JoinCodes(codes) + ")") +
             " THEN " + value;
      }
      new_cols += " ELSE " + col + " END";
    }
    new_cols += " AS " + QuoteIdent(f->name()) + ", ";
  }
  CommitRequest req;
  const bool use_dv = DeletionVectorsEnabled(target);
  const int64_t now = NowMs();
  int64_t inserted = 0, updated = 0, copied = 0, output_rows = 0;
  int64_t files_scanned = 0;
  if (touched.empty() && inserts.empty()) {
    if (matcher) {
      for (const auto& f : target.snapshot->files()) files_scanned += matcher->MayMatch(f);
    }
  } else if (use_dv) {
    // Deletion vectors: the updated / deleted rows of the touched files are
    // marked deleted by their physical positions (from a scan of those files
    // only), updated and inserted rows go to new files, other rows stay.
    std::vector<int> modify = updates;
    modify.insert(modify.end(), deletes.begin(), deletes.end());
    std::sort(modify.begin(), modify.end());
    const std::string positions = T + "." + QuoteIdent(kFileIndexCol) + " AS " +
                                  QuoteIdent(kFileIndexCol) + ", " + T + "." +
                                  QuoteIdent(kRowIdCol) + " AS " + QuoteIdent(kRowIdCol) + ", ";
    const std::string no_positions = "CAST(NULL AS INTEGER) AS " + QuoteIdent(kFileIndexCol) +
                                     ", CAST(NULL AS BIGINT) AS " + QuoteIdent(kRowIdCol) + ", ";
    std::unique_ptr<TempTable> tmod, tins;
    std::shared_ptr<delta::DmlScanProvider> ins_scan;
    std::string from_mod, from_ins;
    std::vector<std::string> parts;
    RowsByFile rows;
    if (!touched.empty()) {
      ARROW_ASSIGN_OR_RAISE(
          auto scan, TargetScan(target, true, std::make_shared<std::set<std::string>>(touched),
                                /*physical_rows=*/true));
      ARROW_ASSIGN_OR_RAISE(tmod, TempTable::Register(state, scan));
      from_mod = " FROM " + target_side(*tmod, "") +
                 (by_source.empty() ? " JOIN " : " LEFT JOIN ") + source_side + " ON " + on +
                 " WHERE " + act + " IN (" + JoinCodes(modify) + ")";
      if (upsert) {
        // Every source row is written below; the matched target rows go.
        ARROW_ASSIGN_OR_RAISE(rows, QueryRows(state, "SELECT " + positions + "1 AS x" + from_mod,
                                              context));
      } else {
        parts.push_back("SELECT " + new_cols + positions + act + " AS " + QuoteIdent(kActCol) +
                        from_mod);
      }
    }
    if (!inserts.empty()) {
      ARROW_ASSIGN_OR_RAISE(ins_scan, TargetScan(target, false));
      ARROW_ASSIGN_OR_RAISE(tins, TempTable::Register(state, ins_scan));
      from_ins = " FROM " + source_side + " LEFT JOIN " + target_side(*tins, prune) + " ON " +
                 on + " WHERE " + tmark + " IS NULL AND " + act + " IN (" + JoinCodes(inserts) +
                 ")";
      if (upsert) {
        std::string fresh;
        for (int k = 0; k < schema.num_fields(); ++k) {
          const auto& f = schema.field(k);
          std::string value = "(" + values[k].at(inserts[0]) + ")";
          if (!arrow::is_nested(f->type()->id())) {
            value = "CAST(" + value + " AS " + ArrowTypeToSql(*f->type()) + ")";
          }
          fresh += value + " AS " + QuoteIdent(f->name()) + ", ";
        }
        parts.push_back("SELECT " + fresh + no_positions + std::to_string(inserts[0]) + " AS " +
                        QuoteIdent(kActCol) + " FROM " + source_side);
      } else {
        parts.push_back("SELECT " + new_cols + no_positions + act + " AS " +
                        QuoteIdent(kActCol) + from_ins);
      }
    }
    if (ChangeDataFeedEnabled(target)) {
      std::vector<std::string> changes;
      auto branch = [&](const std::string& cols, const char* type, const std::string& from) {
        changes.push_back("SELECT " + cols + "'" + type + "' AS _change_type" + from);
      };
      if (!from_mod.empty() && !updates.empty()) {
        std::string w = from_mod + " AND " + act + " IN (" + JoinCodes(updates) + ")";
        branch(old_cols, "update_preimage", w);
        branch(new_cols, "update_postimage", w);
      }
      if (!from_mod.empty() && !deletes.empty()) {
        branch(old_cols, "delete", from_mod + " AND " + act + " IN (" + JoinCodes(deletes) + ")");
      }
      if (!from_ins.empty()) branch(new_cols, "insert", from_ins);
      if (!changes.empty()) {
        ARROW_ASSIGN_OR_RAISE(req.cdcs, WriteChanges(state, target,
                                                     Join(changes, " UNION ALL "), context));
      }
    }
    auto delete_written = [&](const std::vector<delta::AddFile>& adds) {
      for (const auto& c : req.cdcs) {
        (void)target.fs->DeleteFile(delta::JoinPath(target.root, delta::DecodeActionPath(c.path)));
      }
      for (const auto& a : adds) {
        (void)target.fs->DeleteFile(delta::JoinPath(target.root, delta::DecodeActionPath(a.path)));
      }
    };
    if (!parts.empty()) {
      std::vector<int64_t> drop(deletes.begin(), deletes.end());
      auto query = StartQuery(state, Join(parts, " UNION ALL "), context);
      if (!query.ok()) {
        delete_written({});
        return query.status();
      }
      TallyReader tally(std::make_shared<RowsReader>((*query)->reader, drop, &rows));
      auto written = WriteRows(target, &tally);
      if (!written.ok()) {
        delete_written({});
        return written.status().WithMessage(context, ": ", written.status().message());
      }
      req.adds = std::move(written->adds);
      output_rows = tally.rows();
      for (const auto& [code, n] : tally.actions()) {
        for (int u : updates) updated += code == u ? n : 0;
        for (int i : inserts) inserted += code == i ? n : 0;
      }
      if (upsert) {  // the source rows written as inserted were updates when they matched
        updated = upsert_pairs;
        inserted -= upsert_pairs;
      }
    }
    delta::DeletionVectorFileWriter dv_file;
    Status st = MarkRowsDeleted(target, std::move(rows), now, &dv_file, &req).status();
    if (st.ok()) st = WriteDeletionVectorFile(target, dv_file, context, &req);
    if (!st.ok()) {
      delete_written(req.adds);
      return st;
    }
    if (!matcher) matcher = std::make_shared<delta::FileMatcher>(target.snapshot,
                                                                 ins_scan->last_filter());
    for (const auto& f : target.snapshot->files()) files_scanned += matcher->MayMatch(f);
  } else {
    std::shared_ptr<delta::DmlScanProvider> scan;
    std::string where;
    bool every_file_touched = false;
    if (matcher) {
      // Only the files read by the scan; no row filter (touched files are copied whole).
      auto only = std::make_shared<std::set<std::string>>();
      for (const auto& f : target.snapshot->files()) {
        if (matcher->MayMatch(f)) only->insert(delta::DecodeActionPath(f.path));
      }
      for (const auto& t : touched) only->insert(t);
      every_file_touched = *only == touched;
      ARROW_ASSIGN_OR_RAISE(scan, TargetScan(target, /*row_id=*/true, only));
    } else {
      // Inserts only: no target row is written, so the target may be filtered by rows.
      ARROW_ASSIGN_OR_RAISE(scan, TargetScan(target, /*row_id=*/true, nullptr));
      where = prune;
    }
    ARROW_ASSIGN_OR_RAISE(auto tmp, TempTable::Register(state, scan));
    std::string q = "SELECT " + new_cols;
    std::string keep_target = "FALSE";
    if (!touched.empty()) {
      keep_target = "(" + tmark;
      if (!every_file_touched) {  // else the file column need not be read at all
        keep_target += " AND " + T + "." + QuoteIdent(kFileIndexCol) + " IN (";
        for (size_t i = 0; i < touched_index.size(); ++i) {
          keep_target += (i ? ", " : "") + std::to_string(touched_index[i]);
        }
        keep_target += ")";
      }
      if (!deletes.empty()) keep_target += " AND " + act + " NOT IN (" + JoinCodes(deletes) + ")";
      keep_target += ")";
    }
    std::string keep_insert =
        inserts.empty() ? "FALSE"
                        : "(" + tmark + " IS NULL AND " + act + " IN (" + JoinCodes(inserts) + "))";
    std::string from = " FROM " + target_side(*tmp, where) +
                       (inserts.empty() ? " LEFT JOIN " : " FULL JOIN ") + source_side + " ON " +
                       on;
    // The row id lets TallyReader drop repeated copies of a target row several
    // source rows matched; the scan proved there are none when it checked.
    if (!check_multi) {
      q += T + "." + QuoteIdent(kRowIdCol) + " AS " + QuoteIdent(kRowIdCol) + ", (" + tmark +
           " IS NOT NULL AND " + smark + " IS NOT NULL) AS " + QuoteIdent(kMatchedCol) + ", ";
    }
    q += act + " AS " + QuoteIdent(kActCol) + from;
    // Every row is kept when every file read is rewritten, none is deleted and
    // every source row without a match is inserted (one unconditional insert
    // clause, or none with a LEFT JOIN that yields target rows only).
    bool keep_all = every_file_touched && deletes.empty() &&
                    (inserts.empty() ||
                     (not_matched.size() == 1 && inserts.size() == 1 &&
                      not_matched[0] == inserts[0] && !st.clauses[inserts[0] - 1].condition));
    if (!keep_all) q += " WHERE " + keep_target + " OR " + keep_insert;
    if (upsert) {
      // The touched files' target rows without a match, then every source row.
      std::string copies, fresh;
      for (int k = 0; k < schema.num_fields(); ++k) {
        const auto& f = schema.field(k);
        std::string value = "(" + values[k].at(inserts[0]) + ")";
        if (!arrow::is_nested(f->type()->id())) {
          value = "CAST(" + value + " AS " + ArrowTypeToSql(*f->type()) + ")";
        }
        copies += T + "." + QuoteIdent(f->name()) + " AS " + QuoteIdent(f->name()) + ", ";
        fresh += value + " AS " + QuoteIdent(f->name()) + ", ";
      }
      std::string only_touched;
      if (!every_file_touched) {
        only_touched = " WHERE " + T + "." + QuoteIdent(kFileIndexCol) + " IN (";
        for (size_t i = 0; i < touched_index.size(); ++i) {
          only_touched += (i ? ", " : "") + std::to_string(touched_index[i]);
        }
        only_touched += ")";
      }
      q = "SELECT " + fresh + std::to_string(inserts[0]) + " AS " + QuoteIdent(kActCol) +
          " FROM " + source_side;
      if (!touched.empty()) {
        q = "SELECT " + copies + "0 AS " + QuoteIdent(kActCol) + " FROM " +
            target_side(*tmp, only_touched) + " ANTI JOIN " + source_side + " ON " + on +
            " UNION ALL " + q;
      }
    }
    if (ChangeDataFeedEnabled(target)) {
      std::vector<std::string> parts;
      auto branch = [&](const std::string& cols, const char* type, const std::string& where) {
        parts.push_back("SELECT " + cols + "'" + type + "' AS _change_type" + from + " WHERE " +
                        where);
      };
      if (!updates.empty()) {
        std::string w = tmark + " AND " + act + " IN (" + JoinCodes(updates) + ")";
        branch(old_cols, "update_preimage", w);
        branch(new_cols, "update_postimage", w);
      }
      if (!deletes.empty()) {
        branch(old_cols, "delete", tmark + " AND " + act + " IN (" + JoinCodes(deletes) + ")");
      }
      if (!inserts.empty()) {
        branch(new_cols, "insert",
               tmark + " IS NULL AND " + act + " IN (" + JoinCodes(inserts) + ")");
      }
      ARROW_ASSIGN_OR_RAISE(req.cdcs,
                            WriteChanges(state, target, Join(parts, " UNION ALL "), context));
    }
    auto query = StartQuery(state, q, context);
    std::unique_ptr<TallyReader> tally;
    Result<Written> written = Status::Invalid("not run");
    if (query.ok()) {
      tally = std::make_unique<TallyReader>((*query)->reader);
      written = WriteRows(target, tally.get());
    } else {
      written = query.status();
    }
    if (!written.ok()) {
      for (const auto& c : req.cdcs) {
        (void)target.fs->DeleteFile(delta::JoinPath(target.root, delta::DecodeActionPath(c.path)));
      }
      return written.status().WithMessage(context, ": ", written.status().message());
    }
    req.adds = std::move(written->adds);
    output_rows = tally->rows();
    for (const auto& [code, n] : tally->actions()) {
      if (code == 0) copied += n;
      for (int u : updates) updated += code == u ? n : 0;
      for (int i : inserts) inserted += code == i ? n : 0;
    }
    if (upsert) {  // the source rows written as inserted were updates when they matched
      updated = upsert_pairs;
      inserted -= upsert_pairs;
    }
    if (!matcher) matcher = std::make_shared<delta::FileMatcher>(target.snapshot,
                                                                 scan->last_filter());
    for (const auto& f : target.snapshot->files()) files_scanned += matcher->MayMatch(f);
  }
  int64_t rewrite_ms = MillisSince(rewrite_start);

  auto by_path = FilesByPath(*target.snapshot);
  for (const auto& t : touched) {
    auto it = by_path.find(t);
    if (it == by_path.end()) return Status::Invalid("internal: unknown file '", t, "'");
    req.removes.push_back(delta::RemoveForFile(*it->second, now));
  }
  if (matcher) {
    for (const auto& f : target.snapshot->files()) {
      if (matcher->MayMatch(f)) read_files.push_back(delta::DecodeActionPath(f.path));
    }
  }
  int64_t deleted = static_cast<int64_t>(deleted_rows.size());
  int64_t num_files = static_cast<int64_t>(target.snapshot->files().size());
  // Files added again with a deletion vector are neither added nor removed files.
  const int64_t dvs_added = static_cast<int64_t>(req.dv_adds.size());
  int64_t dvs_removed = 0;
  for (const auto& r : req.removes) dvs_removed += r.deletion_vector ? 1 : 0;
  const int64_t files_removed = static_cast<int64_t>(req.removes.size()) - dvs_added;
  std::vector<std::pair<std::string, int64_t>> metrics = {
      {"num_source_rows", num_source_rows},
      {"num_target_rows_inserted", inserted},
      {"num_target_rows_updated", updated},
      {"num_target_rows_deleted", deleted},
      {"num_target_rows_copied", copied},
      {"num_output_rows", output_rows},
      {"num_target_files_scanned", files_scanned},
      {"num_target_files_skipped_during_scan", num_files - files_scanned},
      {"num_target_files_added", static_cast<int64_t>(req.adds.size())},
      {"num_target_files_removed", files_removed},
  };
  if (use_dv) {
    metrics.push_back({"num_target_deletion_vectors_added", dvs_added});
    metrics.push_back({"num_target_deletion_vectors_removed", dvs_removed});
  }
  if (!req.removes.empty() || !req.adds.empty()) {
    req.operation = "MERGE";
    std::string on_text = ToSql(*st.on);
    req.parameters.Add("predicate", delta::JsonValue::String(on_text));
    req.parameters.Add("matchedPredicates",
                       delta::JsonValue::String(ClausesJson(st, Clause::kMatched)));
    req.parameters.Add("notMatchedPredicates",
                       delta::JsonValue::String(ClausesJson(st, Clause::kNotMatched)));
    req.parameters.Add("notMatchedBySourcePredicates",
                       delta::JsonValue::String(ClausesJson(st, Clause::kNotMatchedBySource)));
    req.read_files = read_files;
    req.matcher = matcher;
    req.predicate = on_text;
    req.metrics = {{"numSourceRows", num_source_rows},
                   {"numTargetRowsInserted", inserted},
                   {"numTargetRowsUpdated", updated},
                   {"numTargetRowsDeleted", deleted},
                   {"numTargetRowsCopied", copied},
                   {"numOutputRows", output_rows},
                   {"numTargetFilesAdded", static_cast<int64_t>(req.adds.size())},
                   {"numTargetFilesRemoved", files_removed},
                   {"scanTimeMs", scan_ms},
                   {"rewriteTimeMs", rewrite_ms},
                   {"executionTimeMs", MillisSince(start)}};
    if (use_dv) {
      req.metrics.push_back({"numTargetDeletionVectorsAdded", dvs_added});
      req.metrics.push_back({"numTargetDeletionVectorsRemoved", dvs_removed});
    }
    ARROW_RETURN_NOT_OK(CommitDml(state, target, std::move(req)).status());
  }
  metrics.push_back({"execution_time_ms", MillisSince(start)});
  metrics.push_back({"scan_time_ms", scan_ms});
  metrics.push_back({"rewrite_time_ms", rewrite_ms});
  return MetricsResult(metrics, "MERGE");
}

}  // namespace dml
}  // namespace shoal
