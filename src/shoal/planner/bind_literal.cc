// Literals: integer/decimal typing (DuckDB-like exact decimals), strings,
// typed literals (DATE/TIME/TIMESTAMP) and INTERVAL parsing.
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/decimal.h>

#include "shoal/common/strings.h"
#include "shoal/planner/binder_internal.h"

namespace shoal::binder_internal {

namespace {

constexpr int64_t kNanosPerSecond = 1000000000LL;
constexpr int64_t kNanosPerMinute = 60 * kNanosPerSecond;
constexpr int64_t kNanosPerHour = 60 * kNanosPerMinute;
constexpr int64_t kNanosPerDay = 24 * kNanosPerHour;

struct IntervalParts {
  double months = 0;
  double days = 0;
  double nanos = 0;
};

/// Add `value` `unit`s to `out`; false for an unknown unit.
bool AddUnit(const std::string& unit_in, double value, IntervalParts* out) {
  std::string u = ToLower(unit_in);
  if (u.size() > 1 && u.back() == 's' && u != "s" && u != "ms" && u != "us") u.pop_back();
  if (u == "year" || u == "y" || u == "yr") {
    out->months += value * 12;
  } else if (u == "quarter") {
    out->months += value * 3;
  } else if (u == "month" || u == "mon") {
    out->months += value;
  } else if (u == "week" || u == "w") {
    out->days += value * 7;
  } else if (u == "day" || u == "d") {
    out->days += value;
  } else if (u == "hour" || u == "h" || u == "hr") {
    out->nanos += value * kNanosPerHour;
  } else if (u == "minute" || u == "min" || u == "m") {
    out->nanos += value * kNanosPerMinute;
  } else if (u == "second" || u == "sec" || u == "s") {
    out->nanos += value * kNanosPerSecond;
  } else if (u == "millisecond" || u == "msec" || u == "ms") {
    out->nanos += value * 1e6;
  } else if (u == "microsecond" || u == "usec" || u == "us") {
    out->nanos += value * 1e3;
  } else if (u == "nanosecond" || u == "ns") {
    out->nanos += value;
  } else {
    return false;
  }
  return true;
}

/// Parse "[-]h:m[:s[.f]]" into nanoseconds.
bool ParseClock(const std::string& s, double* nanos) {
  bool neg = !s.empty() && s[0] == '-';
  std::string t = neg ? s.substr(1) : s;
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t i = 0; i <= t.size(); ++i) {
    if (i == t.size() || t[i] == ':') {
      fields.push_back(t.substr(start, i - start));
      start = i + 1;
    }
  }
  if (fields.size() < 2 || fields.size() > 3) return false;
  double total = 0;
  const double mult[] = {static_cast<double>(kNanosPerHour), static_cast<double>(kNanosPerMinute),
                         static_cast<double>(kNanosPerSecond)};
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].empty()) return false;
    char* end = nullptr;
    double v = std::strtod(fields[i].c_str(), &end);
    if (*end != '\0') return false;
    total += v * mult[i];
  }
  *nanos = neg ? -total : total;
  return true;
}

bool ParseNumber(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return *end == '\0' && std::isfinite(*out);
}

Result<std::shared_ptr<arrow::Scalar>> MakeInterval(const IntervalParts& p,
                                                    const std::string& text) {
  // Carry fractional months into days and fractional days into nanoseconds.
  double whole_months = std::trunc(p.months);
  double days = p.days + (p.months - whole_months) * 30;
  double whole_days = std::trunc(days);
  double nanos = p.nanos + (days - whole_days) * kNanosPerDay;
  if (std::fabs(whole_months) > std::numeric_limits<int32_t>::max() ||
      std::fabs(whole_days) > std::numeric_limits<int32_t>::max() ||
      std::fabs(nanos) > 9.2e18) {
    return Status::Invalid("interval '", text, "' is out of range");
  }
  arrow::MonthDayNanoIntervalType::MonthDayNanos v;
  v.months = static_cast<int32_t>(whole_months);
  v.days = static_cast<int32_t>(whole_days);
  v.nanoseconds = static_cast<int64_t>(std::llround(nanos));
  return std::make_shared<arrow::MonthDayNanoIntervalScalar>(v);
}

}  // namespace

Result<std::shared_ptr<arrow::Scalar>> ParseIntervalLiteral(const std::string& text_in,
                                                            const std::string& unit,
                                                            const std::string& unit_to) {
  std::string text = Trim(text_in);
  IntervalParts parts;
  auto bad = [&]() {
    return Status::Invalid("invalid interval '", text_in, "'",
                           unit.empty() ? std::string()
                                        : " for unit " + ToUpper(unit) +
                                              (unit_to.empty() ? "" : " TO " + ToUpper(unit_to)));
  };
  if (!unit_to.empty()) {
    std::string from = ToLower(unit), to = ToLower(unit_to);
    bool neg = !text.empty() && text[0] == '-';
    std::string t = neg ? text.substr(1) : text;
    double sign = neg ? -1 : 1;
    if (from == "year" && to == "month") {
      auto dash = t.find('-');
      double y = 0, m = 0;
      if (dash == std::string::npos) {
        if (!ParseNumber(t, &y)) return bad();
      } else if (!ParseNumber(t.substr(0, dash), &y) || !ParseNumber(t.substr(dash + 1), &m)) {
        return bad();
      }
      parts.months = sign * (y * 12 + m);
    } else if (from == "day") {
      auto space = t.find(' ');
      double d = 0, clock = 0;
      if (space == std::string::npos) {
        if (!ParseNumber(t, &d)) return bad();
      } else if (!ParseNumber(t.substr(0, space), &d) ||
                 !ParseClock(Trim(t.substr(space + 1)), &clock)) {
        return bad();
      }
      parts.days = sign * d;
      parts.nanos = sign * clock;
    } else if (from == "hour" || from == "minute") {
      double clock = 0;
      std::string c = t;
      if (from == "minute") c = "0:" + c;
      if (c.find(':') == std::string::npos) c += ":0";
      if (!ParseClock(c, &clock)) return bad();
      parts.nanos = sign * clock;
    } else {
      return bad();
    }
    return MakeInterval(parts, text_in);
  }
  if (!unit.empty()) {
    double v = 0;
    if (!ParseNumber(text, &v)) return bad();
    if (!AddUnit(unit, v, &parts)) {
      return Status::Invalid("unknown interval unit '", unit, "'");
    }
    return MakeInterval(parts, text_in);
  }
  // Free form: "1 day 2 hours", "3 days", "1 year 2 mons 02:00:00", "-1 day".
  std::vector<std::string> tokens;
  {
    std::string cur;
    for (char ch : text) {
      if (std::isspace(static_cast<unsigned char>(ch))) {
        if (!cur.empty()) tokens.push_back(cur);
        cur.clear();
      } else {
        cur += ch;
      }
    }
    if (!cur.empty()) tokens.push_back(cur);
  }
  if (tokens.empty()) return bad();
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& tok = tokens[i];
    if (tok.find(':') != std::string::npos) {
      double clock = 0;
      if (!ParseClock(tok, &clock)) return bad();
      parts.nanos += clock;
      continue;
    }
    // A number, optionally glued to its unit ("3d", "2hours").
    size_t n = 0;
    while (n < tok.size() && (std::isdigit(static_cast<unsigned char>(tok[n])) ||
                              tok[n] == '.' || tok[n] == '-' || tok[n] == '+')) {
      ++n;
    }
    double v = 0;
    if (n == 0 || !ParseNumber(tok.substr(0, n), &v)) return bad();
    std::string u = tok.substr(n);
    if (u.empty()) {
      if (i + 1 >= tokens.size()) {
        // A bare number means seconds (DuckDB/Postgres).
        u = "second";
      } else {
        u = tokens[++i];
      }
    }
    if (!AddUnit(u, v, &parts)) return Status::Invalid("unknown interval unit '", u, "' in '",
                                                       text_in, "'");
  }
  return MakeInterval(parts, text_in);
}

Result<ExprPtr> QueryBinder::BindLiteral(const ast::LiteralExpr& lit) {
  switch (lit.literal_kind) {
    case ast::LiteralKind::kNull:
      return plan::MakeLiteral(std::make_shared<arrow::NullScalar>());
    case ast::LiteralKind::kBool:
      return plan::MakeBoolLiteral(lit.bool_value);
    case ast::LiteralKind::kString:
      return plan::MakeLiteral(std::make_shared<arrow::StringScalar>(lit.text));
    case ast::LiteralKind::kInteger: {
      std::string t = lit.text;
      bool neg = !t.empty() && t[0] == '-';
      std::string digits = neg ? t.substr(1) : t;
      if (!digits.empty() && digits[0] == '+') digits = digits.substr(1);
      if (digits.empty()) return Error(lit.loc, "invalid integer literal '" + lit.text + "'");
      for (char c : digits) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
          return Error(lit.loc, "invalid integer literal '" + lit.text + "'");
        }
      }
      size_t nz = digits.find_first_not_of('0');
      std::string sig = nz == std::string::npos ? "0" : digits.substr(nz);
      if (sig.size() <= 18) {
        int64_t v = std::stoll(sig);
        if (neg) v = -v;
        if (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max()) {
          return plan::MakeLiteral(std::make_shared<arrow::Int32Scalar>(static_cast<int32_t>(v)));
        }
        return plan::MakeLiteral(std::make_shared<arrow::Int64Scalar>(v));
      }
      if (sig.size() == 19) {
        // May still fit int64.
        const std::string max = neg ? "9223372036854775808" : "9223372036854775807";
        if (sig <= max) {
          if (neg && sig == max) {
            return plan::MakeLiteral(
                std::make_shared<arrow::Int64Scalar>(std::numeric_limits<int64_t>::min()));
          }
          int64_t v = std::stoll(sig);
          return plan::MakeLiteral(std::make_shared<arrow::Int64Scalar>(neg ? -v : v));
        }
      }
      if (sig.size() <= 38) {
        arrow::Decimal128 value;
        ARROW_ASSIGN_OR_RAISE(value, arrow::Decimal128::FromString((neg ? "-" : "") + sig));
        auto type = arrow::decimal128(static_cast<int32_t>(sig.size()), 0);
        return plan::MakeLiteral(std::make_shared<arrow::Decimal128Scalar>(value, type));
      }
      return plan::MakeLiteral(std::make_shared<arrow::DoubleScalar>(std::strtod(t.c_str(), nullptr)));
    }
    case ast::LiteralKind::kDecimal: {
      const std::string& t = lit.text;
      bool neg = !t.empty() && t[0] == '-';
      std::string body = neg ? t.substr(1) : t;
      bool exponent = body.find_first_of("eE") != std::string::npos;
      size_t dot = body.find('.');
      std::string int_part = dot == std::string::npos ? body : body.substr(0, dot);
      std::string frac_part = dot == std::string::npos ? "" : body.substr(dot + 1);
      bool digits_ok = !(int_part.empty() && frac_part.empty());
      for (char c : int_part + frac_part) {
        digits_ok = digits_ok && std::isdigit(static_cast<unsigned char>(c));
      }
      int precision = static_cast<int>(int_part.size() + frac_part.size());
      if (exponent || !digits_ok || precision > 38) {
        char* end = nullptr;
        double v = std::strtod(t.c_str(), &end);
        if (end == t.c_str() || *end != '\0') {
          return Error(lit.loc, "invalid numeric literal '" + t + "'");
        }
        return plan::MakeLiteral(std::make_shared<arrow::DoubleScalar>(v));
      }
      int scale = static_cast<int>(frac_part.size());
      std::string unscaled = int_part + frac_part;
      size_t nz = unscaled.find_first_not_of('0');
      unscaled = nz == std::string::npos ? "0" : unscaled.substr(nz);
      ARROW_ASSIGN_OR_RAISE(auto value,
                            arrow::Decimal128::FromString((neg ? "-" : "") + unscaled));
      auto type = arrow::decimal128(std::max(precision, 1), scale);
      return plan::MakeLiteral(std::make_shared<arrow::Decimal128Scalar>(value, type));
    }
    case ast::LiteralKind::kTyped: {
      std::string tn = ToLower(lit.type_name);
      DataTypePtr type;
      if (tn == "date") {
        type = arrow::date32();
      } else if (tn == "time") {
        type = arrow::time64(arrow::TimeUnit::MICRO);
      } else if (tn == "timestamp" || tn == "datetime") {
        type = arrow::timestamp(arrow::TimeUnit::MICRO);
      } else if (tn == "timestamptz") {
        type = arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
      } else if (tn == "interval") {
        auto parsed = ParseIntervalLiteral(lit.text, "", "");
        if (!parsed.ok()) return Error(lit.loc, parsed.status().message());
        return plan::MakeLiteral(*parsed);
      } else {
        // Other typed literals (DECIMAL '1.5', ...) are casts of a string.
        ast::TypeName t;
        t.name = tn;
        t.loc = lit.loc;
        ARROW_ASSIGN_OR_RAISE(type, BindType(t));
        auto str = plan::MakeLiteral(std::make_shared<arrow::StringScalar>(lit.text));
        return std::make_shared<plan::CastExpr>(str, type, false);
      }
      std::string text = Trim(lit.text);
      auto parsed = arrow::Scalar::Parse(type, text);
      if (!parsed.ok() && tn == "timestamptz") {
        // Accept a trailing zone offset Arrow does not parse ("+02").
        auto naive = arrow::Scalar::Parse(arrow::timestamp(arrow::TimeUnit::MICRO), text);
        if (naive.ok()) {
          parsed = std::shared_ptr<arrow::Scalar>(std::make_shared<arrow::TimestampScalar>(
              std::static_pointer_cast<arrow::TimestampScalar>(*naive)->value, type));
        }
      }
      if (!parsed.ok()) {
        return Error(lit.loc, "invalid " + ToUpper(tn) + " literal '" + lit.text + "'");
      }
      return plan::MakeLiteral(*parsed);
    }
    case ast::LiteralKind::kInterval: {
      auto parsed = ParseIntervalLiteral(lit.text, lit.unit, lit.unit_to);
      if (!parsed.ok()) return Error(lit.loc, parsed.status().message());
      return plan::MakeLiteral(*parsed);
    }
  }
  return Error(lit.loc, "unsupported literal");
}

}  // namespace shoal::binder_internal
