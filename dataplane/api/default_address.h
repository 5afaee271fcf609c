// Where plaitd serves its gRPC API when --api is not given, and where
// plaitctl looks for it: one function, so that the two cannot drift apart.
#ifndef PLAIT_DATAPLANE_API_DEFAULT_ADDRESS_H_
#define PLAIT_DATAPLANE_API_DEFAULT_ADDRESS_H_

#include <sys/types.h>

#include <string>

namespace plait::api {

// The rule, with the process's identity passed in (tests): root gets the
// system-wide socket; anyone else a per-user one, under XDG_RUNTIME_DIR
// (private to the user, cleaned at logout) when the session has one, else
// under /tmp keyed by uid so that two users never share a socket.
std::string DefaultApiAddressFor(uid_t euid, const char* xdg_runtime_dir);

// The default for this process ("unix:PATH", a gRPC target).
std::string DefaultApiAddress();

}  // namespace plait::api

#endif  // PLAIT_DATAPLANE_API_DEFAULT_ADDRESS_H_
