#include "core/policy/token_bucket.hpp"

#include <algorithm>

namespace sshrelay {

TokenBuckets::TokenBuckets(double rate, double burst, std::size_t max_keys)
    : rate_(rate), burst_(burst), max_keys_(max_keys) {}

bool TokenBuckets::try_take(const std::string& key, TimePoint now) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) forget_idle(now);
    it = buckets_.emplace(key, Bucket{burst_, now}).first;
  }
  Bucket& bucket = it->second;
  const double elapsed = std::chrono::duration<double>(now - bucket.last).count();
  bucket.tokens = std::min(burst_, bucket.tokens + std::max(0.0, elapsed) * rate_);
  bucket.last = now;
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

void TokenBuckets::forget_idle(TimePoint now) {
  // A bucket idle for burst/rate seconds is full again: forgetting it changes nothing.
  const auto full_after = std::chrono::duration<double>(burst_ / std::max(rate_, 1e-9));
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = now - it->second.last >= full_after ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() >= max_keys_) buckets_.clear();  // all busy: a flood; start over rather than grow
}

}  // namespace sshrelay
