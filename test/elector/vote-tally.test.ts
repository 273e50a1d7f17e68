/** VoteTally (src/elector/vote-tally.ts): when a round is won, lost or still open, as a table. */
import { describe, expect, it } from 'vitest';
import { VoteTally, type TallyResult } from '../../src/elector/vote-tally.js';
import { quorumSize } from '../../src/elector/membership.js';

type Answer = ['yes' | 'no', string];

const cases: { voters: number; answers: Answer[]; want: TallyResult; why: string }[] = [
  { voters: 1, answers: [], want: 'won', why: 'a one-member cluster: the own vote is a quorum' },
  { voters: 3, answers: [], want: 'pending', why: 'the own vote alone is not a quorum of 3' },
  { voters: 3, answers: [['yes', 'b']], want: 'won', why: '2 of 3' },
  { voters: 3, answers: [['no', 'b']], want: 'pending', why: 'one no: c can still make 2' },
  { voters: 3, answers: [['no', 'b'], ['no', 'c']], want: 'lost', why: 'two no: at most 1 yes is left' },
  { voters: 3, answers: [['yes', 'b'], ['yes', 'b']], want: 'won', why: 'a repeated yes counts once, and 2 of 3 still wins' },
  { voters: 5, answers: [['yes', 'b'], ['yes', 'b']], want: 'pending', why: 'a repeated yes counts once: 2 of 5' },
  { voters: 5, answers: [['no', 'b'], ['no', 'c']], want: 'pending', why: '2 no of 5: 3 yes still possible' },
  { voters: 5, answers: [['no', 'b'], ['no', 'c'], ['no', 'd']], want: 'lost', why: '3 no of 5' },
  { voters: 5, answers: [['no', 'b'], ['no', 'b'], ['no', 'b']], want: 'pending', why: 'a repeated no counts once' },
  { voters: 4, answers: [['yes', 'b']], want: 'pending', why: 'quorum of 4 is 3' },
  { voters: 4, answers: [['no', 'b'], ['no', 'c']], want: 'lost', why: '2 no of 4: at most 2 yes, below 3' },
];

describe('VoteTally', () => {
  for (const c of cases) {
    it(`${c.voters} voters, ${c.answers.map(([a, v]) => `${v}:${a}`).join(' ') || 'no answers'} -> ${c.want} (${c.why})`, () => {
      const t = new VoteTally(7, quorumSize(c.voters), c.voters, 'a');
      let last: TallyResult = t.result();
      for (const [a, v] of c.answers) last = a === 'yes' ? t.grant(v) : t.refuse(v);
      expect(last).toBe(c.want);
      expect(t.result()).toBe(c.want);
    });
  }

  it('lists who granted (the candidate included) and who refused, sorted', () => {
    const t = new VoteTally(3, 3, 5, 'n3');
    t.grant('n5');
    t.grant('n1');
    t.refuse('n4');
    t.refuse('n2');
    expect(t.granted()).toEqual(['n1', 'n3', 'n5']);
    expect(t.refused()).toEqual(['n2', 'n4']);
    expect(t.hasGranted('n3')).toBe(true);
    expect(t.hasGranted('n4')).toBe(false);
    expect(t.epoch).toBe(3);
  });
});
