// The real redis-cli binary against the Sentinel-compatible port.
import { execFile } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, startAdmin } from './admin-harness.js';
import { FakeView } from './fake-view.js';

afterEach(closeAll);

function redisCli(port: number, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('redis-cli', ['-p', String(port), ...args], { timeout: 5000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('redis-cli', () => {
  it('PING, INFO election, SENTINEL get-master-addr-by-name and replicas, ROLE, an unknown command', async () => {
    const { port } = await startAdmin(new FakeView());
    expect((await redisCli(port, ['PING'])).stdout).toBe('PONG\n');
    const info = await redisCli(port, ['INFO', 'election']);
    expect(info.stdout).toContain('# Election');
    expect(info.stdout).toContain('role:primary');
    expect(info.stdout).toContain('member1:id=n2,self=0,role=replica');
    expect((await redisCli(port, ['SENTINEL', 'get-master-addr-by-name', 'mymaster'])).stdout).toBe('10.0.0.1\n6379\n');
    const replicas = (await redisCli(port, ['SENTINEL', 'replicas', 'mymaster'])).stdout.split('\n');
    expect(replicas.slice(0, 6)).toEqual(['name', '10.0.0.2:6379', 'ip', '10.0.0.2', 'port', '6379']);
    expect((await redisCli(port, ['ROLE'])).stdout).toBe('sentinel\nmymaster\n');
    const unknown = await redisCli(port, ['NOSUCH', 'arg']);
    expect(unknown.stdout).toBe("ERR unknown command 'NOSUCH', with args beginning with: 'arg' \n\n");
  });

  it('AUTH with -a / REDISCLI_AUTH when a client password is set', async () => {
    const { port } = await startAdmin(new FakeView({ clientPassword: 'pw' }));
    expect((await redisCli(port, ['PING'])).stdout).toContain('NOAUTH');
    expect((await redisCli(port, ['PING'], { REDISCLI_AUTH: 'pw' })).stdout).toBe('PONG\n');
    expect((await redisCli(port, ['SENTINEL', 'myid'], { REDISCLI_AUTH: 'pw' })).stdout).toBe('n1\n');
  });
  it('redis-cli -3 (RESP3): an instance entry prints as a map, a missing address as an empty line', async () => {
    const { port } = await startAdmin(new FakeView());
    const master = (await redisCli(port, ['-3', 'SENTINEL', 'master', 'mymaster'])).stdout;
    // Piped, redis-cli prints a map entry per line as "key value" (RESP2's flat array would be a line each).
    expect(master.split('\n').slice(0, 3)).toEqual(['name mymaster', 'ip 10.0.0.1', 'port 6379']);
    expect((await redisCli(port, ['-3', 'SENTINEL', 'get-master-addr-by-name', 'other'])).stdout).toBe('\n');
  });
});
