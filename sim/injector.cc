#include "sim/injector.h"

#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/tcp_header.h"
#include "sim/packet_rewrite.h"

namespace plait::sim {

void Injector::Inject(const Packet& original, std::vector<uint8_t> bytes) {
  Packet packet;
  packet.bytes = std::move(bytes);
  packet.id = original.id;
  packet.sent_at = original.sent_at;
  Forward(std::move(packet));
}

void Injector::Receive(Packet packet) {
  const std::optional<TcpLocation> tcp = LocateTcp(packet.bytes);
  const size_t header = tcp ? tcp->options_offset + tcp->options_length : 0;
  const bool data = tcp && tcp->checksum_valid &&
                    tcp->tcp_offset + tcp->tcp_length > header;
  if (data) {
    if (random_.Bernoulli(config_.probability)) {
      std::vector<uint8_t> copy = packet.bytes;
      copy[header] ^= 0x01;  // the first payload byte; checksum now stale
      ++stats_.bad_checksum;
      Inject(packet, std::move(copy));
    }
    if (random_.Bernoulli(config_.probability)) {
      std::vector<uint8_t> copy = packet.bytes;
      uint8_t* seq = copy.data() + tcp->tcp_offset + 4;
      wire::StoreBe32(seq, wire::LoadBe32(seq) + 0x40000000);
      if (RefreshTcpChecksum(absl::MakeSpan(copy), *tcp).ok()) {
        ++stats_.out_of_window;
        Inject(packet, std::move(copy));
      }
    }
    if (random_.Bernoulli(config_.probability)) {
      // Same addresses and ports, RST only, 1000 bytes past the segment's
      // start: inside any real window, never the exact next sequence number
      // the receiver expects (that would be the start of this segment).
      std::vector<uint8_t> reset(packet.bytes.begin(),
                                 packet.bytes.begin() + header);
      uint8_t* tcp_header = reset.data() + tcp->tcp_offset;
      wire::StoreBe32(tcp_header + 4, wire::LoadBe32(tcp_header + 4) + 1000);
      tcp_header[13] = wire::TcpHeader::kRst;
      TcpLocation location = *tcp;
      location.tcp_length = header - tcp->tcp_offset;
      if (tcp->is_v4) {
        wire::StoreBe16(reset.data() + 2, static_cast<uint16_t>(reset.size()));
        RefreshIpv4HeaderChecksum(absl::MakeSpan(reset));
      } else {
        wire::StoreBe16(reset.data() + 4,
                        static_cast<uint16_t>(reset.size() - 40));
      }
      if (RefreshTcpChecksum(absl::MakeSpan(reset), location).ok()) {
        ++stats_.blind_reset;
        Inject(packet, std::move(reset));
      }
    }
    if (random_.Bernoulli(config_.probability)) {
      std::vector<uint8_t> junk(1 + random_.UniformInt(1500));
      for (uint8_t& b : junk) b = static_cast<uint8_t>(random_.Next32());
      // Keep it addressed like the packet so that it reaches the same host.
      const size_t keep = std::min(junk.size(), tcp->is_v4 ? size_t{20} : size_t{40});
      std::copy(packet.bytes.begin(), packet.bytes.begin() + keep, junk.begin());
      ++stats_.random_bytes;
      Inject(packet, std::move(junk));
    }
  }
  Forward(std::move(packet));
}

}  // namespace plait::sim
