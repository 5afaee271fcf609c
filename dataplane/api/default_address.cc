#include "dataplane/api/default_address.h"

#include <unistd.h>

#include <cstdlib>

namespace plait::api {

std::string DefaultApiAddressFor(uid_t euid, const char* xdg_runtime_dir) {
  if (euid == 0) return "unix:/run/plait/plaitd.sock";
  if (xdg_runtime_dir != nullptr && xdg_runtime_dir[0] != '\0') {
    return "unix:" + std::string(xdg_runtime_dir) + "/plait/plaitd.sock";
  }
  return "unix:/tmp/plait-" + std::to_string(euid) + "/plaitd.sock";
}

std::string DefaultApiAddress() {
  return DefaultApiAddressFor(geteuid(), std::getenv("XDG_RUNTIME_DIR"));
}

}  // namespace plait::api
