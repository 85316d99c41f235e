/**
 * A real gateway process (`dist/main.js` from `npm run build`; from source through tsx when there is no build)
 * started on a config file, with its JSON log lines collected, for tests that need separate OS processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(import.meta.dirname, '..', '..');
const built = join(root, 'dist', 'main.js');

export interface ProcessLogLine {
  level: string;
  msg: string;
  url?: string;
  [field: string]: unknown;
}

export class GatewayProcess {
  readonly lines: ProcessLogLine[] = [];
  readonly child: ChildProcess;
  private waiters: { match: (line: ProcessLogLine) => boolean; resolve: (line: ProcessLogLine) => void }[] = [];

  /** `env` is added to this process's environment (PORT and SWITCHYARD_MASTER_KEY removed: the file decides). */
  constructor(configPath: string, env: Record<string, string> = {}) {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, SWITCHYARD_CONFIG: configPath };
    delete childEnv.PORT;
    delete childEnv.SWITCHYARD_MASTER_KEY;
    const entry = existsSync(built) ? [built] : ['--import', 'tsx', join(root, 'src', 'main.ts')];
    this.child = spawn(process.execPath, entry, { cwd: root, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    createInterface({ input: this.child.stderr! }).on('line', (text) => {
      let line: ProcessLogLine;
      try {
        line = JSON.parse(text) as ProcessLogLine;
      } catch {
        line = { level: 'raw', msg: text };
      }
      this.lines.push(line);
      this.waiters = this.waiters.filter((waiter) => (waiter.match(line) ? (waiter.resolve(line), false) : true));
    });
  }

  /** The first log line (from index `from` on) that matches, or a failure listing what was logged. */
  waitFor(match: (line: ProcessLogLine) => boolean, from = 0, timeoutMs = 10_000): Promise<ProcessLogLine> {
    const seen = this.lines.slice(from).find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.resolve !== done);
        reject(new Error(`no matching log line within ${timeoutMs} ms; got:\n${this.lines.map((line) => JSON.stringify(line)).join('\n')}`));
      }, timeoutMs);
      const done = (line: ProcessLogLine) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  /** The URL it listens on, once it logged it. */
  async listening(timeoutMs = 15_000): Promise<string> {
    const line = await this.waitFor((entry) => entry.msg === 'switchyard listening' || entry.level === 'error', 0, timeoutMs);
    if (line.url === undefined) throw new Error(`the gateway did not start: ${JSON.stringify(line)}`);
    return line.url;
  }

  /** SIGTERM (drain), then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
