#pragma once
// Per-key rate limiting (connection attempts per source IP). Time is passed in; the table is bounded:
// when full, the keys idle longest (whose buckets are refilled anyway) are forgotten.
#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

#include "core/common/time.hpp"

namespace sshrelay {

class TokenBuckets {
 public:
  // `rate` tokens per second, up to `burst`; at most `max_keys` keys remembered.
  TokenBuckets(double rate, double burst, std::size_t max_keys = 65536);

  // Takes one token for `key` at `now`; false when the key is over its rate.
  bool try_take(const std::string& key, TimePoint now);

 private:
  struct Bucket {
    double tokens;
    TimePoint last;
  };
  void forget_idle(TimePoint now);

  double rate_;
  double burst_;
  std::size_t max_keys_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace sshrelay
