#include "dataplane/policy/prefix.h"

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"

namespace plait::policy {
namespace {

// True when `bytes` has no bit set past the first `length` bits.
bool HostBitsClear(absl::Span<const uint8_t> bytes, int length) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    const int bit = static_cast<int>(i) * 8;
    if (bit + 8 <= length) continue;
    const int keep = length > bit ? length - bit : 0;
    const uint8_t host_mask = static_cast<uint8_t>(0xff >> keep);
    if ((bytes[i] & host_mask) != 0) return false;
  }
  return true;
}

wire::IpAddress Masked(const wire::IpAddress& address, int length) {
  uint8_t out[16] = {};
  absl::Span<const uint8_t> bytes = address.bytes();
  for (size_t i = 0; i < bytes.size(); ++i) {
    const int bit = static_cast<int>(i) * 8;
    const int keep = length >= bit + 8 ? 8 : (length > bit ? length - bit : 0);
    out[i] = bytes[i] & static_cast<uint8_t>(0xff00 >> keep);
  }
  return address.is_v4() ? wire::IpAddress::V4Bytes({out, 4})
                         : wire::IpAddress::V6Bytes({out, 16});
}

}  // namespace

absl::StatusOr<Prefix> Prefix::Parse(absl::string_view text) {
  const size_t slash = text.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "not a CIDR prefix: no \"/LENGTH\" after the address");
  }
  const absl::string_view address_text = text.substr(0, slash);
  const absl::string_view length_text = text.substr(slash + 1);
  absl::StatusOr<wire::IpAddress> address =
      wire::IpAddress::Parse(address_text);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", address_text, "\" is not an IPv4 or IPv6 address"));
  }
  // Digits only: SimpleAtoi would take "+8" or " 8", which no CIDR tool
  // writes. Three digits are enough for 128 and keep the value small.
  bool digits = !length_text.empty() && length_text.size() <= 3;
  for (char c : length_text) digits = digits && absl::ascii_isdigit(c);
  if (!digits) {
    return absl::InvalidArgumentError(
        absl::StrCat("prefix length \"", length_text, "\" is not a number"));
  }
  int length = 0;
  for (char c : length_text) length = length * 10 + (c - '0');
  const int max = address->is_v4() ? 32 : 128;
  if (length > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("prefix length ", length, " is more than ", max));
  }
  if (!HostBitsClear(address->bytes(), length)) {
    return absl::InvalidArgumentError(
        absl::StrCat("host bits are set (the prefix is ",
                     Masked(*address, length).ToString(), "/", length, ")"));
  }
  return Prefix(*address, length);
}

bool Prefix::Contains(const wire::IpAddress& address) const {
  if (address.family() != network_.family()) return false;
  absl::Span<const uint8_t> a = address.bytes();
  absl::Span<const uint8_t> n = network_.bytes();
  const int whole = length_ / 8;
  for (int i = 0; i < whole; ++i) {
    if (a[i] != n[i]) return false;
  }
  const int rest = length_ % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff00 >> rest);
  return (a[whole] & mask) == n[whole];
}

std::string Prefix::ToString() const {
  return absl::StrCat(network_.ToString(), "/", length_);
}

}  // namespace plait::policy
