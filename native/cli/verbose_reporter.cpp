#include "native/cli/verbose_reporter.hpp"

#include <boost/asio/post.hpp>
#include <cstdio>

namespace sshrelay::cli {
namespace asio = boost::asio;

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  int unit = 0;
  while (value >= 1024.0 && unit < 3) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, value < 10.0 && unit >= 2 ? "%.2f %s" : "%.1f %s", value, units[unit]);
  return text;
}

namespace {

std::string rate(std::uint64_t bytes, std::chrono::seconds interval) {
  return format_bytes(bytes / static_cast<std::uint64_t>(std::max<std::chrono::seconds::rep>(interval.count(), 1))) + "/s";
}

std::string sid_label(const client::RelayConnection& c) {
  const auto sid = c.session_id();
  return sid.empty() ? std::string("(connecting)") : "sid=" + sid.substr(0, 8) + "...";
}

}  // namespace

std::string connection_summary(const client::RelayConnection& c) {
  std::string out = "up " + format_bytes(c.bytes_from_local()) + ", down " + format_bytes(c.bytes_to_local());
  const auto reconnects = c.reconnects();
  out += ", " + std::to_string(reconnects) + (reconnects == 1 ? " reconnect" : " reconnects");
  if (const auto rtt = c.rtt()) {
    char text[32];
    std::snprintf(text, sizeof text, ", rtt %.1f ms", static_cast<double>(rtt->count()) / 1000.0);
    out += text;
  }
  return out;
}

VerboseReporter::VerboseReporter(asio::any_io_executor executor, Console& console, std::chrono::seconds interval)
    : console_(console), interval_(interval), timer_(std::move(executor)) {}

void VerboseReporter::watch(const std::shared_ptr<client::RelayConnection>& connection) {
  std::lock_guard lock(mutex_);
  watched_.push_back(Watched{connection, 0, 0});
}

void VerboseReporter::start() {
  asio::post(timer_.get_executor(), [self = shared_from_this()] { self->do_wait(); });
}

void VerboseReporter::stop() {
  asio::post(timer_.get_executor(), [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
  });
}

void VerboseReporter::do_wait() {
  if (stopped_) return;
  timer_.expires_after(interval_);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_tick();
  });
}

void VerboseReporter::on_tick() {
  std::vector<std::string> lines;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(watched_, [](const Watched& w) {
      auto c = w.connection.lock();
      return !c || c->finished();
    });
    for (auto& w : watched_) {
      auto c = w.connection.lock();
      const auto up = c->bytes_from_local();
      const auto down = c->bytes_to_local();
      c->measure_rtt();  // for the next line
      if (up == w.up && down == w.down) continue;  // idle: nothing new to say
      lines.push_back(sid_label(*c) + ": " + connection_summary(*c) + " (now " + rate(up - w.up, interval_) + " up, " +
                      rate(down - w.down, interval_) + " down)");
      w.up = up;
      w.down = down;
    }
  }
  for (const auto& line : lines) console_.progress(line);
  do_wait();
}

}  // namespace sshrelay::cli
