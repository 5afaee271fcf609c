// plaitctl: the command-line client of plaitd's gRPC API (app.h does the
// work; `plaitctl --help` lists the commands).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/api/default_address.h"
#include "cli/app.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  // Ctrl-C (and SIGTERM) cancel the call in progress, so that `events`
  // ends cleanly. Blocked here, before gRPC starts its threads, so that
  // every thread inherits the mask and only the sigwait thread sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Never destroyed: the thread may use it while the process exits.
  auto* canceller = new plait::cli::CallCanceller;
  std::thread([signals, canceller] {
    int signal_number;
    if (sigwait(&signals, &signal_number) == 0) canceller->Cancel();
    // A second Ctrl-C means "now", whatever is still running.
    if (sigwait(&signals, &signal_number) == 0) _exit(128 + signal_number);
  }).detach();

  std::vector<std::string> args(argv + 1, argv + argc);
  plait::cli::Environment environment{
      .plaitctl_api = std::getenv("PLAITCTL_API"),
      .default_api = plait::api::DefaultApiAddress(),
  };
  return plait::cli::RunPlaitctl(args, environment, std::cout, std::cerr,
                                 canceller);
}
