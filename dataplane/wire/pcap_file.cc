#include "dataplane/wire/pcap_file.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dataplane/wire/byte_io.h"

namespace plait::wire {
namespace {

constexpr uint32_t kMagicMicros = 0xa1b2c3d4;
constexpr uint32_t kMagicNanos = 0xa1b23c4d;
constexpr size_t kGlobalHeaderLength = 24;
constexpr size_t kRecordHeaderLength = 16;
// Larger than any snap length a real capture uses; guards against a damaged
// length field making us treat the rest of the file as one packet.
constexpr uint32_t kMaxRecordLength = 256 * 1024;
constexpr uint32_t kLinkTypeMask = 0x0fffffff;

uint32_t LoadLe32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) |
         (uint32_t{p[3]} << 24);
}

void AppendLe32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void AppendLe16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v));
  out->push_back(static_cast<char>(v >> 8));
}

}  // namespace

absl::StatusOr<PcapReader> PcapReader::Open(absl::Span<const uint8_t> file) {
  if (file.size() < kGlobalHeaderLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("pcap: file is ", file.size(),
                     " bytes, shorter than the 24-byte header"));
  }
  const uint32_t le = LoadLe32(file.data());
  const uint32_t be = LoadBe32(file.data());
  bool swapped;  // the file is big-endian
  bool nanos;
  if (le == kMagicMicros || le == kMagicNanos) {
    swapped = false;
    nanos = le == kMagicNanos;
  } else if (be == kMagicMicros || be == kMagicNanos) {
    swapped = true;
    nanos = be == kMagicNanos;
  } else if (le == 0x0a0d0d0a) {
    return absl::InvalidArgumentError(
        "pcap: this is a pcapng file; convert it with `editcap -F pcap`");
  } else {
    return absl::InvalidArgumentError(
        absl::StrFormat("pcap: unknown magic number 0x%08x", le));
  }
  PcapReader reader(file, swapped, nanos, 0);
  // The upper 4 bits of the link-type field may carry the FCS length (and the
  // bit saying it is present) rather than the link type (the pcap format spec,
  // LinkType and additional information); only the low 28 bits name the type.
  reader.link_type_ = reader.Load32(file.data() + 20) & kLinkTypeMask;
  return reader;
}

uint32_t PcapReader::Load32(const uint8_t* p) const {
  return swapped_ ? LoadBe32(p) : LoadLe32(p);
}

bool PcapReader::Next(PcapRecord* record) {
  if (!error_.ok() || pos_ == file_.size()) return false;
  ++index_;
  if (file_.size() - pos_ < kRecordHeaderLength) {
    error_ = absl::DataLossError(absl::StrCat("pcap: record ", index_,
                                              " header is cut off after ",
                                              file_.size() - pos_, " bytes"));
    return false;
  }
  const uint8_t* h = file_.data() + pos_;
  const uint32_t seconds = Load32(h);
  const uint32_t fraction = Load32(h + 4);
  const uint32_t captured = Load32(h + 8);
  const uint32_t original = Load32(h + 12);
  if (captured > kMaxRecordLength) {
    error_ = absl::DataLossError(absl::StrCat(
        "pcap: record ", index_, " claims ", captured, " captured bytes"));
    return false;
  }
  if (file_.size() - pos_ - kRecordHeaderLength < captured) {
    error_ = absl::DataLossError(absl::StrCat(
        "pcap: record ", index_, " needs ", captured, " bytes, file has ",
        file_.size() - pos_ - kRecordHeaderLength));
    return false;
  }
  record->timestamp_ns = uint64_t{seconds} * 1000000000 +
                         (nanos_ ? fraction : uint64_t{fraction} * 1000);
  record->original_length = original;
  record->data = file_.subspan(pos_ + kRecordHeaderLength, captured);
  pos_ += kRecordHeaderLength + captured;
  return true;
}

bool IsSupportedLinkType(uint32_t link_type) {
  switch (static_cast<LinkType>(link_type)) {
    case LinkType::kEthernet:
    case LinkType::kRaw:
    case LinkType::kLinuxSll:
    case LinkType::kIpv4:
    case LinkType::kIpv6:
      return true;
  }
  return false;
}

absl::StatusOr<absl::Span<const uint8_t>> IpPacketInFrame(
    uint32_t link_type, absl::Span<const uint8_t> frame) {
  size_t header = 0;
  size_t ethertype_at = 0;
  switch (static_cast<LinkType>(link_type)) {
    case LinkType::kRaw:
    case LinkType::kIpv4:
    case LinkType::kIpv6:
      return frame;
    case LinkType::kEthernet:
      header = 14;
      ethertype_at = 12;
      break;
    case LinkType::kLinuxSll:
      header = 16;
      ethertype_at = 14;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("pcap: link type ", link_type, " is not supported"));
  }
  if (frame.size() < header) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame of ", frame.size(), " bytes is shorter than its ",
                     header, "-byte link header"));
  }
  uint16_t ethertype = LoadBe16(frame.data() + ethertype_at);
  if (ethertype == 0x8100 && link_type == uint32_t(LinkType::kEthernet)) {
    if (frame.size() < header + 4) {
      return absl::InvalidArgumentError("VLAN-tagged frame is cut off");
    }
    ethertype = LoadBe16(frame.data() + ethertype_at + 4);
    header += 4;
  }
  if (ethertype != 0x0800 && ethertype != 0x86dd) {
    return absl::NotFoundError(
        absl::StrFormat("frame carries ethertype 0x%04x, not IP", ethertype));
  }
  return frame.subspan(header);
}

PcapWriter::PcapWriter() {
  AppendLe32(&bytes_, kMagicNanos);
  AppendLe16(&bytes_, 2);  // version 2.4
  AppendLe16(&bytes_, 4);
  AppendLe32(&bytes_, 0);  // GMT offset
  AppendLe32(&bytes_, 0);  // accuracy
  AppendLe32(&bytes_, kSnapLength);
  AppendLe32(&bytes_, static_cast<uint32_t>(LinkType::kRaw));
}

void PcapWriter::Add(uint64_t timestamp_ns, absl::Span<const uint8_t> packet) {
  AppendLe32(&bytes_, static_cast<uint32_t>(timestamp_ns / 1000000000));
  AppendLe32(&bytes_, static_cast<uint32_t>(timestamp_ns % 1000000000));
  // Readers trust the snap length in the global header: keep at most that
  // many bytes and record the packet's real size as its original length.
  const size_t captured = std::min<size_t>(packet.size(), kSnapLength);
  AppendLe32(&bytes_, static_cast<uint32_t>(captured));
  AppendLe32(&bytes_,
             static_cast<uint32_t>(std::min<size_t>(
                 packet.size(), std::numeric_limits<uint32_t>::max())));
  bytes_.append(reinterpret_cast<const char*>(packet.data()), captured);
}

}  // namespace plait::wire
