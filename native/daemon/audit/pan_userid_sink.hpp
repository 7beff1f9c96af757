#pragma once
// Palo Alto Networks User-ID over the PAN-OS XML API, in its multi-user-system (terminal server) form:
// all sessions leave the relay from one IP, so the firewall tells users apart by source port. On
// session.start the sink logs the principal in on relay_ip with blockstart = relay_source_port; on
// session.close it logs that block out. Before the first login from a relay IP it sends the
// <multiusersystem> setup (startport/endport = the relay's pinned source-port range, blocksize), because the
// firewall's default (1025-65534, 200 ports per user) would map 200 ports per login.
//
// Request: POST https://FIREWALL/api/ with a form body type=user-id&cmd=<uid-message>[&vsys=V], the API key
// in an X-PAN-KEY header (or, for old PAN-OS, as key= in the form body); never in the URL. Success is
// HTTP 200 with <response status="success">; status="error" or HTTP 4xx drop the batch as lost; network
// errors, 408, 429 and 5xx are retried.
//
// Only session.start and session.close carrying principal, relay_ip and relay_source_port reach this
// sink's queue; everything else is ignored (and not counted as lost).
#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "native/daemon/audit/async_batch_sink.hpp"

namespace sshrelay::daemon::audit {

inline constexpr std::string_view kPanDefaultPath = "/api/";

struct PanOptions {
  std::string api_key;          // never logged, never in a URL
  std::string user_domain;      // prefix: "DOMAIN\principal"; empty: the principal as is
  std::string vsys;             // vsys=...; empty: the firewall's default
  bool key_in_body = false;     // key= form field instead of the X-PAN-KEY header
  std::uint16_t port_first = 0; // the relay's pinned source-port range, announced by <multiusersystem>
  std::uint16_t port_last = 0;
  std::uint16_t block_size = 1; // ports per session; relay_source_port must be a block start
  std::string relay_ip;         // the relay address the firewall sees (NAT between them); empty: relay_ip
  unsigned login_timeout_minutes = 0;  // timeout= on logins (PAN-OS counts minutes); 0: the firewall's default
};

struct UidEntry {
  std::string user;
  std::string ip;
  std::uint16_t blockstart = 0;
  unsigned timeout_minutes = 0;  // logins only; 0: no timeout attribute
};

// The pieces of a request, exposed for tests.
std::string pan_user_name(std::string_view domain, std::string_view principal);
std::string xml_attribute_escape(std::string_view text);
std::string form_urlencode(std::string_view text);
std::string uid_message_login_logout(const std::vector<UidEntry>& logins, const std::vector<UidEntry>& logouts);
std::string uid_message_multiuser_setup(std::string_view ip, std::uint16_t first, std::uint16_t last,
                                        std::uint16_t block_size);

class PanUserIdSink final : public AsyncBatchSink {
 public:
  // name tells firewalls apart in the log and /statz when there are several ("pan_userid", "pan_userid_2").
  PanUserIdSink(std::size_t capacity, net::any_io_executor strand, BatchOptions options,
                std::shared_ptr<HttpsClient> client, PanOptions pan, std::string name = "pan_userid");

 private:
  const std::string& ip_of(const AuditEvent& e) const { return pan_.relay_ip.empty() ? e.relay_ip : pan_.relay_ip; }
  bool accepts(const AuditRecord& record) const override;
  std::vector<RecordPtr> take_batch() override;
  std::size_t held() const override { return carry_.size(); }
  void drop_held() override { carry_.clear(); }
  http::request<http::string_body> make_request(const std::vector<RecordPtr>& batch) override;
  Verdict judge(const HttpResult& result, std::string& why) override;
  http::request<http::string_body> form_request(const std::string& uid_message) const;

  PanOptions pan_;
  // Strand-only state.
  std::deque<RecordPtr> carry_;           // taken from the queue, kept for the next batch (see take_batch)
  std::set<std::string> configured_ips_;  // relay IPs whose <multiusersystem> setup the firewall took
  std::string pending_setup_ip_;          // the setup in flight, if any
};

}  // namespace sshrelay::daemon::audit
