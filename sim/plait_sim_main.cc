// plait-sim: runs one scenario in the deterministic simulator and prints a
// JSON report. Exit codes: 0 ran (whatever the flows did), 2 bad usage or a
// bad scenario file, 1 the run itself failed.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "sim/scenario.h"
#include "sim/scenario_runner.h"

namespace {

constexpr char kUsage[] =
    "usage: plait-sim --scenario FILE [--seed N] [--pcap DIR]\n"
    "  --scenario FILE  a scenario in protobuf text format\n"
    "                   (schema: proto/plait/v1/scenario.proto)\n"
    "  --seed N         override the scenario's seed\n"
    "  --pcap DIR       write every link direction's packets to DIR as pcap\n"
    "Prints a JSON report: per flow bytes, completion time, goodput,\n"
    "retransmissions, RTOs, RTT summary and whether every byte arrived\n"
    "exactly once and in order; per link utilization and drops.\n";

int Usage(const std::string& problem) {
  std::cerr << "plait-sim: " << problem << "\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string scenario_path;
  std::string pcap_dir;
  plait::sim::RunOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string text;
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--scenario") {
      if (!value(&scenario_path)) return Usage("--scenario needs a file");
    } else if (arg == "--pcap") {
      if (!value(&pcap_dir)) return Usage("--pcap needs a directory");
      options.capture = true;
    } else if (arg == "--seed") {
      uint64_t seed;
      if (!value(&text) || !absl::SimpleAtoi(text, &seed)) {
        return Usage("--seed needs a non-negative integer");
      }
      options.seed = seed;
    } else {
      return Usage("unknown argument " + arg);
    }
  }
  if (scenario_path.empty()) return Usage("--scenario is required");
  std::ifstream in(scenario_path);
  if (!in) return Usage("cannot read " + scenario_path);
  std::stringstream text;
  text << in.rdbuf();
  auto scenario = plait::sim::ParseScenario(text.str(), scenario_path);
  if (!scenario.ok()) {
    std::cerr << "plait-sim: " << scenario.status().message() << "\n";
    return 2;
  }
  auto result = plait::sim::RunScenario(*scenario, options);
  if (!result.ok()) {
    std::cerr << "plait-sim: " << result.status().message() << "\n";
    return 1;
  }
  if (options.capture) {
    std::error_code error;
    std::filesystem::create_directories(pcap_dir, error);
    if (error) {
      std::cerr << "plait-sim: cannot create " << pcap_dir << ": "
                << error.message() << "\n";
      return 1;
    }
    for (const auto& [name, bytes] : result->captures) {
      const std::string path = pcap_dir + "/" + name;
      std::ofstream out(path, std::ios::binary);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out) {
        std::cerr << "plait-sim: cannot write " << path << "\n";
        return 1;
      }
    }
  }
  std::cout << result->report.ToJson();
  return 0;
}
