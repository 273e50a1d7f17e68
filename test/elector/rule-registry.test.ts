/**
 * One rule registry (src/elector/safety-rules.ts): every rule id is used, as
 * is, by protocol.md's rule table (5.11), the code, the tests and the
 * simulator's broken-rule table, and every refusal reason belongs to one rule.
 * A rule renamed or added in one place only fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REFUSE_REASONS } from '../../src/protocol/messages.js';
import { RULE_IDS, RULE_OF_REFUSAL, RULES, RuleSet, SAFETY_RULES, isSafetyRule, type SafetyRule } from '../../src/elector/safety-rules.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const protocolMd = read('protocol.md');
const code = readdirSync(new URL('src/elector/', root))
  .filter((f) => f.endsWith('.ts') && f !== 'safety-rules.ts')
  .map((f) => read(`src/elector/${f}`))
  .join('\n');
const tests = readdirSync(new URL('test/elector/', root))
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => read(`test/elector/${f}`))
  .join('\n');
const brokenRules = read('test/sim/broken-rules.test.ts');

/** The row of protocol.md's rule table for `id`, split into cells. */
function tableRow(id: string): string[] | undefined {
  const line = protocolMd.split('\n').find((l) => l.startsWith(`| \`${id}\` |`));
  return line?.split(' | ');
}

describe('rule registry', () => {
  for (const id of RULE_IDS) {
    const rule = RULES[id];
    it(`${id}: one row in protocol.md 5.11, a tag in the code, a describe block, and its simulator entry`, () => {
      const row = tableRow(id);
      expect(row, `protocol.md has no rule-table row for ${id}`).toBeDefined();
      for (const r of rule.refusals) expect(row![3], `${id}'s refusal column`).toContain(`\`${r}\``);
      expect(row![4], `${id}'s switch column`).toBe(rule.switchable ? 'yes' : 'no');
      // A switchable rule is checked through rules.enforced('<id>'); the others carry a `rule <id>` comment.
      expect(code, `no check of ${id} in src/elector`).toContain(rule.switchable ? `enforced('${id}')` : `rule ${id}`);
      expect(tests, `no describe('${id}: …') in test/elector`).toContain(`describe('${id}: `);
      const sim = 'simulator' in rule ? rule.simulator : undefined;
      if (sim && 'invariant' in sim) {
        expect(brokenRules, `${id} missing from test/sim/broken-rules.test.ts`).toContain(`rule: '${id}', invariant: '${sim.invariant}'`);
        expect(row![6], `${id}'s simulator column`).toContain(`\`${sim.invariant}\``);
      } else {
        expect(brokenRules).not.toContain(`rule: '${id}'`);
      }
      expect(rule.switchable, `${id}: a switchable rule needs a simulator entry, a fixed one must not have one`).toBe(sim !== undefined);
    });
  }

  it('every refusal reason on the wire belongs to exactly one rule', () => {
    const owners = REFUSE_REASONS.map((r) => RULE_IDS.filter((id) => (RULES[id].refusals as readonly string[]).includes(r)));
    expect(owners.map((o) => o.length)).toEqual(REFUSE_REASONS.map(() => 1));
    for (const r of REFUSE_REASONS) expect(RULES[RULE_OF_REFUSAL[r]].refusals).toContain(r);
  });

  it('protocol.md has no rule table row for an id the registry lacks, and no numbered rules', () => {
    const start = protocolMd.indexOf('### 5.11 The rules');
    const rows = protocolMd.slice(start).split('\n').filter((l) => /^\| `[a-z-]+` \|/.test(l)).map((l) => /^\| `([a-z-]+)`/.exec(l)![1]);
    expect(rows).toEqual(RULE_IDS);
    expect(protocolMd).not.toMatch(/\brule \d/i);
  });

  it('disabledRules accepts the switchable ids only', () => {
    expect(SAFETY_RULES.every(isSafetyRule)).toBe(true);
    expect(isSafetyRule('electable-only')).toBe(false);
    expect(() => new RuleSet(['no-such-rule' as SafetyRule])).toThrow(/unknown safety rule "no-such-rule"/);
    const set = new RuleSet(['vote-stickiness']);
    expect(set.enforced('vote-stickiness')).toBe(false);
    expect(set.enforced('data-rule')).toBe(true);
  });
});
