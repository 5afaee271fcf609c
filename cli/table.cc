#include "cli/table.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace plait::cli {
namespace {

using google::protobuf::RepeatedPtrField;
using plait::v1::Connection;
using plait::v1::Subflow;
using Align = TextTable::Align;

// LOCAL, an arrow, REMOTE: three narrow-spaced columns so that both
// addresses line up whatever their length.
std::vector<TextTable::Column> ConnectionColumns() {
  return {
      {"ID", Align::kRight},
      {"STATE"},
      {"LOCAL"},
      {"", Align::kLeft, 1},
      {"REMOTE", Align::kLeft, 1},
      {"SCHED"},
      {"CC"},
      {"SUBFLOWS", Align::kRight},
      {"SENT", Align::kRight},
      {"RECEIVED", Align::kRight},
  };
}

std::vector<TextTable::Column> SubflowColumns() {
  return {
      {"SUBFLOW", Align::kRight},
      {"LOCAL"},
      {"", Align::kLeft, 1},
      {"REMOTE", Align::kLeft, 1},
      {"STATE"},
      {"BACKUP"},
      {"RTT", Align::kRight},
      {"CWND", Align::kRight},
      {"IN FLIGHT", Align::kRight},
      {"SENT", Align::kRight},
      {"RECEIVED", Align::kRight},
      {"RETRANS", Align::kRight},
  };
}

std::vector<std::string> ConnectionCells(const Connection& c) {
  return {absl::StrCat(c.id()),
          ConnectionStateName(c.state()),
          c.local_address(),
          "->",
          c.remote_address(),
          c.scheduler().empty() ? "-" : c.scheduler(),
          c.congestion_control().empty() ? "-" : c.congestion_control(),
          absl::StrCat(c.subflows_size()),
          FormatBytes(c.bytes_sent()),
          FormatBytes(c.bytes_received())};
}

std::vector<std::string> SubflowCells(const Subflow& s) {
  return {absl::StrCat(s.id()),
          s.local_address(),
          "->",
          s.remote_address(),
          s.state().empty() ? "-" : s.state(),
          s.backup() ? "yes" : "no",
          FormatRtt(s.rtt_seconds()),
          FormatBytes(s.cwnd_bytes()),
          FormatBytes(s.bytes_in_flight()),
          FormatBytes(s.bytes_sent()),
          FormatBytes(s.bytes_received()),
          FormatBytes(s.bytes_retransmitted())};
}

// Subflow lines sit under their connection, indented as `ss` does.
constexpr int kSubflowIndent = 4;

}  // namespace

void TextTable::AddRow(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

size_t TextTable::Width(size_t column) const {
  size_t width = columns_[column].header.size();
  for (const auto& row : rows_) width = std::max(width, row[column].size());
  return width;
}

std::string TextTable::Line(const std::vector<std::string>& cells,
                            int indent) const {
  std::string line(indent, ' ');
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (i > 0) line.append(columns_[i].gap, ' ');
    const std::string padding(Width(i) - cells[i].size(), ' ');
    if (columns_[i].align == Align::kRight) {
      absl::StrAppend(&line, padding, cells[i]);
    } else {
      absl::StrAppend(&line, cells[i], padding);
    }
  }
  return std::string(absl::StripTrailingAsciiWhitespace(line));
}

std::string TextTable::Header(int indent) const {
  std::vector<std::string> headers;
  for (const Column& column : columns_) headers.push_back(column.header);
  return Line(headers, indent);
}

std::string TextTable::Row(size_t row, int indent) const {
  return Line(rows_[row], indent);
}

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1000) return absl::StrCat(bytes, " B");
  static constexpr const char* kUnits[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
  double value = static_cast<double>(bytes) / 1000;
  size_t unit = 0;
  // 999.96 kB would print as "1000.0 kB": carry to the next unit instead.
  while (value >= 999.95 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

std::string FormatRtt(double seconds) {
  if (seconds <= 0) return "-";
  const double ms = seconds * 1000;
  return absl::StrFormat(ms < 1 ? "%.2f ms" : "%.1f ms", ms);
}

std::string ConnectionStateName(plait::v1::ConnectionState state) {
  if (state == plait::v1::CONNECTION_STATE_UNSPECIFIED) return "-";
  const std::string& name = plait::v1::ConnectionState_Name(state);
  // A state newer than this plaitctl has no name: show its number.
  if (name.empty()) return absl::StrCat(static_cast<int>(state));
  return std::string(absl::StripPrefix(name, "CONNECTION_STATE_"));
}

std::string FormatConnectionTable(
    const RepeatedPtrField<Connection>& connections) {
  if (connections.empty()) return "no connections\n";
  TextTable conns(ConnectionColumns());
  TextTable subflows(SubflowColumns());
  for (const Connection& c : connections) {
    conns.AddRow(ConnectionCells(c));
    for (const Subflow& s : c.subflows()) subflows.AddRow(SubflowCells(s));
  }
  std::string out = absl::StrCat(conns.Header(), "\n");
  if (subflows.rows() > 0) {
    absl::StrAppend(&out, subflows.Header(kSubflowIndent), "\n");
  }
  size_t subflow_row = 0;
  for (int i = 0; i < connections.size(); ++i) {
    absl::StrAppend(&out, conns.Row(i), "\n");
    for (int j = 0; j < connections[i].subflows_size(); ++j) {
      absl::StrAppend(&out, subflows.Row(subflow_row++, kSubflowIndent), "\n");
    }
  }
  return out;
}

std::string FormatSubflowTable(const RepeatedPtrField<Subflow>& subflows) {
  if (subflows.empty()) return "no subflows\n";
  TextTable table(SubflowColumns());
  for (const Subflow& s : subflows) table.AddRow(SubflowCells(s));
  std::string out = absl::StrCat(table.Header(), "\n");
  for (size_t i = 0; i < table.rows(); ++i) {
    absl::StrAppend(&out, table.Row(i), "\n");
  }
  return out;
}

}  // namespace plait::cli
