import { setTimeout as sleep } from 'node:timers/promises';
import { compareConfigIds, describeConfig, memberOf, type ClusterConfig } from '../elector/cluster-config.js';
import { FileConfigStore } from '../elector/file-config-store.js';
import { formatAddress, parseMembersText, type ConfigMessage, type HostPort } from '../protocol/index.js';
import { fetchConfig } from '../transport/index.js';
import type { SidecarConfig } from './config.js';
import type { Logger } from './logger.js';

function toConfig(msg: ConfigMessage): ClusterConfig | undefined {
  const members = parseMembersText(msg.members);
  return typeof members === 'string' ? undefined : { version: msg.version, epoch: msg.configEpoch, members };
}

/** The newest configuration any of `addrs` gives this node over the join exchange (protocol.md §4.10), with what each said. */
async function fetchNewest(config: SidecarConfig, addrs: readonly HostPort[], timeoutMs: number): Promise<{ newest?: ClusterConfig; errors: string[] }> {
  const errors: string[] = [];
  let newest: ClusterConfig | undefined;
  await Promise.all(
    addrs.map(async (a) => {
      try {
        const c = toConfig(await fetchConfig(a, { nodeId: config.id, secret: config.secret, tls: config.tls, timeoutMs }));
        if (c && (!newest || compareConfigIds(c, newest) > 0)) newest = c;
      } catch (err) {
        errors.push(`${formatAddress(a)}: ${(err as Error).message}`);
      }
    }),
  );
  return { newest, errors };
}

/**
 * `--join`: before the first start, fetch the configuration from the given
 * sidecars until one names this node (the operator ran `resp-elect member
 * add` first, or does so now), then save it: the node starts from it, as a
 * learner. A data directory that already holds a configuration starts from
 * that one and fetches nothing. Resolves once saved; retries until then,
 * logging why (at most every 10 s).
 */
export async function joinCluster(config: SidecarConfig, log: Logger, stop: () => boolean = () => false): Promise<void> {
  const store = new FileConfigStore(config.dataDir);
  if (store.load()) {
    log.info(`--join ignored: ${store.file} already holds this node's configuration`);
    return;
  }
  let lastLog = -Infinity;
  for (;;) {
    if (stop()) throw new Error('stopped while joining');
    const { newest, errors } = await fetchNewest(config, config.join ?? [], 2000);
    if (newest && memberOf(newest, config.id)) {
      store.save(newest);
      log.info(`joined: configuration fetched and saved`, { config: describeConfig(newest), file: store.file });
      return;
    }
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      const why = newest
        ? `configuration ${newest.version} does not name ${config.id} yet (${describeConfig(newest)}); run on any member: resp-elect member add --sidecar HOST:PORT --member '${config.id}=${formatAddress(config.listen)}${config.redis ? `,redis=${formatAddress(config.announce ?? config.redis.addr)}` : ',witness'}'`
        : `no configuration from ${errors.join('; ')}`;
      log.warn(`waiting to join: ${why}`);
    }
    await sleep(1000);
  }
}

/**
 * At start-up with a stored configuration: ask the members it names for a
 * newer one over the join exchange. A member answers only a node it does not
 * count as a member, so this finds a removal that happened while this node
 * was down (or a configuration that names it again). Best effort, bounded.
 */
export async function newerConfigFromMembers(config: SidecarConfig, held: ClusterConfig): Promise<ClusterConfig | undefined> {
  const addrs = config.members.filter((m) => m.id !== config.id).map((m) => m.sidecar);
  if (addrs.length === 0) return undefined;
  const { newest } = await fetchNewest(config, addrs, 1000);
  return newest && compareConfigIds(newest, held) > 0 ? newest : undefined;
}
