// Real musicpub processes for the fault-injection suite: the built API
// (`node dist/main.js`), delivery workers (`node dist/worker.js`) and the CLI
// (`node dist/cli/main.js`), each with an explicit environment (nothing from a
// developer's shell or .env) and production settings, so a fault hits exactly
// what a deployment runs. Every process started here is registered and killed
// by `stopAllProcesses()` (afterAll), whatever the test did.
import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');

// One set of secrets per test file: the instances of a file are one
// deployment, so they agree on the pepper, the encryption key and the JWT key.
const DEPLOYMENT_SECRETS = {
  API_KEY_PEPPER: randomBytes(32).toString('base64'),
  ENCRYPTION_KEY: `f1:${randomBytes(32).toString('base64')}`,
  AUDIT_HMAC_KEY: randomBytes(32).toString('base64'),
  JWT_PRIVATE_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
};

/** Production settings for a process on `databaseUrl`, plus `overrides`. */
export function deploymentEnv(databaseUrl: string, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '5',
    THROTTLE_DEFAULT: '100000/60',
    THROTTLE_UPLOADS: '100000/60',
    THROTTLE_AUTH: '100000/60',
    WEBHOOK_WORKERS: '0',
    ...DEPLOYMENT_SECRETS,
    ...overrides,
  };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Output is kept to the last 64 KiB per stream: enough to explain a failure. */
const OUTPUT_TAIL = 64 * 1024;

export class ManagedProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;

  constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    const keep = (current: string, chunk: Buffer) => (current + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
    child.stdout?.on('data', (chunk: Buffer) => (this.stdout = keep(this.stdout, chunk)));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr = keep(this.stderr, chunk)));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Resolves with the exit, or rejects if the process is still running after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.label} still running ${timeoutMs} ms later\n${this.describe()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves with the first match of `pattern` on stdout. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.stdout);
        if (!match) return false;
        cleanup();
        resolve(match);
        return true;
      };
      const onData = () => void check();
      const cleanup = () => {
        clearTimeout(timer);
        this.child.stdout?.off('data', onData);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.label}: no ${pattern} within ${timeoutMs} ms\n${this.describe()}`));
      }, timeoutMs);
      this.child.stdout?.on('data', onData);
      void this.exited.then((exit) => {
        if (check()) return;
        cleanup();
        reject(new Error(`${this.label} exited (${exit.code ?? exit.signal}) before printing ${pattern}\n${this.describe()}`));
      });
      check();
    });
  }

  describe(): string {
    return `--- ${this.label} (pid ${this.child.pid}) stdout:\n${this.stdout.slice(-4000)}\n--- stderr:\n${this.stderr.slice(-4000)}`;
  }
}

const started = new Set<ManagedProcess>();
// Should Jest itself go down mid-scenario, take this file's processes with it.
process.once('exit', () => {
  for (const p of started) p.kill('SIGKILL');
});

function startNode(label: string, args: string[], env: NodeJS.ProcessEnv): ManagedProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const managed = new ManagedProcess(label, child);
  started.add(managed);
  void managed.exited.then(() => started.delete(managed));
  return managed;
}

export interface ApiProcess extends ManagedProcess {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
}

/** Starts `node dist/main.js` and waits for its "listening" line. */
export async function startApi(env: NodeJS.ProcessEnv, label = 'api'): Promise<ApiProcess> {
  const api = startNode(label, ['dist/main.js'], env) as ApiProcess;
  const [, port] = await api.waitForOutput(/musicpub listening on https?:\/\/localhost:(\d+)/, 30_000);
  api.baseUrl = `http://127.0.0.1:${port}`;
  return api;
}

/**
 * Starts `node dist/worker.js`. A worker prints nothing when it is ready, so
 * this waits for it to log its delivery loops (LOG_LEVEL must let "log" through
 * or the caller must not rely on readiness).
 */
export async function startWorker(env: NodeJS.ProcessEnv, label = 'worker'): Promise<ManagedProcess> {
  const worker = startNode(label, ['dist/worker.js'], { ...env, LOG_LEVEL: 'info' });
  await worker.waitForOutput(/webhook delivery loop\(s\) started/, 30_000);
  return worker;
}

/** Runs the CLI to completion and returns its stdout; throws on a non-zero exit. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<string> {
  const cli = startNode(`cli ${args[0]}`, ['dist/cli/main.js', ...args], env);
  const exit = await cli.waitForExit(timeoutMs).catch((error: unknown) => {
    cli.kill('SIGKILL');
    throw error;
  });
  if (exit.code !== 0) throw new Error(`cli ${args.join(' ')} failed (${exit.code ?? exit.signal})\n${cli.describe()}`);
  return cli.stdout;
}

export interface Organization {
  orgId: string;
  keyId: string;
  key: string;
}

/** `org:create --json`: a new organization and its first key (every scope). */
export async function createOrganization(env: NodeJS.ProcessEnv, name = `Fault org ${randomBytes(3).toString('hex')}`): Promise<Organization> {
  const stdout = await runCli(['org:create', '--name', name, '--json'], env);
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Organization;
}

/** SIGKILLs every process this file started that is still running (afterAll). */
export async function stopAllProcesses(): Promise<void> {
  const running = [...started].filter((p) => p.running);
  for (const p of running) p.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
}
