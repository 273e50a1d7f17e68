import { it } from 'vitest';
import { runSeed } from '../../lab/sim/world.js';
it('scan', () => {
  const found: number[] = [];
  for (let seed = 109000; seed < 109400 && found.length < 3; seed++) {
    const r = runSeed({ seed, nodes: 5, scenario: 'mixed', disabledRules: ['data-epoch-order'], trace: true });
    if (r.violation === null && /not following n\d: local data holds epoch \d+, newer than its epoch \d+/.test(r.timeline!.text())) found.push(seed);
  }
  console.log('FOUND', found);
}, 600000);
