// "Did you mean …?" for a mistyped name: the candidate a typo most likely meant.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace fastappkit {

// Levenshtein distance.
std::size_t edit_distance(const std::string& a, const std::string& b);

// The candidate closest to `word`, when it is near enough to be a typo of it (at most two
// edits, or a third of the candidate's length); empty otherwise.
std::string closest_name(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace fastappkit
