// The policy plaitd keeps under --state-dir so that a restart comes back
// with it: file "policy.binpb" holding a plait.v1.StoredPolicy
// (proto/plait/v1/policy_state.proto).
//
// Save writes "policy.binpb.tmp" in the same directory, fsyncs it, renames
// it over "policy.binpb" and fsyncs the directory: a crash leaves the old
// file or the new one, never half of one, and a failed Save leaves the old
// file as it was. Load sets aside a file that does not parse, whose digest
// does not match or whose policy is invalid (as "policy.binpb.corrupt-
// UNIXTIME") and says why, so that plaitd starts with its defaults and the
// operator still has the file to look at.
//
// Daemon-side file I/O, kept out of the protocol core. No clock: callers
// pass the times (the applied time to store, "now" for the corrupt name).
// Not thread-safe; one store per state directory.
#ifndef PLAIT_DATAPLANE_POLICY_POLICY_STORE_H_
#define PLAIT_DATAPLANE_POLICY_POLICY_STORE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dataplane/policy/policy_validator.h"
#include "proto/plait/v1/policy.pb.h"

namespace plait::policy {

inline constexpr char kPolicyFileName[] = "policy.binpb";

struct LoadedPolicy {
  enum class Outcome {
    kNone,      // no policy stored: start with the daemon's defaults
    kLoaded,    // policy, generation and applied_unix_seconds are set
    kSetAside,  // the file was unusable: problem and moved_to are set
  };
  Outcome outcome = Outcome::kNone;
  v1::Policy policy;
  uint64_t generation = 0;
  double applied_unix_seconds = 0;
  // Why the file was set aside, e.g. "SHA-256 digest mismatch (...)".
  std::string problem;
  // Where it is now: ".../policy.binpb.corrupt-1700000000".
  std::string moved_to;
};

class PolicyStore {
 public:
  // Creates `state_dir` (and missing parents, mode 0700) if it does not
  // exist. An error naming the directory when it cannot be created, is not
  // a directory or is not writable.
  static absl::StatusOr<PolicyStore> Open(const std::string& state_dir);

  // Stores `policy` (as given: validate it first) with its generation and
  // the time it was applied. An error names the path and the errno text;
  // the previously stored file is then unchanged.
  absl::Status Save(const v1::Policy& policy, uint64_t generation,
                    double applied_unix_seconds) const;

  // The stored policy, or none, or the reason it was set aside (checked
  // with ValidatePolicy against `context`: the node's paths may have
  // changed since it was stored). `now_unix_seconds` names the set-aside
  // file. An error only for I/O failures (reading, renaming).
  absl::StatusOr<LoadedPolicy> Load(const PolicyContext& context,
                                    int64_t now_unix_seconds) const;

  const std::string& dir() const { return dir_; }
  // dir()/policy.binpb
  const std::string& path() const { return path_; }

 private:
  explicit PolicyStore(const std::string& dir);

  // Moves the file aside and fills in the result.
  absl::StatusOr<LoadedPolicy> SetAside(std::string problem,
                                        int64_t now_unix_seconds) const;

  std::string dir_;
  std::string path_;
};

}  // namespace plait::policy

#endif  // PLAIT_DATAPLANE_POLICY_POLICY_STORE_H_
