export {
  startResourceManagerStandIn,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  DEFAULT_PARENT,
  PROTO_DIRS,
  type ResourceManagerStandIn,
  type ProjectSeed,
  type FaultSpec,
} from './server.js';
