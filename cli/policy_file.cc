#include "cli/policy_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace plait::cli {
namespace {

// Keeps every error of the text-format parser as "path:line:column: why"
// (the parser counts from 0, editors from 1).
class ErrorList : public google::protobuf::io::ErrorCollector {
 public:
  explicit ErrorList(std::string path) : path_(std::move(path)) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(
        absl::StrCat(path_, ":", line + 1, ":", column + 1, ": ", message));
  }

  std::string Joined() const { return absl::StrJoin(errors_, "\n"); }

 private:
  std::string path_;
  std::vector<std::string> errors_;
};

absl::StatusOr<plait::v1::Policy> ParseText(const std::string& path,
                                            const std::string& contents) {
  plait::v1::Policy policy;
  ErrorList errors(path);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(contents, &policy)) {
    std::string message = errors.Joined();
    if (message.empty()) message = absl::StrCat(path, ": not a valid policy");
    return absl::InvalidArgumentError(message);
  }
  return policy;
}

// The line and column of a byte offset, from 1.
std::string Position(const std::string& contents, size_t offset) {
  offset = std::min(offset, contents.size());
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (contents[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return absl::StrCat(line, ":", offset - line_start + 1);
}

absl::StatusOr<plait::v1::Policy> ParseJson(const std::string& path,
                                            const std::string& contents) {
  // protobuf's JSON parser says what is wrong but not where; nlohmann's
  // says where the syntax breaks, so it reads the file first.
  try {
    const nlohmann::json syntax_check = nlohmann::json::parse(contents);
    (void)syntax_check;
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based and points just past the offending character.
    const size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 3, column 5:
    // syntax error ...": keep the reason, the position comes first.
    if (size_t colon = what.find(": "); colon != std::string::npos) {
      what = what.substr(colon + 2);
    }
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", Position(contents, offset), ": ", what));
  }
  plait::v1::Policy policy;
  google::protobuf::util::JsonParseOptions options;
  auto status =
      google::protobuf::util::JsonStringToMessage(contents, &policy, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", std::string(status.message())));
  }
  return policy;
}

}  // namespace

absl::StatusOr<plait::v1::Policy> ParsePolicy(const std::string& path,
                                              const std::string& contents) {
  const std::string lower = absl::AsciiStrToLower(path);
  if (absl::EndsWith(lower, ".json")) return ParseJson(path, contents);
  if (absl::EndsWith(lower, ".txtpb") || absl::EndsWith(lower, ".textproto") ||
      absl::EndsWith(lower, ".pbtxt")) {
    return ParseText(path, contents);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path,
      ": unknown policy format (name it .txtpb or .textproto for protobuf "
      "text format, .json for JSON)"));
}

absl::StatusOr<plait::v1::Policy> LoadPolicyFile(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path, ": it is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  }
  return ParsePolicy(path, contents.str());
}

}  // namespace plait::cli
