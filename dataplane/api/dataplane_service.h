// plait.v1.DataplaneService: gRPC's threads take the calls, the loop thread
// does the work (LoopCaller), so the dataplane needs no locks.
#ifndef PLAIT_DATAPLANE_API_DATAPLANE_SERVICE_H_
#define PLAIT_DATAPLANE_API_DATAPLANE_SERVICE_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dataplane/api/event_hub.h"
#include "dataplane/api/loop_caller.h"
#include "dataplane/base/time.h"
#include "dataplane/proxy/bridge_set.h"
#include "dataplane/wire/ip_address.h"
#include "proto/plait/v1/dataplane.grpc.pb.h"

namespace plait::api {

// What the service needs from the daemon. Every method is called on the
// loop thread.
class ServiceBackend {
 public:
  virtual ~ServiceBackend() = default;
  virtual void FillStatus(v1::Status* status) = 0;
  virtual v1::PolicyState GetPolicy() = 0;
  // Validates (InvalidArgument naming the field) and, unless `dry_run`,
  // persists and applies; a refused policy changes nothing.
  virtual absl::StatusOr<v1::SetPolicyResponse> SetPolicy(
      const v1::Policy& policy, bool dry_run) = 0;
  virtual absl::Status ValidatePolicy(const v1::Policy& policy) = 0;
  virtual proxy::BridgeSet& bridges() = 0;
  // The node's path addresses.
  virtual const std::vector<wire::IpAddress>& paths() const = 0;
  virtual Time Now() const = 0;
  // Sends what a connection queued after the API changed it.
  virtual void Kick() = 0;
};

struct ServiceOptions {
  // Mutating calls only from clients with a verified certificate (mTLS).
  bool mutations_need_mtls = false;
  // How long a call waits for the loop thread.
  Duration loop_timeout = Seconds(5);
};

// The mapping of the core's errors onto the API's codes: limits and
// conflicts (ResourceExhausted, AlreadyExists) are FAILED_PRECONDITION.
grpc::Status ToGrpcStatus(const absl::Status& status);

class DataplaneServiceImpl final : public v1::DataplaneService::Service {
 public:
  // All three must outlive the service.
  DataplaneServiceImpl(LoopCaller* caller, ServiceBackend* backend,
                       EventHub* events, ServiceOptions options);

  grpc::Status GetStatus(grpc::ServerContext* context,
                         const v1::GetStatusRequest* request,
                         v1::Status* reply) override;
  grpc::Status GetPolicy(grpc::ServerContext* context,
                         const v1::GetPolicyRequest* request,
                         v1::PolicyState* reply) override;
  grpc::Status SetPolicy(grpc::ServerContext* context,
                         const v1::SetPolicyRequest* request,
                         v1::SetPolicyResponse* reply) override;
  grpc::Status ValidatePolicy(grpc::ServerContext* context,
                              const v1::ValidatePolicyRequest* request,
                              v1::ValidatePolicyResponse* reply) override;
  grpc::Status ListConnections(grpc::ServerContext* context,
                               const v1::ListConnectionsRequest* request,
                               v1::ListConnectionsResponse* reply) override;
  grpc::Status GetConnection(grpc::ServerContext* context,
                             const v1::GetConnectionRequest* request,
                             v1::Connection* reply) override;
  grpc::Status SetScheduler(grpc::ServerContext* context,
                            const v1::SetSchedulerRequest* request,
                            v1::Connection* reply) override;
  grpc::Status SetCongestionControl(
      grpc::ServerContext* context,
      const v1::SetCongestionControlRequest* request,
      v1::Connection* reply) override;
  grpc::Status AddSubflow(grpc::ServerContext* context,
                          const v1::AddSubflowRequest* request,
                          v1::Connection* reply) override;
  grpc::Status RemoveSubflow(grpc::ServerContext* context,
                             const v1::RemoveSubflowRequest* request,
                             v1::Connection* reply) override;
  grpc::Status SetSubflowPriority(grpc::ServerContext* context,
                                  const v1::SetSubflowPriorityRequest* request,
                                  v1::Connection* reply) override;
  grpc::Status AnnounceAddress(grpc::ServerContext* context,
                               const v1::AnnounceAddressRequest* request,
                               v1::Connection* reply) override;
  grpc::Status WithdrawAddress(grpc::ServerContext* context,
                               const v1::WithdrawAddressRequest* request,
                               v1::Connection* reply) override;
  grpc::Status CloseConnection(grpc::ServerContext* context,
                               const v1::CloseConnectionRequest* request,
                               v1::Connection* reply) override;
  grpc::Status WatchEvents(grpc::ServerContext* context,
                           const v1::WatchEventsRequest* request,
                           grpc::ServerWriter<v1::Event>* writer) override;

 private:
  // A change to one connection: `change` runs on the loop thread with the
  // connection found, open and attached; the reply is the connection after.
  using Change = std::function<absl::Status(proxy::Bridge& bridge,
                                            mptcp::MptcpConnection& connection,
                                            Time now)>;
  grpc::Status ChangeConnection(grpc::ServerContext* context, uint64_t id,
                                const Change& change, v1::Connection* reply);
  // Runs `work` on the loop thread within the call's deadline (and at most
  // options_.loop_timeout); never once the client has given up.
  grpc::Status OnLoop(grpc::ServerContext* context,
                      const std::function<void()>& work);
  grpc::Status CheckMutationAllowed(grpc::ServerContext* context) const;

  LoopCaller* const caller_;
  ServiceBackend* const backend_;
  EventHub* const events_;
  const ServiceOptions options_;
};

}  // namespace plait::api

#endif  // PLAIT_DATAPLANE_API_DATAPLANE_SERVICE_H_
