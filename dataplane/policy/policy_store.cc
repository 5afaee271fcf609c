#include "dataplane/policy/policy_store.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "dataplane/runtime/errno_status.h"
#include "dataplane/runtime/scoped_fd.h"
#include "proto/plait/v1/policy_state.pb.h"

namespace plait::policy {
namespace {

using runtime::ErrnoStatus;
using runtime::ScopedFd;

constexpr size_t kSha256Size = 32;

std::string Sha256(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  // One-shot EVP: the SHA256_* functions are deprecated in OpenSSL 3.
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(),
                 nullptr) != 1 ||
      size != kSha256Size) {
    return std::string();  // never equal to a stored 32-byte digest
  }
  return std::string(reinterpret_cast<const char*>(digest), size);
}

// mkdir -p with mode 0700 for what it creates (the policy is the node's
// configuration: nobody else needs to read it).
absl::Status EnsureDirectory(const std::string& dir) {
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    const std::string prefix =
        slash == std::string::npos ? dir : dir.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoStatus(
          absl::StrCat("state directory ", dir, ": mkdir ", prefix), errno);
    }
    if (slash == std::string::npos) break;
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    return ErrnoStatus(absl::StrCat("state directory ", dir, ": stat"), errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("state directory ", dir, ": not a directory"));
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return ErrnoStatus(absl::StrCat("state directory ", dir, ": access"),
                       errno);
  }
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(absl::StrCat("write ", path), errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Makes a rename in `dir` durable.
absl::Status SyncDirectory(const std::string& dir) {
  ScopedFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(absl::StrCat("open ", dir), errno);
  if (::fsync(fd.get()) != 0) {
    return ErrnoStatus(absl::StrCat("fsync ", dir), errno);
  }
  return absl::OkStatus();
}

// The whole file; NotFound (with errno ENOENT) when there is none.
absl::StatusOr<std::string> ReadFile(const std::string& path) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(absl::StrCat("open ", path), errno);
  std::string data;
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(absl::StrCat("read ", path), errno);
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  return data;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

PolicyStore::PolicyStore(const std::string& dir)
    : dir_(dir), path_(absl::StrCat(dir, "/", kPolicyFileName)) {}

absl::StatusOr<PolicyStore> PolicyStore::Open(const std::string& state_dir) {
  std::string dir = state_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir.empty()) {
    return absl::InvalidArgumentError("state directory: empty path");
  }
  if (absl::Status s = EnsureDirectory(dir); !s.ok()) return s;
  return PolicyStore(dir);
}

absl::Status PolicyStore::Save(const v1::Policy& policy, uint64_t generation,
                               double applied_unix_seconds) const {
  v1::StoredPolicy stored;
  if (!policy.SerializeToString(stored.mutable_policy())) {
    return absl::InternalError(
        absl::StrCat("save ", path_, ": the policy does not serialize"));
  }
  stored.set_sha256(Sha256(stored.policy()));
  stored.set_generation(generation);
  stored.set_applied_unix_seconds(applied_unix_seconds);
  std::string bytes;
  if (!stored.SerializeToString(&bytes)) {
    return absl::InternalError(
        absl::StrCat("save ", path_, ": the stored policy does not serialize"));
  }

  // An operator may have removed the directory since Open.
  if (absl::Status s = EnsureDirectory(dir_); !s.ok()) return s;
  const std::string temp = path_ + ".tmp";
  ScopedFd fd(
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoStatus(absl::StrCat("open ", temp), errno);
  absl::Status status = WriteAll(fd.get(), bytes, temp);
  if (status.ok() && ::fsync(fd.get()) != 0) {
    status = ErrnoStatus(absl::StrCat("fsync ", temp), errno);
  }
  // close() can report a deferred write error (NFS): check it.
  if (status.ok() && ::close(fd.release()) != 0) {
    status = ErrnoStatus(absl::StrCat("close ", temp), errno);
  }
  if (status.ok() && ::rename(temp.c_str(), path_.c_str()) != 0) {
    status = ErrnoStatus(absl::StrCat("rename ", temp, " to ", path_), errno);
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());  // best effort: the next Save truncates it anyway
    return status;
  }
  // The rename is done: the new policy is the file now, and reporting a
  // failure would have the caller refuse a policy that the next start
  // loads. A failed directory fsync only risks the rename on a power loss
  // (the old file comes back then), so it is not an error.
  (void)SyncDirectory(dir_);
  return absl::OkStatus();
}

absl::StatusOr<LoadedPolicy> PolicyStore::Load(const PolicyContext& context,
                                               int64_t now_unix_seconds) const {
  absl::StatusOr<std::string> bytes = ReadFile(path_);
  if (!bytes.ok()) {
    if (absl::IsNotFound(bytes.status())) return LoadedPolicy{};
    return bytes.status();
  }
  v1::StoredPolicy stored;
  if (!stored.ParseFromString(*bytes)) {
    return SetAside(absl::StrCat("does not parse as a plait.v1.StoredPolicy (",
                                 bytes->size(), " bytes)"),
                    now_unix_seconds);
  }
  const std::string digest = Sha256(stored.policy());
  if (stored.sha256() != digest) {
    return SetAside(absl::StrCat("SHA-256 digest mismatch: the file says \"",
                                 absl::BytesToHexString(stored.sha256()),
                                 "\", its policy hashes to \"",
                                 absl::BytesToHexString(digest), "\""),
                    now_unix_seconds);
  }
  LoadedPolicy loaded;
  if (!loaded.policy.ParseFromString(stored.policy())) {
    return SetAside("its policy bytes do not parse as a plait.v1.Policy",
                    now_unix_seconds);
  }
  if (absl::Status s = ValidatePolicy(loaded.policy, context); !s.ok()) {
    return SetAside(absl::StrCat("its policy is invalid: ", s.message()),
                    now_unix_seconds);
  }
  loaded.outcome = LoadedPolicy::Outcome::kLoaded;
  loaded.generation = stored.generation();
  loaded.applied_unix_seconds = stored.applied_unix_seconds();
  return loaded;
}

absl::StatusOr<LoadedPolicy> PolicyStore::SetAside(
    std::string problem, int64_t now_unix_seconds) const {
  // Two bad files in one second (a crash loop) must not overwrite each
  // other: the first one is usually the interesting one.
  const std::string base = absl::StrCat(path_, ".corrupt-", now_unix_seconds);
  std::string target = base;
  for (int n = 1; Exists(target); ++n) target = absl::StrCat(base, ".", n);
  if (::rename(path_.c_str(), target.c_str()) != 0) {
    return ErrnoStatus(
        absl::StrCat("rename ", path_, " to ", target, " (", problem, ")"),
        errno);
  }
  if (absl::Status s = SyncDirectory(dir_); !s.ok()) return s;
  LoadedPolicy result;
  result.outcome = LoadedPolicy::Outcome::kSetAside;
  result.problem = std::move(problem);
  result.moved_to = std::move(target);
  return result;
}

}  // namespace plait::policy
