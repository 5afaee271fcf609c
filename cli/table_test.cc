#include "cli/table.h"

#include "gtest/gtest.h"

namespace plait::cli {
namespace {

using plait::v1::Connection;
using plait::v1::Subflow;

Subflow MakeSubflow(uint32_t id, const std::string& local,
                    const std::string& remote, bool backup, double rtt) {
  Subflow s;
  s.set_id(id);
  s.set_local_address(local);
  s.set_remote_address(remote);
  s.set_state("ESTABLISHED");
  s.set_backup(backup);
  s.set_rtt_seconds(rtt);
  s.set_cwnd_bytes(14480);
  s.set_bytes_in_flight(2896);
  s.set_bytes_sent(1234567);
  s.set_bytes_received(999);
  s.set_bytes_retransmitted(id == 0 ? 0 : 43210);
  return s;
}

google::protobuf::RepeatedPtrField<Connection> TwoConnections() {
  google::protobuf::RepeatedPtrField<Connection> connections;
  Connection* a = connections.Add();
  a->set_id(7);
  a->set_state(plait::v1::CONNECTION_STATE_ESTABLISHED);
  a->set_local_address("10.0.1.1:40000");
  a->set_remote_address("10.0.1.2:8080");
  a->set_scheduler("minrtt");
  a->set_congestion_control("olia");
  a->set_bytes_sent(1234567);
  a->set_bytes_received(3400);
  *a->add_subflows() =
      MakeSubflow(0, "10.0.1.1:40000", "10.0.1.2:8080", false, 0.0123);
  *a->add_subflows() =
      MakeSubflow(1, "10.0.2.1:40001", "10.0.2.2:8080", true, 0.00045);
  Connection* b = connections.Add();
  b->set_id(12);
  b->set_state(plait::v1::CONNECTION_STATE_CONNECTING);
  b->set_local_address("[2001:db8::1]:40002");
  b->set_remote_address("[2001:db8::2]:443");
  b->set_scheduler("redundant");
  b->set_congestion_control("cubic");
  return connections;
}

TEST(ConnectionTableTest, FormatsConnectionsAndIndentedSubflows) {
  // Subflow columns line up across connections; numbers on the right.
  EXPECT_EQ(
      FormatConnectionTable(TwoConnections()),
      R"(ID  STATE        LOCAL                  REMOTE             SCHED      CC     SUBFLOWS    SENT  RECEIVED
    SUBFLOW  LOCAL             REMOTE         STATE        BACKUP      RTT     CWND  IN FLIGHT    SENT  RECEIVED  RETRANS
 7  ESTABLISHED  10.0.1.1:40000      -> 10.0.1.2:8080      minrtt     olia          2  1.2 MB    3.4 kB
          0  10.0.1.1:40000 -> 10.0.1.2:8080  ESTABLISHED  no      12.3 ms  14.5 kB     2.9 kB  1.2 MB     999 B      0 B
          1  10.0.2.1:40001 -> 10.0.2.2:8080  ESTABLISHED  yes     0.45 ms  14.5 kB     2.9 kB  1.2 MB     999 B  43.2 kB
12  CONNECTING   [2001:db8::1]:40002 -> [2001:db8::2]:443  redundant  cubic         0     0 B       0 B
)");
}

TEST(ConnectionTableTest, SaysWhenThereAreNone) {
  EXPECT_EQ(FormatConnectionTable({}), "no connections\n");
}

TEST(ConnectionTableTest, LeavesOutTheSubflowHeaderWithoutSubflows) {
  google::protobuf::RepeatedPtrField<Connection> connections;
  Connection* c = connections.Add();
  c->set_id(3);
  c->set_state(plait::v1::CONNECTION_STATE_CLOSING);
  c->set_local_address("10.0.1.1:1");
  c->set_remote_address("10.0.1.2:2");
  EXPECT_EQ(FormatConnectionTable(connections),
            "ID  STATE    LOCAL         REMOTE      SCHED  CC  SUBFLOWS  SENT  "
            "RECEIVED\n"
            " 3  CLOSING  10.0.1.1:1 -> 10.0.1.2:2  -      -          0   0 B  "
            "     0 B\n");
}

TEST(FormatBytesTest, UsesSiUnitsWithOneDecimal) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(999), "999 B");
  EXPECT_EQ(FormatBytes(1000), "1.0 kB");
  EXPECT_EQ(FormatBytes(1234567), "1.2 MB");
  EXPECT_EQ(FormatBytes(999960), "1.0 MB");
  EXPECT_EQ(FormatBytes(5'000'000'000), "5.0 GB");
  EXPECT_EQ(FormatBytes(UINT64_MAX), "18.4 EB");
}

TEST(FormatRttTest, ShowsMilliseconds) {
  EXPECT_EQ(FormatRtt(0), "-");
  EXPECT_EQ(FormatRtt(0.0123), "12.3 ms");
  EXPECT_EQ(FormatRtt(0.00045), "0.45 ms");
  EXPECT_EQ(FormatRtt(1.5), "1500.0 ms");
}

TEST(TextTableTest, AlignsNumbersRightAndTrimsTrailingSpaces) {
  TextTable table({{"NAME"}, {"N", TextTable::Align::kRight}, {"NOTE"}});
  table.AddRow({"a", "1", ""});
  table.AddRow({"longer", "100", "x"});
  EXPECT_EQ(table.Header(), "NAME      N  NOTE");
  EXPECT_EQ(table.Row(0, 2), "  a         1");
  EXPECT_EQ(table.Row(1), "longer  100  x");
}

}  // namespace
}  // namespace plait::cli
