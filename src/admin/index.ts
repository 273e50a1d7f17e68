/**
 * The Sentinel-compatible client API served on the sidecar port. The sidecar
 * passes `createClientHandler(view)` to the peer transport as
 * `onClientConnection`.
 */
export { createClientHandler, type ClientHandler, type ClientHandlerOptions, type ClientHandlerStats } from './client-handler.js';
export { TurnBudget } from './turn-budget.js';
export { REDIS_VERSION } from './info.js';
export { collectElectionInfo, formatElectionInfo, parseElectionInfo, type ElectionInfo, type ElectionMember } from './election-info.js';
export { describeTopology, type Topology } from './topology.js';
export { RespClient, ServerReplyError, type RespClientOptions } from './resp-client.js';
