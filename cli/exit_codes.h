// plaitctl's exit statuses, which scripts branch on.
#ifndef PLAIT_CLI_EXIT_CODES_H_
#define PLAIT_CLI_EXIT_CODES_H_

namespace plait::cli {

inline constexpr int kExitOk = 0;
// The daemon answered with an error (it refused the request).
inline constexpr int kExitRefused = 1;
// The command line is wrong, or a file it names cannot be read.
inline constexpr int kExitUsage = 2;
// No answer: the daemon is not running there, or did not answer in time.
inline constexpr int kExitUnreachable = 3;
// Ctrl-C during a call (128 + SIGINT, as a shell reports it).
inline constexpr int kExitInterrupted = 130;

}  // namespace plait::cli

#endif  // PLAIT_CLI_EXIT_CODES_H_
