// plaitctl's commands as data: what each one is called, takes and does. The
// argument parser matches against this table and the help text is printed
// from it, so the two always agree.
#ifndef PLAIT_CLI_USAGE_H_
#define PLAIT_CLI_USAGE_H_

#include <string>
#include <vector>

#include "cli/invocation.h"

namespace plait::cli {

struct CommandSpec {
  CommandKind kind;
  // The words that name it ("subflow add").
  std::vector<std::string> words;
  // Positional operands, in order ("ID", "LOCAL_ADDR").
  std::vector<std::string> operands;
  // Its own flags, without dashes ("remote-id"), and how they are shown.
  std::vector<std::string> flags;
  std::string flags_synopsis;
  std::string description;
  std::string example;
};

const std::vector<CommandSpec>& CommandSpecs();

// "plaitctl subflow add ID LOCAL_ADDR [--remote-id N] [--backup]".
std::string Synopsis(const CommandSpec& spec);

// The whole --help text.
std::string UsageText();

}  // namespace plait::cli

#endif  // PLAIT_CLI_USAGE_H_
