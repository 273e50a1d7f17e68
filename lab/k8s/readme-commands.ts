/**
 * The commands README "Running on Kubernetes" tells operators to type, read
 * from the README itself, so the emulation creates the Secret and runs the
 * `kubectl exec` line exactly as written there.
 */
import { readFileSync } from 'node:fs';

export interface ReadmeCommands {
  /** All command lines of the section's first sh block. */
  lines: string[];
  secret: { name: string; key: string };
  exec: { pod: string; container: string; argv: string[] };
}

export function readmeKubernetesCommands(readmePath: string): ReadmeCommands {
  const readme = readFileSync(readmePath, 'utf8');
  const section = readme.split('\n## Running on Kubernetes\n')[1]?.split('\n## ')[0];
  if (section === undefined) throw new Error(`${readmePath}: no "## Running on Kubernetes" section`);
  const block = section.split('```sh\n')[1]?.split('```')[0];
  if (block === undefined) throw new Error(`${readmePath}: "Running on Kubernetes" has no sh block`);
  const lines = block.split('\n').map((l) => l.trim()).filter(Boolean);
  const secretLine = lines.map((l) => /^kubectl create secret generic (\S+) --from-literal=([^=\s]+)=/.exec(l)).find(Boolean);
  if (!secretLine) throw new Error('README "Running on Kubernetes": no `kubectl create secret generic NAME --from-literal=KEY=...` line');
  const execLine = lines.map((l) => /^kubectl exec (\S+) -c (\S+) -- (.+)$/.exec(l)).find(Boolean);
  if (!execLine) throw new Error('README "Running on Kubernetes": no `kubectl exec POD -c CONTAINER -- COMMAND` line');
  return {
    lines,
    secret: { name: secretLine[1]!, key: secretLine[2]! },
    exec: { pod: execLine[1]!, container: execLine[2]!, argv: execLine[3]!.split(/\s+/) },
  };
}
