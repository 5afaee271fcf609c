#include "sim/random.h"

#include <cmath>
#include <numbers>

#include "absl/numeric/int128.h"

namespace plait::sim {
namespace {

uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Mixes a stream id into a seed so that nearby ids give unrelated seeds.
constexpr uint64_t kForkSalt = 0x6a09e667f3bcc909;  // sqrt(2) fraction bits

}  // namespace

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

Random::Random(uint64_t seed) : seed_(seed) {
  uint64_t s = seed;
  for (uint64_t& word : state_) word = SplitMix64(&s);
  // SplitMix64 never yields four zero words from one seed in practice, but
  // xoshiro must not start from the all-zero state.
  if ((state_[0] | state_[1] | state_[2] | state_[3]) == 0) state_[0] = 1;
}

Random Random::FromState(const std::array<uint64_t, 4>& state) {
  Random random(0);
  random.state_ = state;
  return random;
}

Random Random::Fork(uint64_t stream_id) const {
  uint64_t s = stream_id ^ kForkSalt;
  const uint64_t id_mix = SplitMix64(&s);
  uint64_t t = seed_ ^ id_mix;
  return Random(SplitMix64(&t));
}

uint64_t Random::Next64() {
  const uint64_t result = RotateLeft(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = RotateLeft(state_[3], 45);
  return result;
}

uint32_t Random::Next32() { return static_cast<uint32_t>(Next64() >> 32); }

double Random::UniformDouble() {
  return static_cast<double>(Next64() >> 11) * 0x1.0p-53;
}

uint64_t Random::UniformInt(uint64_t n) {
  if (n == 0) return 0;
  // Lemire, "Fast Random Integer Generation in an Interval" (2019).
  absl::uint128 m = absl::uint128(Next64()) * n;
  uint64_t low = absl::Uint128Low64(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = absl::uint128(Next64()) * n;
      low = absl::Uint128Low64(m);
    }
  }
  return absl::Uint128High64(m);
}

int64_t Random::UniformInRange(int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  const uint64_t span =
      static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);  // hi - lo
  if (span == UINT64_MAX) return static_cast<int64_t>(Next64());
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + UniformInt(span + 1));
}

bool Random::Bernoulli(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return UniformDouble() < p;
}

double Random::Exponential(double mean) {
  // 1 - u is in (0, 1], so the log is finite.
  return -mean * std::log(1.0 - UniformDouble());
}

double Random::Normal(double mean, double stddev) {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return mean + stddev * spare_normal_;
  }
  const double u1 = 1.0 - UniformDouble();  // (0, 1]
  const double u2 = UniformDouble();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  spare_normal_ = r * std::sin(theta);
  has_spare_normal_ = true;
  return mean + stddev * r * std::cos(theta);
}

}  // namespace plait::sim
