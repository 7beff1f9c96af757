#include "core/sshweb/tier.hpp"

namespace sshrelay::sshweb {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

bool entry_matches(const std::string& entry, const std::vector<std::string>& words) {
  if (words.empty()) return false;
  if (!entry.empty() && entry.back() == '*') return words[0].starts_with(std::string_view(entry).substr(0, entry.size() - 1));
  const auto pattern = split_fields(entry);
  if (pattern.empty() || pattern.size() > words.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != words[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view tier_name(Tier tier) {
  switch (tier) {
    case Tier::anonymous: return "anonymous";
    case Tier::identified: return "identified";
    case Tier::trusted: return "trusted";
  }
  return "anonymous";
}

std::optional<Tier> parse_tier(std::string_view name) {
  for (const auto tier : kTiers) {
    if (tier_name(tier) == name) return tier;
  }
  return std::nullopt;
}

std::vector<std::string> split_fields(std::string_view text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

bool CommandAllowList::allows(Tier tier, const std::vector<std::string>& words) const {
  for (const auto level : kTiers) {
    if (level > tier) break;
    for (const auto& entry : added[static_cast<std::size_t>(level)]) {
      if (entry_matches(entry, words)) return true;
    }
  }
  return false;
}

std::optional<Tier> CommandAllowList::lowest_tier(const std::vector<std::string>& words) const {
  for (const auto tier : kTiers) {
    if (allows(tier, words)) return tier;
  }
  return std::nullopt;
}

}  // namespace sshrelay::sshweb
