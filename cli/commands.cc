#include "cli/commands.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/exit_codes.h"
#include "cli/format.h"
#include "cli/policy_file.h"
#include "cli/table.h"

namespace plait::cli {

using plait::v1::DataplaneService;

void CallCanceller::Cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

bool CallCanceller::cancelled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cancelled_;
}

void CallCanceller::Attach(grpc::ClientContext* context) {
  std::lock_guard<std::mutex> lock(mutex_);
  context_ = context;
  // Ctrl-C came before the call started: it must not start for good.
  if (cancelled_) context_->TryCancel();
}

void CallCanceller::Detach() {
  std::lock_guard<std::mutex> lock(mutex_);
  context_ = nullptr;
}

std::string StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    default:
      return absl::StrCat("CODE_", static_cast<int>(code));
  }
}

int Commands::Run(const Invocation& invocation) {
  switch (invocation.command) {
    case CommandKind::kStatus:
      return Status();
    case CommandKind::kConns:
      return ListConnections();
    case CommandKind::kConnShow:
      return ShowConnection(invocation);
    case CommandKind::kPolicyGet:
      return GetPolicy();
    case CommandKind::kPolicySet:
      return SetPolicy(invocation);
    case CommandKind::kPolicyValidate:
      return ValidatePolicy(invocation);
    case CommandKind::kEvents:
      return Events(invocation);
    case CommandKind::kConnClose:
    case CommandKind::kSchedSet:
    case CommandKind::kCcSet:
    case CommandKind::kSubflowAdd:
    case CommandKind::kSubflowRm:
    case CommandKind::kSubflowPrio:
    case CommandKind::kAddrAnnounce:
    case CommandKind::kAddrWithdraw:
      return Mutate(invocation);
    case CommandKind::kHelp:
      break;
  }
  err_ << "plaitctl: internal error: no handler for this command\n";
  return kExitUsage;
}

template <typename Request, typename Response>
int Commands::Call(grpc::Status (DataplaneService::StubInterface::*method)(
                       grpc::ClientContext*, const Request&, Response*),
                   const Request& request, Response* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::microseconds(static_cast<int64_t>(
                           options_.timeout_seconds * 1e6)));
  if (canceller_ != nullptr) canceller_->Attach(&context);
  const grpc::Status status = (stub_->*method)(&context, request, response);
  if (canceller_ != nullptr) canceller_->Detach();
  return status.ok() ? kExitOk : Fail(status);
}

int Commands::Fail(const grpc::Status& status) {
  if (canceller_ != nullptr && canceller_->cancelled()) {
    err_ << "plaitctl: interrupted\n";
    return kExitInterrupted;
  }
  const std::string hint =
      "plaitctl: is plaitd running there? Another address: --api ADDR or "
      "PLAITCTL_API=ADDR\n";
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      err_ << "plaitctl: cannot reach plaitd at " << options_.api
           << " (UNAVAILABLE: " << status.error_message() << ")\n"
           << hint;
      return kExitUnreachable;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      err_ << "plaitctl: plaitd at " << options_.api
           << " did not answer within "
           << absl::StrFormat("%g", options_.timeout_seconds)
           << "s (DEADLINE_EXCEEDED; --timeout SECONDS waits longer)\n"
           << hint;
      return kExitUnreachable;
    default:
      err_ << "plaitctl: " << StatusCodeName(status.error_code()) << ": "
           << status.error_message() << "\n";
      return kExitRefused;
  }
}

void Commands::PrintConnection(const plait::v1::Connection& connection) {
  if (options_.json) {
    out_ << ToJson(connection) << "\n";
    return;
  }
  google::protobuf::RepeatedPtrField<plait::v1::Connection> one;
  *one.Add() = connection;
  out_ << FormatConnectionTable(one);
}

int Commands::Status() {
  plait::v1::Status status;
  if (int code = Call(&DataplaneService::StubInterface::GetStatus,
                      plait::v1::GetStatusRequest(), &status)) {
    return code;
  }
  out_ << (options_.json ? ToJson(status) + "\n" : FormatStatus(status));
  return kExitOk;
}

int Commands::ListConnections() {
  // Every page, so that the table (or JSON) has every connection.
  plait::v1::ListConnectionsResponse all;
  plait::v1::ListConnectionsRequest request;
  while (true) {
    plait::v1::ListConnectionsResponse page;
    if (int code = Call(&DataplaneService::StubInterface::ListConnections,
                        request, &page)) {
      return code;
    }
    for (auto& connection : *page.mutable_connections()) {
      *all.add_connections() = std::move(connection);
    }
    // A server that hands out the same token again would loop forever.
    if (page.next_page_token().empty() ||
        page.next_page_token() == request.page_token()) {
      break;
    }
    request.set_page_token(page.next_page_token());
  }
  out_ << (options_.json ? ToJson(all) + "\n"
                         : FormatConnectionTable(all.connections()));
  return kExitOk;
}

int Commands::ShowConnection(const Invocation& invocation) {
  plait::v1::GetConnectionRequest request;
  request.set_id(invocation.connection_id);
  plait::v1::Connection connection;
  if (int code = Call(&DataplaneService::StubInterface::GetConnection, request,
                      &connection)) {
    return code;
  }
  out_ << (options_.json ? ToJson(connection) + "\n"
                         : FormatConnectionDetail(connection));
  return kExitOk;
}

int Commands::GetPolicy() {
  plait::v1::PolicyState state;
  if (int code = Call(&DataplaneService::StubInterface::GetPolicy,
                      plait::v1::GetPolicyRequest(), &state)) {
    return code;
  }
  out_ << (options_.json ? ToJson(state) + "\n" : FormatPolicyState(state));
  return kExitOk;
}

int Commands::SetPolicy(const Invocation& invocation) {
  absl::StatusOr<plait::v1::Policy> policy = LoadPolicyFile(invocation.file);
  if (!policy.ok()) {
    err_ << "plaitctl: " << policy.status().message() << "\n";
    return kExitUsage;
  }
  plait::v1::SetPolicyRequest request;
  *request.mutable_policy() = *std::move(policy);
  request.set_dry_run(invocation.dry_run);
  plait::v1::SetPolicyResponse response;
  if (int code = Call(&DataplaneService::StubInterface::SetPolicy, request,
                      &response)) {
    return code;
  }
  out_ << (options_.json
               ? ToJson(response) + "\n"
               : FormatSetPolicyResponse(response, invocation.dry_run));
  return kExitOk;
}

int Commands::ValidatePolicy(const Invocation& invocation) {
  absl::StatusOr<plait::v1::Policy> policy = LoadPolicyFile(invocation.file);
  if (!policy.ok()) {
    err_ << "plaitctl: " << policy.status().message() << "\n";
    return kExitUsage;
  }
  plait::v1::ValidatePolicyRequest request;
  *request.mutable_policy() = *std::move(policy);
  plait::v1::ValidatePolicyResponse response;
  if (int code = Call(&DataplaneService::StubInterface::ValidatePolicy, request,
                      &response)) {
    return code;
  }
  out_ << (options_.json ? ToJson(response) + "\n"
                         : invocation.file + ": policy is valid\n");
  return kExitOk;
}

int Commands::Mutate(const Invocation& in) {
  using Stub = DataplaneService::StubInterface;
  plait::v1::Connection connection;
  int code = kExitOk;
  switch (in.command) {
    case CommandKind::kSchedSet: {
      plait::v1::SetSchedulerRequest request;
      request.set_id(in.connection_id);
      request.set_name(in.name);
      code = Call(&Stub::SetScheduler, request, &connection);
      break;
    }
    case CommandKind::kCcSet: {
      plait::v1::SetCongestionControlRequest request;
      request.set_id(in.connection_id);
      request.set_name(in.name);
      code = Call(&Stub::SetCongestionControl, request, &connection);
      break;
    }
    case CommandKind::kSubflowAdd: {
      plait::v1::AddSubflowRequest request;
      request.set_id(in.connection_id);
      request.set_local_address(in.address);
      request.set_remote_address_id(in.remote_address_id);
      request.set_backup(in.backup);
      code = Call(&Stub::AddSubflow, request, &connection);
      break;
    }
    case CommandKind::kSubflowRm: {
      plait::v1::RemoveSubflowRequest request;
      request.set_id(in.connection_id);
      request.set_subflow_id(in.subflow_id);
      request.set_reset(in.reset);
      code = Call(&Stub::RemoveSubflow, request, &connection);
      break;
    }
    case CommandKind::kSubflowPrio: {
      plait::v1::SetSubflowPriorityRequest request;
      request.set_id(in.connection_id);
      request.set_subflow_id(in.subflow_id);
      request.set_backup(in.backup);
      code = Call(&Stub::SetSubflowPriority, request, &connection);
      break;
    }
    case CommandKind::kAddrAnnounce: {
      plait::v1::AnnounceAddressRequest request;
      request.set_id(in.connection_id);
      request.set_address(in.address);
      code = Call(&Stub::AnnounceAddress, request, &connection);
      break;
    }
    case CommandKind::kAddrWithdraw: {
      plait::v1::WithdrawAddressRequest request;
      request.set_id(in.connection_id);
      request.set_address(in.address);
      code = Call(&Stub::WithdrawAddress, request, &connection);
      break;
    }
    case CommandKind::kConnClose: {
      plait::v1::CloseConnectionRequest request;
      request.set_id(in.connection_id);
      request.set_fast(in.fast);
      code = Call(&Stub::CloseConnection, request, &connection);
      break;
    }
    default:
      return kExitUsage;
  }
  if (code != kExitOk) return code;
  PrintConnection(connection);
  return kExitOk;
}

int Commands::Events(const Invocation& invocation) {
  plait::v1::WatchEventsRequest request;
  for (plait::v1::EventType type : invocation.event_types) {
    request.add_types(type);
  }
  request.set_connection_id(invocation.connection_id);
  // No deadline: the stream follows events for as long as the user wants.
  // An unreachable daemon still fails at once (the call does not wait for
  // the channel to become ready).
  grpc::ClientContext context;
  if (canceller_ != nullptr) canceller_->Attach(&context);
  std::unique_ptr<grpc::ClientReaderInterface<plait::v1::Event>> reader =
      stub_->WatchEvents(&context, request);
  plait::v1::Event event;
  while (reader->Read(&event)) {
    // Flushed per line: `plaitctl events | grep` must see events as they
    // come.
    out_ << (options_.json ? ToJson(event) : FormatEvent(event)) << std::endl;
  }
  const grpc::Status status = reader->Finish();
  if (canceller_ != nullptr) canceller_->Detach();
  // Ctrl-C is how one stops following: a normal end.
  if (canceller_ != nullptr && canceller_->cancelled()) return kExitOk;
  return status.ok() ? kExitOk : Fail(status);
}

}  // namespace plait::cli
