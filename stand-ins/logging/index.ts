export { startLoggingStandIn, toWireEntry, PROTO_DIRS, type LoggingStandIn, type LoggingFault } from './server.js';
export { parseFilter, matches, parseInstant, FilterSyntaxError, type FilterNode, type Op } from './filter.js';
