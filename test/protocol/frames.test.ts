/** Byte-exact frames: the encoder's output, the decoder's input and protocol.md agree. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeMessage, MessageDecoder, VERBS } from '../../src/index.js';
import { EXAMPLES, escapeFrame } from './examples.js';

const protocolMd = readFileSync(new URL('../../protocol.md', import.meta.url), 'utf8');

describe.each(EXAMPLES)('$message.type example', ({ message, frame }) => {
  it('encodes to the exact frame', () => {
    expect(escapeFrame(encodeMessage(message).toString('latin1'))).toBe(escapeFrame(frame));
  });

  it('decodes from the exact frame', () => {
    expect(new MessageDecoder().push(Buffer.from(frame, 'latin1'))).toEqual([message]);
  });

  it('appears verbatim in protocol.md', () => {
    expect(protocolMd).toContain(escapeFrame(frame));
  });
});

describe('examples', () => {
  it('cover every verb', () => {
    const covered = new Set(EXAMPLES.map((e) => e.message.type));
    expect([...covered].sort()).toEqual(Object.keys(VERBS).sort());
  });

  it('the brief HB frame is byte-exact', () => {
    const bytes = encodeMessage({ type: 'HB', epoch: 7, nodeId: 'n1', role: 'primary', replOffset: 1234 });
    expect(bytes.equals(Buffer.from('*5\r\n$2\r\nHB\r\n$1\r\n7\r\n$2\r\nn1\r\n$7\r\nprimary\r\n$4\r\n1234\r\n'))).toBe(true);
  });
});

describe('VERBS', () => {
  it('marks exactly the four kevy verbs as base verbs', () => {
    const base = Object.values(VERBS).filter((v) => v.base).map((v) => v.type);
    expect(base).toEqual(['HB', 'OFFER', 'ACCEPT', 'ANNOUNCE']);
  });
});

describe('protocol.md', () => {
  it('states the size of its first example correctly', () => {
    const hb = EXAMPLES[0]!;
    expect(protocolMd).toContain(`\`HB 7 n1 primary 1234\`, is these ${Buffer.byteLength(hb.frame, 'latin1')} bytes`);
  });

  it('gives every field the type the codec checks (epoch fields: epoch, 1.2)', () => {
    for (const spec of Object.values(VERBS)) {
      for (const f of spec.fields) {
        const type = f.kind === 'id' ? 'node id' : f.kind; // the names of protocol.md 1.2
        const rows = [`| \`${f.wire}\` | ${type} |`, `| \`${spec.type}\` | \`${f.wire}\` | ${type} |`];
        expect(rows.some((r) => protocolMd.includes(r)), `${spec.type} ${f.wire}: no row typed ${type}`).toBe(true);
      }
    }
  });

  it('documents every verb with its fields in wire order', () => {
    for (const spec of Object.values(VERBS)) {
      const line = [spec.type, ...spec.fields.map((f) => `<${f.wire}>`)].join(' ');
      expect(protocolMd).toContain('`' + line + '`');
    }
  });
});
