// Middleboxes: PacketSink filters that sit in front of another sink and
// parse and rewrite TCP packets with dataplane/wire, as the boxes on real
// paths do to MPTCP (RFC 8684 section 3.7 lists the behaviours it survives).
//
//  - OptionStripper removes TCP options of unknown kinds (MPTCP's kind 30
//    among them) by overwriting them with NOPs, optionally only after the
//    first N packets of a connection (a box that lets the handshake through
//    and strips afterwards).
//  - SequenceRewriter adds a per-flow offset to the sequence numbers of one
//    direction and takes it off the acknowledgments (and SACK blocks) of the
//    other (a firewall randomising initial sequence numbers).
//  - Nat rewrites the source address and port of outgoing packets to a
//    public address and port, and the destination of the returning packets
//    back (source NAT with an endpoint-independent mapping, RFC 4787).
//  - Replayer passes everything and also sends copies of earlier packets
//    again later (an attacker replaying captured segments, or a broken
//    path duplicating them).
//
// Every rewrite fixes the TCP checksum (and the IPv4 header checksum when an
// address changes). Packets that are not TCP, or that dataplane/wire cannot
// parse, pass through OptionStripper and SequenceRewriter untouched; a
// segment whose TCP checksum is already wrong passes untouched as well (a
// box that recomputed it would hide the corruption). Nat drops both kinds,
// since it cannot translate them.
//
// Splice a filter in front of a sink:  host -> filter -> link  is
//   filter.set_next(&link); host.SetLink(address, &filter);
#ifndef PLAIT_SIM_MIDDLEBOX_H_
#define PLAIT_SIM_MIDDLEBOX_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "dataplane/wire/ip_address.h"
#include "sim/packet.h"
#include "sim/packet_rewrite.h"
#include "sim/random.h"
#include "sim/simulator.h"

namespace plait::sim {

// A sink that passes (possibly rewritten) packets on to `next`.
class PacketFilter : public PacketSink {
 public:
  explicit PacketFilter(PacketSink* next = nullptr) : next_(next) {}
  PacketFilter(const PacketFilter&) = delete;
  PacketFilter& operator=(const PacketFilter&) = delete;

  void set_next(PacketSink* next) { next_ = next; }
  PacketSink* next() const { return next_; }

 protected:
  // Hands the packet to next(); discards it if there is none.
  void Forward(Packet packet) {
    if (next_ != nullptr) next_->Receive(std::move(packet));
  }

 private:
  PacketSink* next_;  // Not owned.
};

class OptionStripper : public PacketFilter {
 public:
  struct Config {
    // Option kinds left alone; every other kind is overwritten with NOPs.
    std::vector<uint8_t> allowed_kinds = {0, 1, 2, 3, 4, 5, 8};
    // Packets of each connection (both directions, as this filter sees
    // them) that pass untouched before stripping starts.
    uint64_t pass_first_packets = 0;
  };
  struct Stats {
    uint64_t packets = 0;           // all packets received
    uint64_t packets_stripped = 0;  // packets with at least one option removed
    uint64_t options_stripped = 0;
    uint64_t passed_unparsed = 0;  // not TCP / not parseable
    uint64_t passed_bad_checksum = 0;
  };

  explicit OptionStripper(Config config, PacketSink* next = nullptr);
  explicit OptionStripper(PacketSink* next = nullptr)
      : OptionStripper(Config(), next) {}

  void Receive(Packet packet) override;
  const Stats& stats() const { return stats_; }

 private:
  bool Allowed(uint8_t kind) const;

  Config config_;
  absl::flat_hash_map<FlowKey, uint64_t> packets_seen_;  // by Canonical()
  Stats stats_;
};

class SequenceRewriter {
 public:
  // Chooses the offset of a new flow, given the flow in the forward
  // direction.
  using OffsetChooser = absl::AnyInvocable<uint32_t(const FlowKey&)>;
  struct Stats {
    uint64_t forward_rewritten = 0;  // seq changed
    uint64_t reverse_rewritten = 0;  // ack / SACK changed
    uint64_t passed = 0;  // untouched: unparsed, bad checksum, unknown flow
  };

  // The same offset for every flow.
  static OffsetChooser FixedOffset(uint32_t offset);
  // A random offset per flow, drawn in the order flows first appear.
  static OffsetChooser RandomOffset(Random random);

  explicit SequenceRewriter(OffsetChooser chooser);
  SequenceRewriter(const SequenceRewriter&) = delete;
  SequenceRewriter& operator=(const SequenceRewriter&) = delete;

  // Splice forward() into the direction whose sequence numbers change (a
  // flow's offset is chosen at its first packet there) and reverse() into
  // the other one.
  PacketFilter& forward() { return forward_; }
  PacketFilter& reverse() { return reverse_; }

  // The offset of a flow, named in the forward direction.
  std::optional<uint32_t> OffsetFor(const FlowKey& forward_flow) const;
  const Stats& stats() const { return stats_; }

 private:
  class Forward : public PacketFilter {
   public:
    explicit Forward(SequenceRewriter* owner) : owner_(owner) {}
    void Receive(Packet packet) override;

   private:
    SequenceRewriter* owner_;
  };
  class Reverse : public PacketFilter {
   public:
    explicit Reverse(SequenceRewriter* owner) : owner_(owner) {}
    void Receive(Packet packet) override;

   private:
    SequenceRewriter* owner_;
  };

  OffsetChooser chooser_;
  absl::flat_hash_map<FlowKey, uint32_t> offsets_;  // by forward flow
  Forward forward_{this};
  Reverse reverse_{this};
  Stats stats_;
};

class Nat {
 public:
  struct Stats {
    uint64_t translated_out = 0;
    uint64_t translated_in = 0;
    uint64_t dropped_no_mapping = 0;      // inbound with no mapping
    uint64_t dropped_untranslatable = 0;  // not TCP, bad checksum, family
    uint64_t dropped_ports_exhausted = 0;
  };
  struct Mapping {
    wire::IpAddress private_address;
    uint16_t private_port = 0;
    uint16_t public_port = 0;
  };

  // Public ports are handed out in order from `first_public_port` (wrapping
  // to it after 65535 and skipping ports in use).
  explicit Nat(wire::IpAddress public_address,
               uint16_t first_public_port = 20000);
  Nat(const Nat&) = delete;
  Nat& operator=(const Nat&) = delete;

  // Inside -> outside: the source becomes public_address:public_port.
  PacketFilter& outbound() { return outbound_; }
  // Outside -> inside: packets to public_address:public_port go back to the
  // private address and port; others are dropped.
  PacketFilter& inbound() { return inbound_; }

  const wire::IpAddress& public_address() const { return public_address_; }
  // The mapping of a private endpoint, if one was made.
  std::optional<uint16_t> PublicPort(const wire::IpAddress& private_address,
                                     uint16_t private_port) const;
  // Mappings in the order they were made.
  const std::vector<Mapping>& mappings() const { return mappings_; }
  const Stats& stats() const { return stats_; }

 private:
  class Outbound : public PacketFilter {
   public:
    explicit Outbound(Nat* owner) : owner_(owner) {}
    void Receive(Packet packet) override;

   private:
    Nat* owner_;
  };
  class Inbound : public PacketFilter {
   public:
    explicit Inbound(Nat* owner) : owner_(owner) {}
    void Receive(Packet packet) override;

   private:
    Nat* owner_;
  };
  struct PrivateEndpoint {
    wire::IpAddress address;
    uint16_t port = 0;
    friend bool operator==(const PrivateEndpoint&,
                           const PrivateEndpoint&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const PrivateEndpoint& e) {
      return H::combine(std::move(h), e.address, e.port);
    }
  };

  std::optional<uint16_t> AllocatePort();

  wire::IpAddress public_address_;
  uint16_t first_public_port_;
  uint32_t next_port_;
  absl::flat_hash_map<PrivateEndpoint, size_t> by_private_;  // index
  absl::flat_hash_map<uint16_t, size_t> by_public_port_;     // index
  std::vector<Mapping> mappings_;
  Outbound outbound_{this};
  Inbound inbound_{this};
  Stats stats_;
};

// Replays packets: every packet passes at once, and for each one, with
// `probability`, a copy of a packet drawn uniformly from all those that
// passed so far (a reservoir sample of `history` packets, so the handshakes
// of a long flow stay candidates) is sent again `delay` later. Copies are
// byte for byte the originals (a replayed MP_JOIN, DSS mapping or DATA_FIN
// included); they get new packet ids.
class Replayer : public PacketFilter {
 public:
  struct Config {
    double probability = 0.01;
    Duration delay = Milliseconds(50);
    size_t history = 256;  // > 0
  };
  struct Stats {
    uint64_t packets = 0;   // passed through
    uint64_t replayed = 0;  // copies sent
  };

  Replayer(Simulator* sim, Config config, Random random,
           PacketSink* next = nullptr);

  void Receive(Packet packet) override;
  const Stats& stats() const { return stats_; }

 private:
  Simulator* sim_;
  Config config_;
  Random random_;
  std::vector<std::vector<uint8_t>> reservoir_;
  Stats stats_;
};

}  // namespace plait::sim

#endif  // PLAIT_SIM_MIDDLEBOX_H_
