// The classic pcap file format (not pcapng), read from and written to memory.
// plait-wire reads captures with it, and the simulator writes each link's
// packets with it so that tshark can read them. Files come from anywhere, so
// the reader checks every length against the buffer.
#ifndef PLAIT_DATAPLANE_WIRE_PCAP_FILE_H_
#define PLAIT_DATAPLANE_WIRE_PCAP_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace plait::wire {

// Link types (tcpdump.org/linktypes.html) whose frames plait-wire can unwrap.
enum class LinkType : uint32_t {
  kEthernet = 1,
  kRaw = 101,  // the packet starts with the IP header
  kLinuxSll = 113,
  kIpv4 = 228,
  kIpv6 = 229,
};

struct PcapRecord {
  uint64_t timestamp_ns = 0;
  uint32_t original_length = 0;
  absl::Span<const uint8_t> data;  // the captured bytes (may be truncated)
};

class PcapReader {
 public:
  // Checks the global header; the error says what is wrong with it.
  static absl::StatusOr<PcapReader> Open(absl::Span<const uint8_t> file);

  // The link type from the global header, with the upper 4 bits (FCS
  // information in some captures) masked off.
  uint32_t link_type() const { return link_type_; }

  // Returns the next record; false at the clean end of the file or on a
  // damaged record, in which case error() says where and why.
  bool Next(PcapRecord* record);
  const absl::Status& error() const { return error_; }

 private:
  PcapReader(absl::Span<const uint8_t> file, bool swapped, bool nanos,
             uint32_t link_type)
      : file_(file), swapped_(swapped), nanos_(nanos), link_type_(link_type) {}
  uint32_t Load32(const uint8_t* p) const;

  absl::Span<const uint8_t> file_;
  size_t pos_ = 24;
  bool swapped_;
  bool nanos_;
  uint32_t link_type_;
  size_t index_ = 0;
  absl::Status error_;
};

// True for the link types IpPacketInFrame can unwrap (LinkType above).
bool IsSupportedLinkType(uint32_t link_type);

// The IP packet inside a frame of the given link type. NotFound for frames
// that carry something else (ARP, say); InvalidArgument for a truncated frame
// or a link type this reader does not know.
absl::StatusOr<absl::Span<const uint8_t>> IpPacketInFrame(
    uint32_t link_type, absl::Span<const uint8_t> frame);

// Builds a pcap file (LINKTYPE_RAW, nanosecond timestamps, snap length
// kSnapLength) in memory.
class PcapWriter {
 public:
  static constexpr uint32_t kSnapLength = 65535;

  PcapWriter();
  // Records at most kSnapLength bytes of the packet; the record's original
  // length is the packet's full size.
  void Add(uint64_t timestamp_ns, absl::Span<const uint8_t> ip_packet);
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_PCAP_FILE_H_
