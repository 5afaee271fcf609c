// Helpers shared by the dataplane/wire tests (testonly).
#ifndef PLAIT_DATAPLANE_WIRE_TEST_UTIL_H_
#define PLAIT_DATAPLANE_WIRE_TEST_UTIL_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"

namespace plait::wire::testing_util {

// "45 00 0a" -> {0x45, 0x00, 0x0a}. Lower-case hex digits only; every other
// character (spaces, newlines) is ignored, and an odd trailing digit is
// dropped.
inline std::vector<uint8_t> FromHex(absl::string_view hex) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      continue;
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

}  // namespace plait::wire::testing_util

#endif  // PLAIT_DATAPLANE_WIRE_TEST_UTIL_H_
