// /health while the vote file cannot be saved: the node cannot vote or stand, so it is not healthy, witness or not.
import { describe, expect, it } from 'vitest';
import { checkHealth, checkReplica } from '../../src/metrics/health.js';
import { FakeView } from '../admin/fake-view.js';

const failure = 'cannot save vote file /data/vote.json: EROFS: read-only file system';

describe('checkHealth and the vote file', () => {
  it.each([
    ['a data node', 'n2'],
    ['a witness', 'n3'],
  ])('on %s: unhealthy while saves fail, with the reason; healthy again once they work', (_what, self) => {
    const view = new FakeView({ self });
    expect(checkHealth(view)).toMatchObject({ ok: true, status: 200 });
    view.voteFileError = failure;
    expect(checkHealth(view)).toMatchObject({ ok: false, status: 503, body: { status: 'fail', reason: failure, id: self } });
    view.voteFileError = undefined;
    expect(checkHealth(view)).toMatchObject({ ok: true, status: 200 });
  });

  it('reports the vote file before a redis problem, which other checks already show', () => {
    const view = new FakeView({ self: 'n2' });
    view.voteFileError = failure;
    view.redis = { reachable: false, healthy: false, unhealthyReason: 'unreachable', error: 'ECONNREFUSED' };
    expect(checkHealth(view).body['reason']).toBe(failure);
  });

  it('leaves /replica alone: a replica that cannot vote still serves reads', () => {
    const view = new FakeView({ self: 'n2' });
    view.voteFileError = failure;
    expect(checkReplica(view)).toMatchObject({ ok: true, status: 200 });
  });
});
