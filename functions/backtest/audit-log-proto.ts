import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type * as Gax from 'google-gax';

// The schema the backtest decodes audit payloads with: the embedded AuditLog proto, and one
// protobufjs Root holding it beside LogEntry and AuditData from the installed libraries' proto files.

/** AuthorizationInfo.PermissionType, on one line as in AUDIT_LOG_PROTO. */
const PERMISSION_TYPE_ENUM =
  'enum PermissionType { PERMISSION_TYPE_UNSPECIFIED = 0; ADMIN_READ = 1; ADMIN_WRITE = 2; ' +
  'DATA_READ = 3; DATA_WRITE = 4; }';

/**
 * google/cloud/audit/audit_log.proto as googleapis publishes it (2025 revision, comments and
 * options dropped). Nothing installed ships it: not @google-cloud/logging, not logging-api, not
 * google-gax's common protos. Its imports (attribute_context, status, struct, any) come from
 * google-gax. Field numbers checked against the descriptor in the Cloud SDK's audit_log_pb2.py.
 */
export const AUDIT_LOG_PROTO = `
syntax = "proto3";
package google.cloud.audit;
import "google/protobuf/any.proto";
import "google/protobuf/struct.proto";
import "google/rpc/context/attribute_context.proto";
import "google/rpc/status.proto";
message AuditLog {
  string service_name = 7;
  string method_name = 8;
  string resource_name = 11;
  ResourceLocation resource_location = 20;
  google.protobuf.Struct resource_original_state = 19;
  int64 num_response_items = 12;
  google.rpc.Status status = 2;
  AuthenticationInfo authentication_info = 3;
  repeated AuthorizationInfo authorization_info = 9;
  PolicyViolationInfo policy_violation_info = 25;
  RequestMetadata request_metadata = 4;
  google.protobuf.Struct request = 16;
  google.protobuf.Struct response = 17;
  google.protobuf.Struct metadata = 18;
  google.protobuf.Any service_data = 15;
}
message AuthenticationInfo {
  string principal_email = 1;
  string authority_selector = 2;
  google.protobuf.Struct third_party_principal = 4;
  string service_account_key_name = 5;
  repeated ServiceAccountDelegationInfo service_account_delegation_info = 6;
  string principal_subject = 8;
}
message AuthorizationInfo {
  ${PERMISSION_TYPE_ENUM}
  string resource = 1;
  string permission = 2;
  bool granted = 3;
  google.rpc.context.AttributeContext.Resource resource_attributes = 5;
  PermissionType permission_type = 7;
}
message RequestMetadata {
  string caller_ip = 1;
  string caller_supplied_user_agent = 2;
  string caller_network = 3;
  google.rpc.context.AttributeContext.Request request_attributes = 7;
  google.rpc.context.AttributeContext.Peer destination_attributes = 8;
}
message ResourceLocation {
  repeated string current_locations = 1;
  repeated string original_locations = 2;
}
message ServiceAccountDelegationInfo {
  message FirstPartyPrincipal { string principal_email = 1; google.protobuf.Struct service_metadata = 2; }
  message ThirdPartyPrincipal { google.protobuf.Struct third_party_claims = 1; }
  string principal_subject = 3;
  oneof Authority { FirstPartyPrincipal first_party_principal = 1; ThirdPartyPrincipal third_party_principal = 2; }
}
message PolicyViolationInfo { OrgPolicyViolationInfo org_policy_violation_info = 1; }
message OrgPolicyViolationInfo {
  google.protobuf.Struct payload = 1;
  string resource_type = 2;
  map<string, string> resource_tags = 3;
  repeated ViolationInfo violation_info = 4;
}
message ViolationInfo {
  enum PolicyType { POLICY_TYPE_UNSPECIFIED = 0; BOOLEAN_CONSTRAINT = 1; LIST_CONSTRAINT = 2; CUSTOM_CONSTRAINT = 3; }
  string constraint = 1;
  string error_message = 2;
  string checked_value = 3;
  PolicyType policy_type = 4;
}
`;

/** Payload types beyond AuditLog that audit entries carry (serviceData of IAM changes). */
export const PAYLOAD_PROTO_FILES = [
  'google/logging/v2/log_entry.proto',
  'google/rpc/context/attribute_context.proto',
  'google/rpc/status.proto',
  'google/iam/v1/logging/audit_data.proto',
];

export interface Schema {
  root: Gax.protobuf.Root;
  logEntry: Gax.protobuf.Type;
}

let schema: Schema | undefined;

/**
 * One protobufjs Root holding LogEntry, AuditLog and AuditData, built with the protobufjs and
 * proto files of the google-gax that @google-cloud/logging's generated client itself loads
 * (its v2 is @google-cloud/logging-api, on gax 5; the Logging class still pulls gax 4).
 */
export function loadSchema(): Schema {
  if (schema) return schema;
  const here = createRequire(import.meta.url);
  const api = createRequire(createRequire(here.resolve('@google-cloud/logging')).resolve('@google-cloud/logging-api'));
  const gax = api('google-gax') as typeof Gax;
  const apiProtos = resolve(dirname(api.resolve('@google-cloud/logging-api')), '..', 'protos');
  const gaxProtos = resolve(dirname(api.resolve('google-gax')), '..', 'protos');
  const root = new gax.protobuf.Root();
  root.resolvePath = (_origin, target) => resolve(target.startsWith('google/logging/') ? apiProtos : gaxProtos, target);
  root.loadSync(PAYLOAD_PROTO_FILES, { keepCase: false });
  gax.protobuf.parse(AUDIT_LOG_PROTO, root, { keepCase: false });
  root.resolveAll();
  schema = { root, logEntry: root.lookupType('google.logging.v2.LogEntry') };
  return schema;
}
