/**
 * Why the primary will not make a membership change now (Elector.proposeChange).
 *
 * `transient`: the refusal ends by itself, usually within a few heartbeats —
 * the previous change or the new primary's restamp is not committed yet, a
 * hand-off is under way, or the data voters of the new configuration are a
 * little behind (rule config-data). The sidecar retries those until the
 * caller's timeout instead of failing a `resp-elect member` command on a lag
 * a user cannot see. Anything else (the change itself is wrong, the primary
 * would remove itself, the configuration cannot be saved) is reported at once.
 */
export class ChangeRefused extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'ChangeRefused';
  }
}
