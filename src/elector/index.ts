export { Elector, type ElectorOptions, type ElectorSnapshot, type Outbound } from './elector.js';
export { resolveConfig, validateConfig, ConfigError, type ElectorConfig } from './config.js';
export { MemoryVoteStore, VoteStoreError, assertVoteRecord, type VoteRecord, type VoteStore } from './vote-store.js';
export { FileVoteStore } from './file-vote-store.js';
export { FileConfigStore, type FileConfigStoreOptions, type ConfigSaveFailure } from './file-config-store.js';
export { isElectable, quorumSize, compareStanding, resolveMembers, type Member, type MemberSpec, type Standing } from './membership.js';
export { RULES, RULE_IDS, RULE_OF_REFUSAL, SAFETY_RULES, isSafetyRule, type RuleId, type RuleInfo, type SafetyRule } from './safety-rules.js';
export { InvariantError } from './invariants.js';
export type { ElectorEvent, ElectorEventListener } from './events.js';
