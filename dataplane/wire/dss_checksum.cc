#include "dataplane/wire/dss_checksum.h"

#include "dataplane/wire/checksum.h"

namespace plait::wire {
namespace {

InternetChecksum PseudoHeaderSum(uint64_t dsn, uint32_t relative_subflow_seq,
                                 uint16_t data_level_length,
                                 uint16_t checksum_field) {
  InternetChecksum sum;
  sum.AddU64(dsn);
  sum.AddU32(relative_subflow_seq);
  sum.AddU16(data_level_length);
  sum.AddU16(checksum_field);
  return sum;
}

}  // namespace

uint16_t DssChecksum(uint64_t dsn, uint32_t relative_subflow_seq,
                     uint16_t data_level_length,
                     absl::Span<const uint8_t> payload) {
  InternetChecksum sum =
      PseudoHeaderSum(dsn, relative_subflow_seq, data_level_length, 0);
  sum.Add(payload);
  return sum.Finish();
}

bool VerifyDssChecksum(uint64_t dsn, uint32_t relative_subflow_seq,
                       uint16_t data_level_length, uint16_t checksum,
                       absl::Span<const uint8_t> payload) {
  InternetChecksum sum =
      PseudoHeaderSum(dsn, relative_subflow_seq, data_level_length, checksum);
  sum.Add(payload);
  return sum.Finish() == 0;
}

}  // namespace plait::wire
