#include "dataplane/api/default_address.h"

#include <stdlib.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace plait::api {

std::string DefaultApiAddress() {
  if (geteuid() == 0) return "unix:/run/plait/plaitd.sock";
  const char* runtime_dir = getenv("XDG_RUNTIME_DIR");
  if (runtime_dir != nullptr && runtime_dir[0] == '/') {
    return absl::StrCat("unix:", runtime_dir, "/plait/plaitd.sock");
  }
  return absl::StrCat("unix:/tmp/plait-", geteuid(), "/plaitd.sock");
}

}  // namespace plait::api
