#pragma once
// The Prometheus text exposition format (version 0.0.4): what GET /metrics answers. A family is its
// # HELP and # TYPE lines followed by its samples; label values are escaped (\\, \", \n) and samples of
// one family must be written together, which the writer enforces by taking each family whole.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sshrelay::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  Labels labels;
  double value = 0;
};

enum class MetricType { counter, gauge };

class ExpositionWriter {
 public:
  // `name` per the naming conventions (snake_case, base units, counters ending _total); `help` one line.
  void family(std::string_view name, MetricType type, std::string_view help, const std::vector<Sample>& samples);
  // A family with one unlabelled sample.
  void single(std::string_view name, MetricType type, std::string_view help, double value);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// A label value with \, " and newline escaped as the format requires.
std::string escape_label_value(std::string_view value);
// Integers without a fraction or exponent; others with enough digits to round-trip; +Inf, -Inf, NaN.
std::string format_sample_value(double value);

}  // namespace sshrelay::metrics
