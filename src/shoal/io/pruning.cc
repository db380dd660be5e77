#include "shoal/io/pruning.h"

#include <cmath>

#include <arrow/array.h>
#include <arrow/chunked_array.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/initialize.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/type_traits.h>
#include <arrow/util/decimal.h>

namespace shoal {

namespace cp = arrow::compute;

namespace {

bool EnsureCompute() {
  static bool ok = arrow::compute::Initialize().ok();
  return ok;
}

// Possible truth values of a predicate over a set of rows.
constexpr uint8_t kTrue = 1, kFalse = 2, kNull = 4, kAny = kTrue | kFalse | kNull;

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };

Op Flip(Op op) {
  switch (op) {
    case Op::kLt: return Op::kGt;
    case Op::kLe: return Op::kGe;
    case Op::kGt: return Op::kLt;
    case Op::kGe: return Op::kLe;
    default: return op;
  }
}

std::optional<Op> OpOf(const std::string& name) {
  if (name == "equal") return Op::kEq;
  if (name == "not_equal") return Op::kNe;
  if (name == "less") return Op::kLt;
  if (name == "less_equal") return Op::kLe;
  if (name == "greater") return Op::kGt;
  if (name == "greater_equal") return Op::kGe;
  return std::nullopt;
}

std::optional<__int128> IntValue(const arrow::Scalar& s) {
  switch (s.type->id()) {
    case arrow::Type::INT8: return static_cast<const arrow::Int8Scalar&>(s).value;
    case arrow::Type::INT16: return static_cast<const arrow::Int16Scalar&>(s).value;
    case arrow::Type::INT32: return static_cast<const arrow::Int32Scalar&>(s).value;
    case arrow::Type::INT64: return static_cast<const arrow::Int64Scalar&>(s).value;
    case arrow::Type::UINT8: return static_cast<const arrow::UInt8Scalar&>(s).value;
    case arrow::Type::UINT16: return static_cast<const arrow::UInt16Scalar&>(s).value;
    case arrow::Type::UINT32: return static_cast<const arrow::UInt32Scalar&>(s).value;
    case arrow::Type::UINT64: return static_cast<const arrow::UInt64Scalar&>(s).value;
    default: return std::nullopt;
  }
}

std::optional<double> NumberValue(const arrow::Scalar& s) {
  if (auto i = IntValue(s)) {
    constexpr __int128 kExact = __int128{1} << 53;  // beyond: doubles lose integers
    if (*i > kExact || *i < -kExact) return std::nullopt;
    return static_cast<double>(*i);
  }
  if (s.type->id() == arrow::Type::FLOAT) return static_cast<const arrow::FloatScalar&>(s).value;
  if (s.type->id() == arrow::Type::DOUBLE) return static_cast<const arrow::DoubleScalar&>(s).value;
  return std::nullopt;
}

template <typename T>
int Cmp(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

bool IsBytes(arrow::Type::type id) {
  return arrow::is_base_binary_like(id) || id == arrow::Type::FIXED_SIZE_BINARY ||
         id == arrow::Type::STRING_VIEW || id == arrow::Type::BINARY_VIEW;
}

// Return the order of two valid scalars, or nullopt when they cannot be compared
// exactly (different kinds, units or scales, NaN): callers then assume anything.
std::optional<int> CompareScalars(const arrow::Scalar& a, const arrow::Scalar& b) {
  if (!a.is_valid || !b.is_valid) return std::nullopt;
  const auto ia = a.type->id(), ib = b.type->id();
  if (arrow::is_integer(ia) && arrow::is_integer(ib)) return Cmp(*IntValue(a), *IntValue(b));
  const bool na = arrow::is_integer(ia) || ia == arrow::Type::FLOAT || ia == arrow::Type::DOUBLE;
  const bool nb = arrow::is_integer(ib) || ib == arrow::Type::FLOAT || ib == arrow::Type::DOUBLE;
  if (na && nb) {
    auto x = NumberValue(a), y = NumberValue(b);
    if (!x || !y || std::isnan(*x) || std::isnan(*y)) return std::nullopt;
    return Cmp(*x, *y);
  }
  if (IsBytes(ia) && IsBytes(ib)) {
    return Cmp(static_cast<const arrow::BaseBinaryScalar&>(a).view(),
               static_cast<const arrow::BaseBinaryScalar&>(b).view());
  }
  if (ia != ib) return std::nullopt;
  switch (ia) {
    case arrow::Type::BOOL:
      return Cmp(static_cast<const arrow::BooleanScalar&>(a).value,
                 static_cast<const arrow::BooleanScalar&>(b).value);
    case arrow::Type::DATE32:
      return Cmp(static_cast<const arrow::Date32Scalar&>(a).value,
                 static_cast<const arrow::Date32Scalar&>(b).value);
    case arrow::Type::DATE64:
      return Cmp(static_cast<const arrow::Date64Scalar&>(a).value,
                 static_cast<const arrow::Date64Scalar&>(b).value);
    case arrow::Type::TIMESTAMP:
      if (static_cast<const arrow::TimestampType&>(*a.type).unit() !=
          static_cast<const arrow::TimestampType&>(*b.type).unit()) {
        return std::nullopt;
      }
      return Cmp(static_cast<const arrow::TimestampScalar&>(a).value,
                 static_cast<const arrow::TimestampScalar&>(b).value);
    case arrow::Type::TIME32:
    case arrow::Type::TIME64:
    case arrow::Type::DURATION:
      if (!a.type->Equals(*b.type)) return std::nullopt;
      if (ia == arrow::Type::TIME32) {
        return Cmp(static_cast<const arrow::Time32Scalar&>(a).value,
                   static_cast<const arrow::Time32Scalar&>(b).value);
      }
      if (ia == arrow::Type::TIME64) {
        return Cmp(static_cast<const arrow::Time64Scalar&>(a).value,
                   static_cast<const arrow::Time64Scalar&>(b).value);
      }
      return Cmp(static_cast<const arrow::DurationScalar&>(a).value,
                 static_cast<const arrow::DurationScalar&>(b).value);
    case arrow::Type::DECIMAL128:
      if (static_cast<const arrow::Decimal128Type&>(*a.type).scale() !=
          static_cast<const arrow::Decimal128Type&>(*b.type).scale()) {
        return std::nullopt;
      }
      return Cmp(static_cast<const arrow::Decimal128Scalar&>(a).value,
                 static_cast<const arrow::Decimal128Scalar&>(b).value);
    case arrow::Type::DECIMAL256:
      if (static_cast<const arrow::Decimal256Type&>(*a.type).scale() !=
          static_cast<const arrow::Decimal256Type&>(*b.type).scale()) {
        return std::nullopt;
      }
      return Cmp(static_cast<const arrow::Decimal256Scalar&>(a).value,
                 static_cast<const arrow::Decimal256Scalar&>(b).value);
    default:
      return std::nullopt;
  }
}

// Possible results of "x <op> lit" for non-null x in [lo, hi] (null: unbounded).
uint8_t CompareMask(Op op, const arrow::Scalar* lo, const arrow::Scalar* hi,
                    const arrow::Scalar& lit) {
  std::optional<int> l, h;  // order of lo / hi against lit
  if (lo) l = CompareScalars(*lo, lit);
  if (hi) h = CompareScalars(*hi, lit);
  auto gt = [](const std::optional<int>& c) { return c && *c > 0; };
  auto ge = [](const std::optional<int>& c) { return c && *c >= 0; };
  auto lt = [](const std::optional<int>& c) { return c && *c < 0; };
  auto le = [](const std::optional<int>& c) { return c && *c <= 0; };
  const bool all_equal = l && *l == 0 && h && *h == 0;
  const bool none_equal = gt(l) || lt(h);
  bool can_true = true, can_false = true;
  switch (op) {
    case Op::kEq: can_true = !none_equal; can_false = !all_equal; break;
    case Op::kNe: can_true = !all_equal; can_false = !none_equal; break;
    case Op::kLt: can_true = !ge(l); can_false = !lt(h); break;
    case Op::kLe: can_true = !gt(l); can_false = !le(h); break;
    case Op::kGt: can_true = !le(h); can_false = !gt(l); break;
    case Op::kGe: can_true = !lt(h); can_false = !ge(l); break;
  }
  return (can_true ? kTrue : 0) | (can_false ? kFalse : 0);
}

bool IsWideningIntegerCast(const arrow::DataType& from, const arrow::DataType& to) {
  if (!arrow::is_integer(from.id()) || !arrow::is_integer(to.id())) return false;
  const bool from_signed = arrow::is_signed_integer(from.id());
  const bool to_signed = arrow::is_signed_integer(to.id());
  const int fw = from.byte_width(), tw = to.byte_width();
  if (from_signed == to_signed) return tw >= fw;
  return !from_signed && to_signed && tw > fw;
}

}  // namespace

struct RangePruner::Node {
  enum class Kind { kConst, kCompare, kIsNull, kIsValid, kIn, kAnd, kOr, kNot };
  Kind kind = Kind::kConst;
  uint8_t mask = kAny;  // kConst
  bool kleene = true;   // kAnd / kOr
  int column = -1;
  Op op = Op::kEq;
  std::shared_ptr<arrow::Scalar> literal;
  std::vector<std::shared_ptr<arrow::Scalar>> values;  // kIn, non-null
  bool set_has_null = false;
  std::vector<std::unique_ptr<Node>> children;

  uint8_t Eval(const std::vector<ColumnRange>& ranges) const {
    switch (kind) {
      case Kind::kConst:
        return mask;
      case Kind::kIsNull:
      case Kind::kIsValid: {
        const ColumnRange& r = ranges[column];
        uint8_t m = (r.may_be_null ? kTrue : 0) | (r.may_be_valid ? kFalse : 0);
        if (kind == Kind::kIsValid) m = ((m & kTrue) ? kFalse : 0) | ((m & kFalse) ? kTrue : 0);
        return m;
      }
      case Kind::kCompare: {
        const ColumnRange& r = ranges[column];
        if (!literal->is_valid) return kNull;
        uint8_t m = r.may_be_null ? kNull : 0;
        if (r.may_be_valid) m |= CompareMask(op, r.min.get(), r.max.get(), *literal);
        return m;
      }
      case Kind::kIn: {
        const ColumnRange& r = ranges[column];
        uint8_t m = 0;
        if (r.may_be_null) m |= kFalse | kNull | (set_has_null ? kTrue : 0);
        if (r.may_be_valid) {
          bool all_in = false;
          for (const auto& v : values) {
            if (CompareMask(Op::kEq, r.min.get(), r.max.get(), *v) & kTrue) m |= kTrue;
            if (r.min && r.max && CompareScalars(*r.min, *v) == 0 &&
                CompareScalars(*r.max, *v) == 0) {
              all_in = true;
            }
          }
          if (!all_in) m |= kFalse;
          if (set_has_null) m |= kFalse | kNull;
        }
        return m;
      }
      case Kind::kNot: {
        uint8_t c = children[0]->Eval(ranges);
        return ((c & kTrue) ? kFalse : 0) | ((c & kFalse) ? kTrue : 0) | (c & kNull);
      }
      case Kind::kAnd:
      case Kind::kOr: {
        // Fold pairwise over the possible values of each side.
        const bool is_and = kind == Kind::kAnd;
        uint8_t acc = children[0]->Eval(ranges);
        for (size_t i = 1; i < children.size(); ++i) {
          uint8_t b = children[i]->Eval(ranges), out = 0;
          for (uint8_t x : {kTrue, kFalse, kNull}) {
            if (!(acc & x)) continue;
            for (uint8_t y : {kTrue, kFalse, kNull}) {
              if (!(b & y)) continue;
              uint8_t dominant = is_and ? kFalse : kTrue;  // decides alone (Kleene)
              uint8_t neutral = is_and ? kTrue : kFalse;
              if (x == kNull || y == kNull) {
                out |= (kleene && (x == dominant || y == dominant)) ? dominant : kNull;
              } else {
                out |= (x == neutral && y == neutral) ? neutral : dominant;
              }
            }
          }
          acc = out;
        }
        return acc;
      }
    }
    return kAny;
  }

  void CountColumns(std::vector<int>* uses) const {
    if (column >= 0) ++(*uses)[column];
    for (const auto& c : children) c->CountColumns(uses);
  }
};

namespace {

using Node = RangePruner::Node;

class Compiler {
 public:
  std::vector<std::string> columns;
  bool exact = true;

  std::unique_ptr<Node> Compile(const cp::Expression& e) {
    auto node = std::make_unique<Node>();
    if (const arrow::Datum* lit = e.literal()) {
      if (!lit->is_scalar() || lit->type()->id() != arrow::Type::BOOL) return Unknown();
      const auto& s = *lit->scalar();
      node->mask = !s.is_valid ? kNull
                   : static_cast<const arrow::BooleanScalar&>(s).value ? kTrue
                                                                        : kFalse;
      return node;
    }
    if (e.field_ref()) {  // a boolean column used as a predicate: "col = true"
      int col = Column(e);
      if (col < 0 || !e.type() || e.type()->id() != arrow::Type::BOOL) return Unknown();
      node->kind = Node::Kind::kCompare;
      node->column = col;
      node->literal = std::make_shared<arrow::BooleanScalar>(true);
      return node;
    }
    const cp::Expression::Call* call = e.call();
    if (!call) return Unknown();
    const std::string& fn = call->function_name;
    const auto& args = call->arguments;
    if (fn == "and_kleene" || fn == "and" || fn == "or_kleene" || fn == "or") {
      if (args.empty()) return Unknown();
      node->kind = fn[0] == 'a' ? Node::Kind::kAnd : Node::Kind::kOr;
      node->kleene = fn.size() > 3;
      for (const auto& a : args) node->children.push_back(Compile(a));
      return node;
    }
    if (fn == "invert" && args.size() == 1) {
      node->kind = Node::Kind::kNot;
      node->children.push_back(Compile(args[0]));
      return node;
    }
    if ((fn == "is_null" || fn == "is_valid") && args.size() == 1) {
      if (fn == "is_null") {
        auto* opts = static_cast<const cp::NullOptions*>(call->options.get());
        if (opts && opts->nan_is_null) return Unknown();
      }
      int col = Column(args[0]);
      if (col < 0) return Unknown();
      node->kind = fn == "is_null" ? Node::Kind::kIsNull : Node::Kind::kIsValid;
      node->column = col;
      return node;
    }
    if (fn == "is_in" && args.size() == 1) {
      auto* opts = dynamic_cast<const cp::SetLookupOptions*>(call->options.get());
      int col = Column(args[0]);
      if (!opts || col < 0) return Unknown();
      std::vector<std::shared_ptr<arrow::Array>> chunks;
      if (opts->value_set.is_array()) {
        chunks.push_back(opts->value_set.make_array());
      } else if (opts->value_set.is_chunked_array()) {
        chunks = opts->value_set.chunked_array()->chunks();
      } else {
        return Unknown();
      }
      node->kind = Node::Kind::kIn;
      node->column = col;
      for (const auto& chunk : chunks) {
        for (int64_t i = 0; i < chunk->length(); ++i) {
          auto s = chunk->GetScalar(i);
          if (!s.ok()) return Unknown();
          if (!(*s)->is_valid) {
            node->set_has_null = true;
          } else {
            node->values.push_back(std::move(*s));
          }
        }
      }
      return node;
    }
    if (auto op = OpOf(fn); op && args.size() == 2) {
      int col = Column(args[0]);
      const arrow::Datum* lit = args[1].literal();
      if (col < 0 || !lit) {
        col = Column(args[1]);
        lit = args[0].literal();
        *op = Flip(*op);
      }
      if (col < 0 || !lit || !lit->is_scalar()) return Unknown();
      node->kind = Node::Kind::kCompare;
      node->column = col;
      node->op = *op;
      node->literal = lit->scalar();
      return node;
    }
    return Unknown();
  }

 private:
  std::unique_ptr<Node> Unknown() {
    exact = false;
    return std::make_unique<Node>();
  }

  // Return the column slot of a (possibly integer-widened) top-level field, or -1.
  int Column(const cp::Expression& e) {
    const cp::Expression* x = &e;
    if (const auto* call = e.call(); call && call->function_name == "cast" &&
                                     call->arguments.size() == 1) {
      const auto& inner = call->arguments[0];
      if (!inner.type() || !e.type() || !IsWideningIntegerCast(*inner.type(), *e.type())) {
        return -1;
      }
      x = &inner;
    }
    const arrow::FieldRef* ref = x->field_ref();
    if (!ref || !ref->name()) return -1;
    const std::string& name = *ref->name();
    for (size_t i = 0; i < columns.size(); ++i) {
      if (columns[i] == name) return static_cast<int>(i);
    }
    columns.push_back(name);
    return static_cast<int>(columns.size()) - 1;
  }
};

// Intersect `r`'s bounds with "value <op> lit" (op one of =, <, <=, >, >=).
void Tighten(ColumnRange* r, Op op, const std::shared_ptr<arrow::Scalar>& lit) {
  if (!lit || !lit->is_valid) return;
  auto raise_min = [&]() {
    if (!r->min) {
      r->min = lit;
    } else if (auto c = CompareScalars(*r->min, *lit); c && *c < 0) {
      r->min = lit;
    }
  };
  auto lower_max = [&]() {
    if (!r->max) {
      r->max = lit;
    } else if (auto c = CompareScalars(*r->max, *lit); c && *c > 0) {
      r->max = lit;
    }
  };
  // A strict bound is kept as an inclusive one: looser, still true.
  if (op == Op::kEq || op == Op::kGe || op == Op::kGt) raise_min();
  if (op == Op::kEq || op == Op::kLe || op == Op::kLt) lower_max();
}

int SlotOf(const RangePruner& pruner, const cp::Expression& e) {
  const arrow::FieldRef* ref = e.field_ref();
  if (!ref || !ref->name()) return -2;  // not a plain column
  const auto& cols = pruner.columns();
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i] == *ref->name()) return static_cast<int>(i);
  }
  return -1;  // a column the filter does not use
}

// Apply the conjunct `e` of a guarantee about non-null values (`valid_only`) or all
// rows. Return false for a shape this does not know.
bool ApplyGuarantee(const RangePruner& pruner, const cp::Expression& e, bool valid_only,
                    std::vector<ColumnRange>* ranges, int* only_column) {
  if (IsLiteralTrue(e)) return true;
  const cp::Expression::Call* call = e.call();
  if (!call) return false;
  const std::string& fn = call->function_name;
  const auto& args = call->arguments;
  if (fn == "and_kleene" || fn == "and") {
    for (const auto& a : args) {
      if (!ApplyGuarantee(pruner, a, valid_only, ranges, only_column)) return false;
    }
    return true;
  }
  auto claim = [&](int slot) {  // in "(...) OR x IS NULL", all parts talk about x
    if (!only_column) return true;
    if (*only_column == -3) *only_column = slot;
    return *only_column == slot;
  };
  if (!valid_only && (fn == "or_kleene" || fn == "or") && args.size() == 2) {
    // "(bounds) OR x IS NULL": x's non-null values lie within bounds.
    for (int k = 0; k < 2; ++k) {
      const auto* isnull = args[1 - k].call();
      if (!isnull || isnull->function_name != "is_null" || isnull->arguments.size() != 1) continue;
      int slot = SlotOf(pruner, isnull->arguments[0]);
      if (slot == -2) return false;
      if (slot == -1) return true;  // about a column the filter does not use
      int only = slot;
      std::vector<ColumnRange> sub(ranges->size());
      if (!ApplyGuarantee(pruner, args[k], true, &sub, &only) || only != slot) return false;
      Tighten(&(*ranges)[slot], Op::kGe, sub[slot].min);
      Tighten(&(*ranges)[slot], Op::kLe, sub[slot].max);
      return true;
    }
    return false;
  }
  if ((fn == "is_null" || fn == "is_valid") && args.size() == 1 && !valid_only) {
    int slot = SlotOf(pruner, args[0]);
    if (slot == -2) return false;
    if (slot == -1) return true;
    if (fn == "is_null") {
      (*ranges)[slot].may_be_valid = false;
    } else {
      (*ranges)[slot].may_be_null = false;
    }
    return true;
  }
  if (auto op = OpOf(fn); op && *op != Op::kNe && args.size() == 2) {
    int slot = SlotOf(pruner, args[0]);
    const arrow::Datum* lit = args[1].literal();
    if (slot == -2 || !lit) {
      slot = SlotOf(pruner, args[1]);
      lit = args[0].literal();
      *op = Flip(*op);
    }
    if (slot == -2 || !lit || !lit->is_scalar()) return false;
    if (slot == -1) return only_column == nullptr;
    if (!claim(slot)) return false;
    ColumnRange& r = (*ranges)[slot];
    if (!lit->scalar()->is_valid) {  // "x op null" holds for no row: keep it general
      return false;
    }
    r.may_be_null = false;
    Tighten(&r, *op, lit->scalar());
    return true;
  }
  return false;
}

}  // namespace

ColumnRange ColumnRange::Constant(const std::shared_ptr<arrow::Scalar>& value) {
  ColumnRange r;
  if (!value || !value->is_valid) {
    r.may_be_valid = false;
  } else {
    r.may_be_null = false;
    r.min = r.max = value;
  }
  return r;
}

RangePruner::~RangePruner() = default;

std::unique_ptr<RangePruner> RangePruner::Make(const cp::Expression& bound_filter) {
  Compiler compiler;
  auto root = compiler.Compile(bound_filter);
  if (compiler.columns.empty() && root->kind != Node::Kind::kConst) return nullptr;
  if (root->kind == Node::Kind::kConst && root->mask == kAny) return nullptr;
  std::unique_ptr<RangePruner> out(new RangePruner());
  out->columns_ = std::move(compiler.columns);
  out->root_ = std::move(root);
  out->exact_ = compiler.exact;
  return out;
}

const std::vector<std::string>& RangePruner::columns() const { return columns_; }

bool RangePruner::exact() const { return exact_; }

bool RangePruner::CanSkip(const std::vector<ColumnRange>& ranges) const {
  std::vector<ColumnRange> r(columns_.size());
  for (size_t i = 0; i < r.size() && i < ranges.size(); ++i) r[i] = ranges[i];
  // Columns used more than once that may be null or not: decide each case apart.
  std::vector<int> uses(columns_.size(), 0);
  root_->CountColumns(&uses);
  std::vector<int> split;
  for (size_t i = 0; i < r.size(); ++i) {
    if (uses[i] > 1 && r[i].may_be_null && r[i].may_be_valid && split.size() < 6) {
      split.push_back(static_cast<int>(i));
    }
  }
  for (uint32_t mask = 0; mask < (1u << split.size()); ++mask) {
    for (size_t k = 0; k < split.size(); ++k) {
      const bool null_case = (mask >> k) & 1;
      r[split[k]].may_be_null = null_case;
      r[split[k]].may_be_valid = !null_case;
    }
    if (root_->Eval(r) & kTrue) return false;
  }
  return true;
}

std::optional<std::vector<ColumnRange>> RangesFromGuarantee(const RangePruner& pruner,
                                                            const cp::Expression& guarantee) {
  std::vector<ColumnRange> ranges(pruner.columns().size());
  if (!ApplyGuarantee(pruner, guarantee, false, &ranges, nullptr)) return std::nullopt;
  return ranges;
}

bool IsLiteralTrue(const cp::Expression& expr) {
  const arrow::Datum* lit = expr.literal();
  if (!lit || !lit->is_scalar()) return false;
  const auto& s = *lit->scalar();
  return s.type->id() == arrow::Type::BOOL && s.is_valid &&
         static_cast<const arrow::BooleanScalar&>(s).value;
}

std::optional<cp::Expression> BindPruningFilter(const cp::Expression& filter,
                                                const arrow::Schema& schema) {
  if (IsLiteralTrue(filter) || !EnsureCompute()) return std::nullopt;
  auto bound = filter.Bind(schema);
  if (!bound.ok()) return std::nullopt;
  if (!bound->type() || bound->type()->id() != arrow::Type::BOOL) return std::nullopt;
  return *bound;
}

bool CanSkip(const cp::Expression& bound_filter, const cp::Expression& guarantee) {
  if (IsLiteralTrue(guarantee)) return false;
  if (auto pruner = RangePruner::Make(bound_filter)) {
    if (auto ranges = RangesFromGuarantee(*pruner, guarantee)) {
      if (pruner->CanSkip(*ranges)) return true;
      if (pruner->exact()) return false;
    }
  }
  auto simplified = cp::SimplifyWithGuarantee(bound_filter, guarantee);
  if (!simplified.ok()) return false;
  const arrow::Datum* lit = simplified->literal();
  if (!lit || !lit->is_scalar()) return false;
  const auto& s = *lit->scalar();
  if (!s.is_valid) return true;
  return s.type->id() == arrow::Type::BOOL && !static_cast<const arrow::BooleanScalar&>(s).value;
}

cp::Expression PartitionGuarantee(const std::vector<std::shared_ptr<arrow::Field>>& fields,
                                  const std::vector<std::shared_ptr<arrow::Scalar>>& values) {
  std::vector<cp::Expression> parts;
  for (size_t i = 0; i < fields.size() && i < values.size(); ++i) {
    auto ref = cp::field_ref(fields[i]->name());
    if (!values[i] || !values[i]->is_valid) {
      parts.push_back(cp::is_null(ref));
    } else {
      parts.push_back(cp::equal(ref, cp::literal(values[i])));
    }
  }
  if (parts.empty()) return cp::literal(true);
  return cp::and_(parts);
}

}  // namespace shoal
