// plaitd's Prometheus metrics: a registry with every plait_* family, fed
// from MetricsSnapshot, optionally served at http://ADDRESS/metrics by
// prometheus-cpp's Exposer (civetweb, with its own threads).
//
// Update() belongs to one thread (the event loop's, which fills the
// snapshot); scrapes run on the exposer's threads at any time, which is
// safe because the registry and its metrics lock or use atomics. A scrape
// sees the values of the last Update, so call it periodically (e.g. every
// second).
//
// No per-connection labels: every label has a few values at most (path
// addresses of this node, directions, states, reasons, scheduler and
// congestion control names).
#ifndef PLAIT_DATAPLANE_METRICS_EXPORTER_H_
#define PLAIT_DATAPLANE_METRICS_EXPORTER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dataplane/metrics/snapshot.h"

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace plait::metrics {

class MetricsExporter {
 public:
  // Registers the families; serves nothing (tests, or a caller with its own
  // HTTP server that collects registry()).
  MetricsExporter();
  // Also serves /metrics on `address` (listen_address.h: "127.0.0.1:9464",
  // "[::1]:9464", ":9464"; port 0 picks a free port, see port()). Errors
  // name the address: InvalidArgument for a malformed one, Unavailable when
  // it cannot be bound (in use, not a local address, no permission).
  static absl::StatusOr<std::unique_ptr<MetricsExporter>> Start(
      const std::string& address);
  ~MetricsExporter();
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  // Sets gauges, advances counters to the snapshot's totals (never back:
  // total_counter.h) and adds the snapshot's samples to the histograms.
  void Update(const MetricsSnapshot& snapshot);

  // The port /metrics is served on; 0 when not serving.
  int port() const { return port_; }
  const std::shared_ptr<prometheus::Registry>& registry() const {
    return registry_;
  }
  // The Prometheus text exposition of the registry, as a scrape gets it.
  std::string Text() const;

 private:
  struct Series;

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Series> series_;
  // Last: stops serving before the series go away.
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace plait::metrics

#endif  // PLAIT_DATAPLANE_METRICS_EXPORTER_H_
