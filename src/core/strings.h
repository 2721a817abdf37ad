// Small string helpers used across components.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace slipway {

std::string trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
// Whether a switch's value (an environment variable's) says off: 0, off, false or no, in any case.
bool switched_off(std::string_view value);
// The last line of `text` that is not blank, trimmed; "" when there is none.
std::string last_line(std::string_view text);
bool starts_with(std::string_view s, std::string_view prefix);
std::string to_lower(std::string_view s);  // ASCII letters only
std::string join(const std::vector<std::string>& parts, std::string_view sep);
// Every occurrence of `from` replaced by `to`, left to right, never rescanning what was put in.
std::string replace_all(std::string text, const std::string& from, const std::string& to);
// POSIX shell single-quoting: 'it'\''s'.
std::string shell_quote(const std::string& s);

// Integers as sorted, de-duplicated ranges: {3, 0, 1, 2, 8, 10, 11} -> "0-3,8,10-11" (the form of
// CPU lists, Slurm array indexes and host ranges).
std::string compact_ranges(std::vector<int> values);

// Edit distance, for "did you mean" suggestions on unknown keys and names.
size_t levenshtein(std::string_view a, std::string_view b);

// The closest candidate within a small edit distance, or "" when nothing is close enough.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "" — appended to error messages.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace slipway
