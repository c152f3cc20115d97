export {
  startResourceManagerStandIn,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  DEFAULT_PARENT,
  PROTO_DIRS,
  type ResourceManagerStandIn,
  type ProjectSeed,
  type FolderSeed,
  type FaultSpec,
} from './server.js';
