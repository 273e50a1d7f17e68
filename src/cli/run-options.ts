/**
 * Every option of `resp-elect run`, defined once. The yargs parser, the
 * config-file and environment loaders, the README's configuration reference
 * and the compose-file consistency test all read this table, so an option
 * cannot be documented one way and parsed another.
 */

export type OptionType = 'string' | 'number' | 'boolean' | 'array';

export interface OptionSpec {
  /** Flag name, kebab-case: `--down-after-ms`. Config-file key: camelCase. Environment: RESP_ELECT_DOWN_AFTER_MS. */
  name: string;
  type: OptionType;
  describe: string;
  /** Shown in help and used when no source sets the option. */
  default?: string | number | boolean;
  group: 'Node' | 'Cluster' | 'Redis' | 'Security' | 'Timings' | 'Clients' | 'Logging';
  /** Placeholder in docs, e.g. `host:port`. */
  placeholder?: string;
}

export const RUN_OPTIONS: readonly OptionSpec[] = [
  { name: 'config', type: 'string', group: 'Node', placeholder: 'file.json', describe: 'JSON file with any of these options (camelCase keys); flags override it, it overrides RESP_ELECT_* variables' },
  { name: 'id', type: 'string', group: 'Node', placeholder: 'id', describe: "This node's id; must be one of the --member ids" },
  { name: 'listen', type: 'string', group: 'Node', placeholder: 'host:port', describe: 'Address the sidecar binds for peers and for Sentinel-compatible clients' },
  { name: 'data-dir', type: 'string', group: 'Node', placeholder: 'dir', default: './resp-elect-data', describe: 'Directory for the durable vote file (vote.json) and the member configuration (config.json)' },
  { name: 'announce', type: 'string', group: 'Node', placeholder: 'host:port', describe: "This node's redis address as peers and clients must use it (NAT, Docker); default: the redis= address of this node's --member" },
  { name: 'member', type: 'array', group: 'Cluster', placeholder: 'id=host:port,redis=host:port[,witness][,priority=N]', describe: 'A cluster member: id and sidecar address, its redis address (not for witnesses), and flags. Repeat for every member, this node included; every node gets the same list' },
  { name: 'join', type: 'array', group: 'Cluster', placeholder: 'host:port[,host:port…]', describe: 'Start a member that is not in any --member list: fetch the configuration from these sidecars and take part once it names this node (after resp-elect member add)' },
  { name: 'statefulset-members', type: 'string', group: 'Cluster', placeholder: 'NAME:COUNT', describe: 'Instead of --member: the pods NAME-0..NAME-(COUNT-1) of a Kubernetes StatefulSet, member NAME-i at NAME-i.<--statefulset-domain> with the --listen port and redis on the --redis port (default 6379)' },
  { name: 'statefulset-domain', type: 'string', group: 'Cluster', placeholder: 'domain', describe: "With --statefulset-members: the headless Service's DNS name, e.g. redis.default.svc.cluster.local" },
  { name: 'bootstrap-primary', type: 'string', group: 'Cluster', placeholder: 'id', describe: 'On a fresh cluster (no votes yet), this member stands at once instead of waiting down-after-ms' },
  { name: 'master-name', type: 'string', group: 'Clients', default: 'mymaster', describe: 'Name Sentinel-aware clients ask for (SENTINEL get-master-addr-by-name)' },
  { name: 'redis', type: 'string', group: 'Redis', placeholder: 'host:port', describe: "Local redis-server to manage; default: the redis= address of this node's --member" },
  { name: 'redis-user', type: 'string', group: 'Redis', placeholder: 'user', describe: 'ACL user for the local redis' },
  { name: 'redis-password-file', type: 'string', group: 'Redis', placeholder: 'file', describe: 'File holding the password for the local redis (a file, so it never shows in ps)' },
  { name: 'poll-interval-ms', type: 'number', group: 'Redis', default: 50, describe: 'How often INFO is polled on the local redis while anything changes (at most 100); once idle, every max(this, down-after, at most 1000) ms, and at once when its connection closes' },
  { name: 'kill-clients', type: 'string', group: 'Redis', default: 'normal,pubsub', describe: 'Client types disconnected after a role change so they re-resolve the primary: comma list of normal, pubsub, or none' },
  { name: 'min-replicas', type: 'number', group: 'Redis', default: 0, describe: 'min-replicas-to-write set on the primary so redis fences itself even when the sidecar is frozen (0: off)' },
  { name: 'secret-file', type: 'string', group: 'Security', placeholder: 'file', describe: 'Shared peer secret (at least 16 bytes); the same file on every node. Never sent over the wire' },
  { name: 'tls-cert', type: 'string', group: 'Security', placeholder: 'file', describe: 'PEM certificate for peer TLS (with --tls-key and --tls-ca)' },
  { name: 'tls-key', type: 'string', group: 'Security', placeholder: 'file', describe: 'PEM private key for peer TLS' },
  { name: 'tls-ca', type: 'string', group: 'Security', placeholder: 'file', describe: 'PEM CA that signs every peer certificate' },
  { name: 'client-password-file', type: 'string', group: 'Clients', placeholder: 'file', describe: 'Password Sentinel clients must AUTH with on the sidecar port (separate from the peer secret)' },
  { name: 'http', type: 'string', group: 'Clients', placeholder: 'host:port', describe: 'Serve /metrics, /health, /primary, /replica, /ready and /live on this address' },
  { name: 'on-role-change', type: 'string', group: 'Clients', placeholder: 'command', describe: 'Command run after every role change, with RESP_ELECT_ROLE, RESP_ELECT_EPOCH and RESP_ELECT_PRIMARY_ADDR set' },
  { name: 'hook-timeout-ms', type: 'number', group: 'Clients', default: 5000, describe: 'The --on-role-change command is killed after this long' },
  { name: 'max-clients', type: 'number', group: 'Clients', describe: 'Most client connections at once on the sidecar port; more get -ERR max number of clients reached (default: min(10000, nofile limit − reserve), see Security and limits)' },
  { name: 'max-pending-connections', type: 'number', group: 'Clients', default: 128, describe: 'Most accepted connections not yet identified as peer or client; the oldest is closed to make room (at most a quarter of the descriptors left)' },
  { name: 'client-auth-timeout-ms', type: 'number', group: 'Clients', default: 10000, describe: 'With --client-password-file: a client not authenticated this long after connecting is closed (0: never)' },
  { name: 'client-idle-timeout-ms', type: 'number', group: 'Clients', default: 0, describe: "A client that sends and receives nothing this long is closed, unless it subscribes; like redis' timeout (0: never)" },
  { name: 'auth-failure-delay-ms', type: 'number', group: 'Clients', default: 200, describe: 'A client runs nothing for this long after each failed AUTH (or command refused with NOAUTH)' },
  { name: 'max-auth-failures', type: 'number', group: 'Clients', default: 5, describe: 'A client is disconnected at this many failed authentications (0: never)' },
  { name: 'http-max-connections', type: 'number', group: 'Clients', default: 64, describe: 'Most connections at once on --http; more are closed at accept' },
  { name: 'metrics-cache-ms', type: 'number', group: 'Clients', default: 1000, describe: '/metrics is rendered at most this often, every scrape in between gets the same text (0: every scrape)' },
  { name: 'hb-interval-ms', type: 'number', group: 'Timings', describe: 'Heartbeat interval (default: down-after-ms / 5)' },
  { name: 'down-after-ms', type: 'number', group: 'Timings', default: 1000, describe: 'A peer not heard this long is down; the detection timeout' },
  { name: 'lease-ms', type: 'number', group: 'Timings', describe: "Primary lease per acknowledged round (default: down-after-ms × 0.6); lease + hb + drift must stay below down-after-ms" },
  { name: 'max-drift-ms', type: 'number', group: 'Timings', describe: 'Clock drift and fencing margin (default: down-after-ms / 10)' },
  { name: 'election-timeout-ms', type: 'number', group: 'Timings', describe: 'A pre-vote or election round gives up after this (default: down-after-ms / 2)' },
  { name: 'backoff-ms', type: 'number', group: 'Timings', describe: 'Base of the randomized back-off after a failed round (default: down-after-ms / 4)' },
  { name: 'handoff-timeout-ms', type: 'number', group: 'Timings', describe: 'A planned switchover is aborted after this (default: down-after-ms × 2)' },
  { name: 'adopt-wait-ms', type: 'number', group: 'Timings', describe: "Fresh cluster over an existing replica set: how long replicas wait for their master's sidecar before they detach and elect among themselves (default: down-after-ms × 30)" },
  { name: 'log-level', type: 'string', group: 'Logging', default: 'info', describe: 'error, warn, info or debug' },
  { name: 'log-format', type: 'string', group: 'Logging', default: 'human', describe: 'human (one readable line per event) or json (one object per line)' },
];

/** `down-after-ms` → `downAfterMs`. */
export function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** `down-after-ms` → `RESP_ELECT_DOWN_AFTER_MS`. */
export function envName(name: string): string {
  return `RESP_ELECT_${name.replace(/-/g, '_').toUpperCase()}`;
}

/** The option table as Markdown, for the README's configuration reference. */
export function optionsMarkdown(): string {
  const rows = RUN_OPTIONS.map((o) => {
    const flag = `\`--${o.name}${o.placeholder ? ` ${o.placeholder}` : ''}\``;
    const def = o.default === undefined ? '' : `\`${String(o.default)}\``;
    return `| ${flag} | \`${envName(o.name)}\` | ${def} | ${o.describe.replace(/\|/g, '\\|')} |`;
  });
  return ['| flag | environment | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
