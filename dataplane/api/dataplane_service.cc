#include "dataplane/api/dataplane_service.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/api/connection_view.h"
#include "dataplane/policy/prefix.h"

namespace plait::api {
namespace {

constexpr uint32_t kDefaultPageSize = 100;
constexpr uint32_t kMaxPageSize = 1000;

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

grpc::Status RequireId(uint64_t id) {
  if (id == 0) {
    return Invalid("id: required (a connection id, from ListConnections)");
  }
  return grpc::Status::OK;
}

// The local address id of `address` for `connection`'s path manager: 0 for
// the initial subflow's address, else its endpoint's id.
absl::StatusOr<uint8_t> LocalAddressId(
    const mptcp::MptcpConnection& connection, const std::string& field,
    const std::string& text, const std::vector<wire::IpAddress>& paths) {
  auto address = wire::IpAddress::Parse(text);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", text, "\" is not an IP address"));
  }
  if (std::find(paths.begin(), paths.end(), *address) == paths.end()) {
    std::vector<std::string> names;
    for (const auto& p : paths) names.push_back(p.ToString());
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", text, " is not one of this node's paths (",
                     absl::StrJoin(names, ", "), ")"));
  }
  if (connection.subflow_count() > 0 &&
      connection.subflow(0).endpoints().local == *address) {
    return uint8_t{0};
  }
  for (const pm::Endpoint& e :
       connection.config().path_manager_config.endpoints) {
    if (e.address == *address) return e.id;
  }
  return absl::FailedPreconditionError(
      absl::StrCat(field, ": ", text,
                   " is not an endpoint of this connection's path manager "
                   "(its policy profile leaves it out)"));
}

// ADD_ADDR / REMOVE_ADDR name the addresses besides the connection's first:
// the peer knows that one from the handshake.
absl::Status InitialAddress(const std::string& address) {
  return absl::FailedPreconditionError(absl::StrCat(
      "address: ", address,
      " is the connection's initial address, which the peer knows from the "
      "handshake (announce and withdraw the others)"));
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return grpc::Status::OK;
    case absl::StatusCode::kInvalidArgument:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
    case absl::StatusCode::kNotFound:
      return grpc::Status(grpc::StatusCode::NOT_FOUND, message);
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kOutOfRange:
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, message);
    case absl::StatusCode::kPermissionDenied:
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, message);
    case absl::StatusCode::kUnavailable:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, message);
    default:
      return grpc::Status(grpc::StatusCode::INTERNAL, message);
  }
}

DataplaneServiceImpl::DataplaneServiceImpl(LoopCaller* caller,
                                           ServiceBackend* backend,
                                           EventHub* events,
                                           ServiceOptions options)
    : caller_(caller),
      backend_(backend),
      events_(events),
      options_(options) {}

grpc::Status DataplaneServiceImpl::OnLoop(grpc::ServerContext* context,
                                          const std::function<void()>& work) {
  Duration timeout = options_.loop_timeout;
  const auto deadline = context->deadline();
  if (deadline != std::chrono::system_clock::time_point::max()) {
    const auto left = deadline - std::chrono::system_clock::now();
    timeout = std::min(
        timeout, std::chrono::duration_cast<Duration>(
                     std::max(left, std::chrono::system_clock::duration(0))));
  }
  return ToGrpcStatus(caller_->Call(work, timeout,
                                    [context] { return context->IsCancelled(); }));
}

grpc::Status DataplaneServiceImpl::CheckMutationAllowed(
    grpc::ServerContext* context) const {
  if (!options_.mutations_need_mtls) return grpc::Status::OK;
  std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      "this call changes the dataplane and plaitd accepts it "
                      "only from clients with a verified certificate "
                      "(--api-mutations-need-mtls)");
}

grpc::Status DataplaneServiceImpl::GetStatus(grpc::ServerContext* context,
                                             const v1::GetStatusRequest*,
                                             v1::Status* reply) {
  return OnLoop(context, [&] { backend_->FillStatus(reply); });
}

grpc::Status DataplaneServiceImpl::GetPolicy(grpc::ServerContext* context,
                                             const v1::GetPolicyRequest*,
                                             v1::PolicyState* reply) {
  return OnLoop(context, [&] { *reply = backend_->GetPolicy(); });
}

grpc::Status DataplaneServiceImpl::SetPolicy(
    grpc::ServerContext* context, const v1::SetPolicyRequest* request,
    v1::SetPolicyResponse* reply) {
  if (!request->dry_run()) {
    if (grpc::Status s = CheckMutationAllowed(context); !s.ok()) return s;
  }
  absl::Status result;
  grpc::Status called = OnLoop(context, [&] {
    auto response = backend_->SetPolicy(request->policy(), request->dry_run());
    if (response.ok()) {
      *reply = std::move(*response);
    } else {
      result = response.status();
    }
  });
  if (!called.ok()) return called;
  return ToGrpcStatus(result);
}

grpc::Status DataplaneServiceImpl::ValidatePolicy(
    grpc::ServerContext* context, const v1::ValidatePolicyRequest* request,
    v1::ValidatePolicyResponse*) {
  absl::Status result;
  grpc::Status called =
      OnLoop(context, [&] { result = backend_->ValidatePolicy(request->policy()); });
  if (!called.ok()) return called;
  return ToGrpcStatus(result);
}

grpc::Status DataplaneServiceImpl::ListConnections(
    grpc::ServerContext* context, const v1::ListConnectionsRequest* request,
    v1::ListConnectionsResponse* reply) {
  uint32_t page_size = request->page_size();
  if (page_size == 0) page_size = kDefaultPageSize;
  if (page_size > kMaxPageSize) {
    return Invalid(absl::StrCat("page_size: ", page_size, " is more than ",
                                kMaxPageSize));
  }
  uint64_t first_id = 1;
  if (!request->page_token().empty() &&
      (!absl::SimpleAtoi(request->page_token(), &first_id) || first_id == 0)) {
    return Invalid(absl::StrCat("page_token: \"", request->page_token(),
                                "\" is not a token from ListConnections"));
  }
  if (!v1::ConnectionState_IsValid(request->state())) {
    return Invalid(absl::StrCat("state: ", request->state(),
                                " is not a ConnectionState"));
  }
  std::optional<policy::Prefix> prefix;
  if (!request->remote_prefix().empty()) {
    auto parsed = policy::Prefix::Parse(request->remote_prefix());
    if (!parsed.ok()) {
      return Invalid(
          absl::StrCat("remote_prefix: ", parsed.status().message()));
    }
    prefix = *parsed;
  }
  return OnLoop(context, [&] {
    const Time now = backend_->Now();
    backend_->bridges().ForEachFrom(
        first_id, [&](proxy::Bridge& bridge, const proxy::BridgeInfo& info) {
          if (static_cast<uint32_t>(reply->connections_size()) == page_size) {
            reply->set_next_page_token(absl::StrCat(info.id));
            return false;
          }
          if (request->state() != v1::CONNECTION_STATE_UNSPECIFIED &&
              StateOf(bridge) != request->state()) {
            return true;
          }
          if (!request->listener().empty() &&
              info.listener != request->listener()) {
            return true;
          }
          const mptcp::MptcpConnection* c = bridge.connection();
          if (!request->scheduler().empty() &&
              (c == nullptr || request->scheduler() != c->scheduler_name())) {
            return true;
          }
          if (prefix.has_value() &&
              (c == nullptr || c->subflow_count() == 0 ||
               !prefix->Contains(c->subflow(0).endpoints().remote))) {
            return true;
          }
          FillConnection(bridge, info, now, reply->add_connections());
          return true;
        });
  });
}

grpc::Status DataplaneServiceImpl::GetConnection(
    grpc::ServerContext* context, const v1::GetConnectionRequest* request,
    v1::Connection* reply) {
  if (grpc::Status s = RequireId(request->id()); !s.ok()) return s;
  bool found = false;
  grpc::Status called = OnLoop(context, [&] {
    const proxy::BridgeInfo* info = nullptr;
    proxy::Bridge* bridge = backend_->bridges().Find(request->id(), &info);
    if (bridge == nullptr) return;
    found = true;
    FillConnection(*bridge, *info, backend_->Now(), reply);
  });
  if (!called.ok()) return called;
  if (!found) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("connection ", request->id(),
                                     ": no such connection (closed, or "
                                     "never existed)"));
  }
  return grpc::Status::OK;
}

grpc::Status DataplaneServiceImpl::ChangeConnection(
    grpc::ServerContext* context, uint64_t id, const Change& change,
    v1::Connection* reply) {
  if (grpc::Status s = RequireId(id); !s.ok()) return s;
  if (grpc::Status s = CheckMutationAllowed(context); !s.ok()) return s;
  absl::Status result;
  grpc::Status called = OnLoop(context, [&] {
    const proxy::BridgeInfo* info = nullptr;
    proxy::Bridge* bridge = backend_->bridges().Find(id, &info);
    if (bridge == nullptr) {
      result = absl::NotFoundError(absl::StrCat(
          "connection ", id, ": no such connection (closed, or never "
          "existed)"));
      return;
    }
    mptcp::MptcpConnection* connection = bridge->mutable_connection();
    if (connection == nullptr) {
      result = absl::FailedPreconditionError(absl::StrCat(
          "connection ", id, ": its MPTCP connection is not open yet"));
      return;
    }
    if (connection->closed() || bridge->finished()) {
      result = absl::FailedPreconditionError(
          absl::StrCat("connection ", id, ": closed"));
      return;
    }
    const Time now = backend_->Now();
    result = change(*bridge, *connection, now);
    backend_->Kick();
    FillConnection(*bridge, *info, backend_->Now(), reply);
  });
  if (!called.ok()) return called;
  return ToGrpcStatus(result);
}

grpc::Status DataplaneServiceImpl::SetScheduler(
    grpc::ServerContext* context, const v1::SetSchedulerRequest* request,
    v1::Connection* reply) {
  if (request->name().empty()) return Invalid("name: required");
  return ChangeConnection(
      context, request->id(),
      [&](proxy::Bridge&, mptcp::MptcpConnection& c, Time now) {
        absl::Status s = c.SetScheduler(request->name(), now);
        if (!s.ok()) return absl::InvalidArgumentError(
            absl::StrCat("name: ", s.message()));
        return s;
      },
      reply);
}

grpc::Status DataplaneServiceImpl::SetCongestionControl(
    grpc::ServerContext* context,
    const v1::SetCongestionControlRequest* request, v1::Connection* reply) {
  if (request->name().empty()) return Invalid("name: required");
  return ChangeConnection(
      context, request->id(),
      [&](proxy::Bridge&, mptcp::MptcpConnection& c, Time now) {
        absl::Status s = c.SetCongestionControl(request->name(), now);
        if (!s.ok()) return absl::InvalidArgumentError(
            absl::StrCat("name: ", s.message()));
        return s;
      },
      reply);
}

grpc::Status DataplaneServiceImpl::AddSubflow(
    grpc::ServerContext* context, const v1::AddSubflowRequest* request,
    v1::Connection* reply) {
  if (request->local_address().empty()) return Invalid("local_address: required");
  if (request->remote_address_id() > 255) {
    return Invalid(absl::StrCat("remote_address_id: ",
                                request->remote_address_id(),
                                " is more than 255"));
  }
  return ChangeConnection(
      context, request->id(),
      [&](proxy::Bridge&, mptcp::MptcpConnection& c, Time now) -> absl::Status {
        if (c.fallback() || !c.established()) {
          return absl::FailedPreconditionError(
              "the connection is not using MPTCP (fallen back to TCP) or not "
              "established: no subflow can join it");
        }
        auto local = LocalAddressId(c, "local_address",
                                    request->local_address(),
                                    backend_->paths());
        if (!local.ok()) return local.status();
        pm::SubflowRequest subflow;
        subflow.local_id = *local;
        subflow.remote_id = static_cast<uint8_t>(request->remote_address_id());
        // Unset: the endpoint's own backup flag (its profile's).
        if (request->backup()) subflow.backup = true;
        absl::Status s = c.OpenSubflow(subflow, now);
        if (s.code() == absl::StatusCode::kInvalidArgument &&
            absl::StartsWith(s.message(), "remote_id")) {
          return absl::NotFoundError(absl::StrCat(
              "remote_address_id: ", request->remote_address_id(),
              " is not an address of the peer (0, or one it announced)"));
        }
        return s;
      },
      reply);
}

grpc::Status DataplaneServiceImpl::RemoveSubflow(
    grpc::ServerContext* context, const v1::RemoveSubflowRequest* request,
    v1::Connection* reply) {
  return ChangeConnection(
      context, request->id(),
      [&](proxy::Bridge&, mptcp::MptcpConnection& c, Time now) {
        return c.CloseSubflow(request->subflow_id(), request->reset(), now);
      },
      reply);
}

grpc::Status DataplaneServiceImpl::SetSubflowPriority(
    grpc::ServerContext* context,
    const v1::SetSubflowPriorityRequest* request, v1::Connection* reply) {
  return ChangeConnection(
      context, request->id(),
      [&](proxy::Bridge&, mptcp::MptcpConnection& c, Time now) {
        return c.SetSubflowBackup(request->subflow_id(), request->backup(),
                                  now);
      },
      reply);
}

grpc::Status DataplaneServiceImpl::AnnounceAddress(
    grpc::ServerContext* context, const v1::AnnounceAddressRequest* request,
    v1::Connection* reply) {
  if (request->address().empty()) return Invalid("address: required");
  return ChangeConnection(
      context, request->id(),
      [&](proxy::Bridge&, mptcp::MptcpConnection& c, Time now) -> absl::Status {
        auto id = LocalAddressId(c, "address", request->address(),
                                 backend_->paths());
        if (!id.ok()) return id.status();
        if (*id == 0) return InitialAddress(request->address());
        return c.AnnounceAddress(*id, now);
      },
      reply);
}

grpc::Status DataplaneServiceImpl::WithdrawAddress(
    grpc::ServerContext* context, const v1::WithdrawAddressRequest* request,
    v1::Connection* reply) {
  if (request->address().empty()) return Invalid("address: required");
  return ChangeConnection(
      context, request->id(),
      [&](proxy::Bridge&, mptcp::MptcpConnection& c, Time now) -> absl::Status {
        auto id = LocalAddressId(c, "address", request->address(),
                                 backend_->paths());
        if (!id.ok()) return id.status();
        if (*id == 0) return InitialAddress(request->address());
        return c.WithdrawAddress(*id, now);
      },
      reply);
}

grpc::Status DataplaneServiceImpl::CloseConnection(
    grpc::ServerContext* context, const v1::CloseConnectionRequest* request,
    v1::Connection* reply) {
  return ChangeConnection(
      context, request->id(),
      [&](proxy::Bridge& bridge, mptcp::MptcpConnection& c, Time now) {
        if (request->fast()) {
          c.Abort(now);
        } else {
          // As a drain does: what the application sent goes first, then
          // DATA_FIN; the other direction runs to its end.
          bridge.BeginDrain();
        }
        return absl::OkStatus();
      },
      reply);
}

grpc::Status DataplaneServiceImpl::WatchEvents(
    grpc::ServerContext* context, const v1::WatchEventsRequest* request,
    grpc::ServerWriter<v1::Event>* writer) {
  Subscription::Filter filter;
  for (int i = 0; i < request->types_size(); ++i) {
    const int type = request->types(i);
    if (!v1::EventType_IsValid(type) || type == v1::EVENT_TYPE_UNSPECIFIED) {
      return Invalid(absl::StrCat("types[", i, "]: ", type,
                                  " is not an event type"));
    }
    filter.types.insert(type);
  }
  filter.connection_id = request->connection_id();
  std::unique_ptr<Subscription> subscription =
      events_->Subscribe(std::move(filter));
  // The client learns the stream is live before the first event (which may
  // be long in coming): gRPC sends the headers now.
  writer->SendInitialMetadata();
  while (!context->IsCancelled()) {
    std::optional<v1::Event> event =
        subscription->Next(std::chrono::milliseconds(200));
    if (!event.has_value()) {
      if (subscription->closed()) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "plaitd is shutting down");
      }
      continue;
    }
    if (!writer->Write(*event)) return grpc::Status::OK;  // client gone
  }
  return grpc::Status::OK;
}

}  // namespace plait::api
