export {
  startCloudRunStandIn,
  permissionDeniedMessage,
  type CloudRunStandIn,
  type CallRecord,
  type FaultSpec,
  type BeforeHook,
  type ClientOptions,
  type MethodName,
  type StartOptions,
} from './server.js';
export { StandInError, type Binding, type Policy } from './state.js';
export { PROTO_DIRS } from './protos.js';
