import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';

/** Dummy credentials for moto (AWS's documentation example pair; never real). */
export const MOTO_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const MOTO_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const MOTO_REGION = 'us-east-1';

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

export interface Moto {
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  /** Milliseconds from spawn to the first HTTP answer. */
  startedInMs: number;
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface (closed again before returning). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not get a free loopback port'))));
    });
  });
}

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** One GET on the loopback endpoint: true when anything answers HTTP. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'GET', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Kills the child's whole process group (it was spawned detached, so the group is ours alone). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || exited(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Starts `moto_server` on a free loopback port and waits until it answers HTTP.
 * Throws (never skips) when moto_server is missing: the upstream integration tests need it.
 */
export async function startMoto(): Promise<Moto> {
  if (!onPath('moto_server')) {
    const hint = "moto_server is required for the upstream integration tests: pip install 'moto[server]'";
    throw new Error(process.env.CI ? `${hint} (CI must provide it)` : hint);
  }
  const port = await freeLoopbackPort();
  const started = Date.now();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4_000);
  });
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));

  const stop = async () => {
    if (exited(child)) return;
    killGroup(child, 'SIGTERM');
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_TIMEOUT_MS).unref());
    if ((await Promise.race([exitedPromise, timer])) === 'timeout') {
      killGroup(child, 'SIGKILL');
      await exitedPromise;
    }
  };

  const deadline = started + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (spawnError || exited(child)) {
      await stop();
      throw new Error(`moto_server failed to start${spawnError ? `: ${spawnError.message}` : ` (exit ${child.exitCode ?? child.signalCode})`}\n${stderr}`);
    }
    if (await answers(port)) {
      return { endpoint: `http://127.0.0.1:${port}`, startedInMs: Date.now() - started, stop };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`moto_server did not answer on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms\n${stderr}`);
}

/** Creates the IAM user in moto (what an operator would have created in AWS before mirroring it). */
export async function mirroredAwsUser(endpoint: string, userName: string): Promise<{ userName: string; arn: string }> {
  const iam = new IAMClient({
    endpoint,
    region: MOTO_REGION,
    credentials: { accessKeyId: MOTO_ACCESS_KEY_ID, secretAccessKey: MOTO_SECRET_ACCESS_KEY },
    maxAttempts: 1,
  });
  try {
    const out = await iam.send(new CreateUserCommand({ UserName: userName }));
    return { userName, arn: out.User?.Arn ?? '' };
  } finally {
    iam.destroy();
  }
}
