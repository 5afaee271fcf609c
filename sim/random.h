// A deterministic pseudo-random number generator for the simulator.
//
// Same seed, same sequence, on every platform and standard library: the
// generator is xoshiro256** (Blackman and Vigna) seeded through SplitMix64,
// and every distribution below is computed here rather than by <random>'s
// distributions, whose algorithms differ between library implementations.
// Exponential and Normal use std::log, std::sqrt and std::cos; sqrt is exact
// in IEEE 754 and glibc's log and cos are deterministic for a given build, so
// runs are reproducible bit for bit on one toolchain; draws that use only
// integers (Next64, UniformInt, Bernoulli, UniformDouble) are portable.
//
// Independent streams: Fork(stream_id) derives a child generator from this
// generator's seed and the stream id only, not from its current state, and
// does not advance it. Give each link (or other random actor) its own stream
// with a fixed id, and adding another actor does not change what the others
// draw.
#ifndef PLAIT_SIM_RANDOM_H_
#define PLAIT_SIM_RANDOM_H_

#include <array>
#include <cstdint>

namespace plait::sim {

class Random {
 public:
  explicit Random(uint64_t seed);
  // A generator in the given xoshiro256** state (not all zero), for checking
  // the generator against the reference implementation's outputs.
  static Random FromState(const std::array<uint64_t, 4>& state);

  // The seed this generator was built from (for Fork and for reports).
  uint64_t seed() const { return seed_; }

  // A child generator for stream `stream_id`: a function of (seed(),
  // stream_id) only. Different ids give unrelated streams; the same id gives
  // the same stream every time. Does not advance this generator.
  Random Fork(uint64_t stream_id) const;

  // 64 uniformly distributed bits.
  uint64_t Next64();
  // 32 uniformly distributed bits (the high half of Next64).
  uint32_t Next32();

  // Uniform in [0, 1), a multiple of 2^-53.
  double UniformDouble();
  // Uniform in [0, n); 0 if n == 0. Unbiased (Lemire's method with
  // rejection), so it may draw more than one 64-bit value.
  uint64_t UniformInt(uint64_t n);
  // Uniform in [lo, hi], both inclusive; lo if hi < lo.
  int64_t UniformInRange(int64_t lo, int64_t hi);
  // True with probability p. p <= 0 is always false and p >= 1 always true;
  // neither consumes a draw.
  bool Bernoulli(double p);
  // Exponentially distributed with the given mean (> 0).
  double Exponential(double mean);
  // Normally distributed (Box-Muller; the second value of each pair is kept
  // for the next call).
  double Normal(double mean, double stddev);

 private:
  uint64_t seed_;
  std::array<uint64_t, 4> state_;
  bool has_spare_normal_ = false;
  double spare_normal_ = 0;
};

// One step of SplitMix64: advances *state and returns the mixed output.
// Exposed for tests and for callers that need a stable 64-bit mix.
uint64_t SplitMix64(uint64_t* state);

}  // namespace plait::sim

#endif  // PLAIT_SIM_RANDOM_H_
