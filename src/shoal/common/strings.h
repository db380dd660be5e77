// Small string helpers shared by every module (case folding, "did you mean").
#pragma once

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

}  // namespace shoal
