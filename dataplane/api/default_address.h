// Where plaitd serves its API when --api is not given, and where plaitctl
// looks for it: one function, so that the two always agree.
#ifndef PLAIT_DATAPLANE_API_DEFAULT_ADDRESS_H_
#define PLAIT_DATAPLANE_API_DEFAULT_ADDRESS_H_

#include <string>

namespace plait::api {

// "unix:/run/plait/plaitd.sock" for root (a system daemon's run
// directory); otherwise "unix:$XDG_RUNTIME_DIR/plait/plaitd.sock", or
// "unix:/tmp/plait-UID/plaitd.sock" without XDG_RUNTIME_DIR.
std::string DefaultApiAddress();

}  // namespace plait::api

#endif  // PLAIT_DATAPLANE_API_DEFAULT_ADDRESS_H_
