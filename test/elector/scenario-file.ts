/**
 * The data-driven scenario format, after etcd-io/raft's `testdata/*.txt`
 * (cockroachdb/datadriven): a file is a list of blocks, each a command line,
 * a `----` line, and the output the command must produce, ended by a blank
 * line. `#` lines before a command are comments and are kept on rewrite.
 *
 *     # n3 hears the primary, so it refuses n2.
 *     run 300ms
 *     ----
 *     t=1325 n3 vote refused to n2 for epoch 2  reason=primary-alive …
 *
 * Output never contains a blank line (the runner prints `ok` for nothing).
 */

export interface Block {
  /** Comment lines (with their `#`) and blank lines that precede the command. */
  preamble: string[];
  command: string;
  /** 1-based line of the command in the file, for error messages. */
  line: number;
  expected: string;
}

export class ScenarioFileError extends Error {}

export function parseScenarioFile(text: string, file: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let preamble: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() === '' || l.startsWith('#')) {
      preamble.push(l);
      continue;
    }
    const command = l.trim();
    const line = i + 1;
    if (lines[i + 1] !== '----') throw new ScenarioFileError(`${file}:${line}: expected '----' after the command '${command}'`);
    i += 2;
    const out: string[] = [];
    for (; i < lines.length && lines[i] !== ''; i++) out.push(lines[i]!);
    blocks.push({ preamble, command, line, expected: out.join('\n') });
    preamble = [];
  }
  return blocks;
}

/** The file with every block's output replaced by `actual` (same order): what REWRITE=1 writes. */
export function formatScenarioFile(blocks: readonly Block[], actual: readonly string[]): string {
  const parts: string[] = [];
  blocks.forEach((b, i) => {
    const pre = [...b.preamble];
    while (pre.length > 0 && pre[0]!.trim() === '' && parts.length === 0) pre.shift();
    parts.push(...pre.map((l) => (l.trim() === '' ? '' : l)), b.command, '----', actual[i]!, '');
  });
  // One blank line between blocks: a preamble's own blank lines separate them already.
  return parts.join('\n').replace(/\n{3,}/g, '\n\n');
}
