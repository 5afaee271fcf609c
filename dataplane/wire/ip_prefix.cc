#include "dataplane/wire/ip_prefix.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace plait::wire {

absl::StatusOr<IpPrefix> IpPrefix::Parse(absl::string_view text) {
  const size_t slash = text.find('/');
  const absl::string_view address_text = text.substr(0, slash);
  auto address = IpAddress::Parse(address_text);
  if (!address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\": \"", address_text, "\" is not an IP address"));
  }
  const int max_length = address->is_v4() ? 32 : 128;
  int length = max_length;
  if (slash != absl::string_view::npos) {
    const absl::string_view length_text = text.substr(slash + 1);
    if (!absl::SimpleAtoi(length_text, &length) || length < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", text, "\": \"", length_text, "\" is not a prefix length"));
    }
    if (length > max_length) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", text, "\": prefix length ", length,
                       " is more than ", max_length));
    }
  }
  // Host bits: any bit after `length` set.
  auto bytes = address->bytes();
  for (int bit = length; bit < max_length; ++bit) {
    if (bytes[bit / 8] & (0x80 >> (bit % 8))) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", text, "\": host bits are set after the first ",
                       length, " (a prefix starts at its network address)"));
    }
  }
  return IpPrefix(*address, length);
}

bool IpPrefix::Contains(const IpAddress& address) const {
  if (address.is_v4() != address_.is_v4()) return false;
  auto a = address.bytes();
  auto p = address_.bytes();
  const int full = length_ / 8;
  for (int i = 0; i < full; ++i) {
    if (a[i] != p[i]) return false;
  }
  const int rest = length_ % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (p[full] & mask);
}

std::string IpPrefix::ToString() const {
  return absl::StrCat(address_.ToString(), "/", length_);
}

}  // namespace plait::wire
