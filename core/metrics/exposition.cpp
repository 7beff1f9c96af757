#include "core/metrics/exposition.hpp"

#include <cmath>
#include <cstdio>

namespace sshrelay::metrics {

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char text[32];
  if (value == std::floor(value) && std::fabs(value) < 9.007199254740992e15) {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else {
    std::snprintf(text, sizeof text, "%.17g", value);
  }
  return text;
}

void ExpositionWriter::family(std::string_view name, MetricType type, std::string_view help,
                              const std::vector<Sample>& samples) {
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  text_ += help;
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += type == MetricType::counter ? " counter\n" : " gauge\n";
  for (const auto& sample : samples) {
    text_ += name;
    if (!sample.labels.empty()) {
      text_ += '{';
      bool first = true;
      for (const auto& [label, value] : sample.labels) {
        if (!first) text_ += ',';
        first = false;
        text_ += label;
        text_ += "=\"";
        text_ += escape_label_value(value);
        text_ += '"';
      }
      text_ += '}';
    }
    text_ += ' ';
    text_ += format_sample_value(sample.value);
    text_ += '\n';
  }
}

void ExpositionWriter::single(std::string_view name, MetricType type, std::string_view help, double value) {
  family(name, type, help, {Sample{{}, value}});
}

}  // namespace sshrelay::metrics
