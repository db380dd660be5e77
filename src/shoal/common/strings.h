// Small string helpers shared by every module (case folding, "did you mean").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shoal {

/// Return `s` in ASCII lower case.
std::string ToLower(std::string_view s);
/// Return `s` in ASCII upper case.
std::string ToUpper(std::string_view s);
/// Return `s` without leading and trailing ASCII white space.
std::string Trim(std::string_view s);
/// Return true if `a` and `b` are equal ignoring ASCII case.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
/// Return the Levenshtein edit distance between `a` and `b` (case-insensitive).
size_t EditDistance(std::string_view a, std::string_view b);
/// Return up to `max` candidates closest to `name` (by edit distance), best first;
/// only candidates close enough to be a plausible typo are returned.
std::vector<std::string> ClosestMatches(std::string_view name,
                                        const std::vector<std::string>& candidates,
                                        size_t max = 3);
/// Return the items quoted with single quotes and joined by `sep` ("'a' or 'b'").
std::string JoinQuoted(const std::vector<std::string>& items, std::string_view sep);
/// Return the items joined by `sep`.
std::string Join(const std::vector<std::string>& items, std::string_view sep);

/// Append the UTF-8 encoding of code point `cp` to `out`.
void AppendUtf8(uint32_t cp, std::string* out);

/// Append `s` to `out` as a JSON string literal (quotes included; control
/// characters escaped, \b \f \n \r \t short forms, others as \u00XX).
void AppendJsonString(std::string_view s, std::string* out);

/// Return `s` as a JSON string literal (see AppendJsonString).
std::string JsonQuote(std::string_view s);

}  // namespace shoal
