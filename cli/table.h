// Human-readable output that comes in columns: the connections table of
// `plaitctl conns` (one line per connection, an indented line per subflow,
// as `ss -M` does), and the units its cells are written in.
#ifndef PLAIT_CLI_TABLE_H_
#define PLAIT_CLI_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "google/protobuf/repeated_ptr_field.h"
#include "proto/plait/v1/dataplane.pb.h"

namespace plait::cli {

// Columns padded to their widest cell; numbers line up on the right.
class TextTable {
 public:
  enum class Align { kLeft, kRight };
  struct Column {
    std::string header;
    Align align = Align::kLeft;
    // Spaces before the column (none before the first).
    int gap = 2;
  };

  explicit TextTable(std::vector<Column> columns)
      : columns_(std::move(columns)) {}

  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  // One line each, without the newline or trailing spaces.
  std::string Header(int indent = 0) const;
  std::string Row(size_t row, int indent = 0) const;

 private:
  std::string Line(const std::vector<std::string>& cells, int indent) const;
  size_t Width(size_t column) const;

  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// SI units, one decimal: "512 B", "1.2 kB", "3.4 MB".
std::string FormatBytes(uint64_t bytes);

// "12.3 ms" ("0.45 ms" below a millisecond); "-" for 0 (not measured yet).
std::string FormatRtt(double seconds);

// "ESTABLISHED" for CONNECTION_STATE_ESTABLISHED; "-" when unspecified.
std::string ConnectionStateName(plait::v1::ConnectionState state);

// The whole table with its two header lines, newline-terminated; "no
// connections\n" for none.
std::string FormatConnectionTable(
    const google::protobuf::RepeatedPtrField<plait::v1::Connection>&
        connections);

// Just the subflow part (with its own header), for `conn show`.
std::string FormatSubflowTable(
    const google::protobuf::RepeatedPtrField<plait::v1::Subflow>& subflows);

}  // namespace plait::cli

#endif  // PLAIT_CLI_TABLE_H_
