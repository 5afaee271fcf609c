#include "sim/flow_app.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace plait::sim {

struct StreamHash::State {
  EVP_MD_CTX* ctx = nullptr;
};

StreamHash::StreamHash() : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  if (state_->ctx == nullptr ||
      EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) != 1) {
    std::abort();  // only on allocation failure; no answer would be right
  }
}

StreamHash::~StreamHash() { EVP_MD_CTX_free(state_->ctx); }

void StreamHash::Add(absl::Span<const uint8_t> bytes) {
  if (bytes.empty()) return;
  EVP_DigestUpdate(state_->ctx, bytes.data(), bytes.size());
}

std::array<uint8_t, 32> StreamHash::Digest() const {
  std::array<uint8_t, 32> digest{};
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  unsigned int length = 0;
  if (copy == nullptr || EVP_MD_CTX_copy_ex(copy, state_->ctx) != 1 ||
      EVP_DigestFinal_ex(copy, digest.data(), &length) != 1) {
    std::abort();
  }
  EVP_MD_CTX_free(copy);
  return digest;
}

void PatternStream::Fill(absl::Span<uint8_t> out) {
  for (uint8_t& byte : out) {
    if (left_ == 0) {
      // SplitMix64.
      uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      word_ = z ^ (z >> 31);
      left_ = 8;
    }
    byte = static_cast<uint8_t>(word_);
    word_ >>= 8;
    --left_;
  }
}

SenderApp::SenderApp(uint64_t seed, uint64_t bytes, Time stop)
    : pattern_(seed), target_(bytes), stop_(stop), chunk_(64 * 1024) {
  chunk_used_ = chunk_.size();  // nothing generated yet
}

void SenderApp::Pump(Time now) {
  if ((connection_ == nullptr && mptcp_ == nullptr) || done_) return;
  while (true) {
    const bool by_size = target_ > 0;
    if ((by_size && written_ >= target_) || (!by_size && now >= stop_)) {
      done_ = true;
      if (mptcp_ != nullptr) {
        mptcp_->Close(now);
      } else {
        connection_->Close(now);
      }
      return;
    }
    if (chunk_used_ == chunk_.size()) {
      size_t size = chunk_.size();
      if (by_size) size = std::min<uint64_t>(size, target_ - written_);
      chunk_.resize(size);
      pattern_.Fill(absl::MakeSpan(chunk_));
      chunk_used_ = 0;
    }
    const auto rest = absl::MakeConstSpan(chunk_).subspan(chunk_used_);
    const size_t taken = mptcp_ != nullptr ? mptcp_->Write(rest, now)
                                           : connection_->Write(rest, now);
    if (taken == 0) return;  // OnWritable will call again
    hash_.Add(rest.subspan(0, taken));
    chunk_used_ += taken;
    written_ += taken;
  }
}

void SenderApp::OnReadable(Time now) {
  // The receiver sends nothing but its FIN; drain and ignore.
  uint8_t sink[512];
  if (mptcp_ != nullptr) {
    while (mptcp_->Read(sink, now) > 0) {
    }
    return;
  }
  while (connection_ != nullptr && connection_->Read(sink, now) > 0) {
  }
}

void ReceiverApp::OnReadable(Time now) {
  if (connection_ == nullptr && mptcp_ == nullptr) return;
  const auto read = [&] {
    return mptcp_ != nullptr ? mptcp_->Read(absl::MakeSpan(buffer_), now)
                             : connection_->Read(absl::MakeSpan(buffer_), now);
  };
  size_t n;
  while ((n = read()) > 0) {
    if (!first_byte_at) first_byte_at = now;
    if (last_byte_at && now - *last_byte_at > longest_stall) {
      longest_stall = now - *last_byte_at;
      longest_stall_end = now;
    }
    last_byte_at = now;
    hash_.Add(absl::MakeConstSpan(buffer_.data(), n));
    expected_.Fill(absl::MakeSpan(expected_buffer_.data(), n));
    if (std::memcmp(buffer_.data(), expected_buffer_.data(), n) != 0) {
      mismatch_ = true;
    }
    received_ += n;
  }
  const bool at_end = mptcp_ != nullptr ? mptcp_->AtEndOfStream()
                                        : connection_->AtEndOfStream();
  if (at_end && !end_of_stream_at) {
    end_of_stream_at = now;
    if (mptcp_ != nullptr) {
      mptcp_->Close(now);
    } else {
      connection_->Close(now);
    }
  }
}

}  // namespace plait::sim
