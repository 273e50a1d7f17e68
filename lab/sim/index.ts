/** The deterministic cluster simulator (issue 4). See docs/simulation.md. */
export { Rng } from './rng.js';
export { EventHeap } from './heap.js';
export { Network, symmetricCut, oneWayCut, isolateCut, ringCut, type Link } from './network.js';
export { RedisModel, commonPrefix } from './redis.js';
export { DataHistory, DATA_EPOCH_FEEDS, type DataEpochFeed } from './data-epoch.js';
export { Writes } from './writes.js';
export { SimNode } from './node.js';
export { FAULT_KINDS, type Fault, type FaultKind, type Target } from './faults.js';
export { SCENARIOS, SINGLE_SCENARIOS, generateFaults, isScenario, type ScenarioName } from './scenarios.js';
export { Checker, INVARIANTS, type Invariant, type Violation } from './checker.js';
export { Timeline } from './timeline.js';
export { defaultParams, livenessBoundMs, driftRho, type SimParams } from './params.js';
export { World, runSeed, makeMembers, type RunSpec, type RunResult, type RunStats, type Failover } from './world.js';
export { sweep, sweepSpec, replayCommand, summaryTable, type SweepOptions, type SweepSummary } from './runner.js';
export { shrink, type Shrunk } from './shrink.js';
export { runReport, reportTable, REPORT_SIZES, REPORT_SCENARIOS } from './report.js';
