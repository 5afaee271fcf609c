#include "dataplane/io/tun/tun_device.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dataplane/runtime/errno_status.h"

namespace plait::io::tun {
namespace {

// The device's IPv6 would send router solicitations and MLD reports into
// the stack. Absent when the kernel has IPv6 off: nothing to disable then.
absl::Status DisableIpv6(const std::string& name) {
  const std::string path =
      absl::StrCat("/proc/sys/net/ipv6/conf/", name, "/disable_ipv6");
  runtime::ScopedFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return absl::OkStatus();
    return runtime::ErrnoStatus(absl::StrCat("open ", path), errno);
  }
  if (write(fd.get(), "1", 1) != 1) {
    return runtime::ErrnoStatus(absl::StrCat("write ", path), errno);
  }
  return absl::OkStatus();
}

// Checks the IP header enough to know the packet is IPv4 or IPv6 and holds
// its fixed header; the stack checks the rest.
std::optional<TunDevice::Drop> Classify(absl::Span<const uint8_t> packet) {
  if (packet.empty()) return TunDevice::Drop::kTooShort;
  switch (packet[0] >> 4) {
    case 4:
      if (packet.size() < 20) return TunDevice::Drop::kTooShort;
      return std::nullopt;
    case 6:
      if (packet.size() < 40) return TunDevice::Drop::kTooShort;
      return std::nullopt;
    default:
      return TunDevice::Drop::kNotIp;
  }
}

}  // namespace

const char* TunDevice::DropName(Drop drop) {
  switch (drop) {
    case Drop::kNotIp:
      return "not_ip";
    case Drop::kTooShort:
      return "too_short";
    case Drop::kQueueFull:
      return "queue_full";
    case Drop::kTooLarge:
      return "too_large";
    case Drop::kWriteError:
      return "write_error";
  }
  return "unknown";
}

TunDevice::TunDevice(runtime::ScopedFd fd, const TunDeviceConfig& config,
                     PacketHandler handler)
    : handler_(std::move(handler)),
      read_batch_(std::max<size_t>(1, config.read_batch)),
      max_packet_bytes_(config.max_packet_bytes),
      fd_(std::move(fd)),
      read_buffer_(config.max_packet_bytes),
      queue_(std::max<size_t>(1, config.write_queue_packets)) {}

TunDevice::~TunDevice() = default;

absl::StatusOr<std::unique_ptr<TunDevice>> TunDevice::FromFd(
    runtime::ScopedFd fd, const TunDeviceConfig& config,
    PacketHandler handler) {
  const int flags = fcntl(fd.get(), F_GETFL);
  if (flags < 0 || fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) < 0) {
    return runtime::ErrnoStatus("fcntl(O_NONBLOCK)", errno);
  }
  return std::unique_ptr<TunDevice>(
      new TunDevice(std::move(fd), config, std::move(handler)));
}

absl::StatusOr<std::unique_ptr<TunDevice>> TunDevice::Open(
    const TunDeviceConfig& config, PacketHandler handler) {
  if (config.name.size() >= IFNAMSIZ) {
    return absl::InvalidArgumentError(
        absl::StrCat("TUN name \"", config.name, "\" is longer than ",
                     IFNAMSIZ - 1, " characters"));
  }
  runtime::ScopedFd fd(open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return runtime::ErrnoStatus("open /dev/net/tun", errno);
  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::memcpy(request.ifr_name, config.name.data(), config.name.size());
  if (ioctl(fd.get(), TUNSETIFF, &request) != 0) {
    return runtime::ErrnoStatus(
        absl::StrCat("ioctl(TUNSETIFF, \"", config.name, "\")"), errno);
  }
  std::unique_ptr<TunDevice> device(
      new TunDevice(std::move(fd), config, std::move(handler)));
  device->name_ = request.ifr_name;
  device->ifindex_ = if_nametoindex(request.ifr_name);
  if (device->ifindex_ == 0) {
    return runtime::ErrnoStatus(
        absl::StrCat("if_nametoindex(", device->name_, ")"), errno);
  }
  if (config.no_routing) return device;

  const bool any_v6 =
      std::any_of(config.path_addresses.begin(), config.path_addresses.end(),
                  [](const wire::IpAddress& a) { return !a.is_v4(); });
  // Before the link goes up, so that no chatter is ever sent.
  if (!any_v6) {
    if (absl::Status s = DisableIpv6(device->name_); !s.ok()) return s;
  }
  absl::StatusOr<std::unique_ptr<TunRouting>> routing =
      TunRouting::Setup(device->ifindex_, config.path_addresses);
  if (!routing.ok()) {
    return absl::Status(routing.status().code(),
                        absl::StrCat("routing through ", device->name_, ": ",
                                     routing.status().message()));
  }
  device->routing_ = std::move(*routing);
  return device;
}

void TunDevice::SendPacket(absl::Span<const uint8_t> ip_packet) {
  if (ip_packet.size() > max_packet_bytes_) {
    Count(Drop::kTooLarge);
    return;
  }
  if (queue_count_ == queue_.size()) {
    Count(Drop::kQueueFull);
    return;
  }
  std::vector<uint8_t>& slot =
      queue_[(queue_head_ + queue_count_) % queue_.size()];
  slot.assign(ip_packet.begin(), ip_packet.end());
  ++queue_count_;
}

absl::StatusOr<size_t> TunDevice::OnReadable() {
  size_t read_count = 0;
  ++stats_.read_batches;
  while (read_count < read_batch_) {
    const ssize_t n = read(fd_.get(), read_buffer_.data(), read_buffer_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return runtime::ErrnoStatus(absl::StrCat("read ", name_), errno);
    }
    if (n == 0) break;  // a test's socket peer closed
    ++read_count;
    const auto packet = absl::MakeConstSpan(read_buffer_.data(), size_t(n));
    if (std::optional<Drop> drop = Classify(packet)) {
      Count(*drop);
      continue;
    }
    ++stats_.packets_in;
    stats_.bytes_in += packet.size();
    handler_(packet);
  }
  return read_count;
}

absl::Status TunDevice::Flush() {
  absl::Status first;
  blocked_ = false;
  while (queue_count_ > 0) {
    const std::vector<uint8_t>& packet = queue_[queue_head_];
    const ssize_t n = write(fd_.get(), packet.data(), packet.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        blocked_ = true;
        ++stats_.write_blocked;
        break;
      }
      // Dropped: a packet the kernel refuses (say, EINVAL) is refused again.
      Count(Drop::kWriteError);
      first.Update(runtime::ErrnoStatus(absl::StrCat("write ", name_), errno));
    } else {
      ++stats_.packets_out;
      stats_.bytes_out += packet.size();
    }
    queue_head_ = (queue_head_ + 1) % queue_.size();
    --queue_count_;
  }
  return first;
}

}  // namespace plait::io::tun
