import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export type AppName = 'api' | 'ingest' | 'journy-events';

export function appEntry(app: AppName): string {
  const entry = join(ROOT, 'dist', 'apps', app, 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: end-to-end tests run the built apps; run \`npm run build\` first`);
  return entry;
}

export interface RunningApp {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts a built app as its own process with exactly the given environment (plus PATH). */
export function startAppProcess(app: AppName, env: Record<string, string>): RunningApp {
  const child = spawn(process.execPath, [appEntry(app)], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, stdout: () => out, stderr: () => err, exited };
}

/** Waits for the app to answer; fails at once if it exits, and says what it last logged either way. */
export async function waitForHttp(url: string, timeoutMs = 60_000, app?: RunningApp): Promise<Response> {
  const started = Date.now();
  let last: unknown;
  let exited = false;
  void app?.exited.then(() => (exited = true));
  while (Date.now() - started < timeoutMs && !exited) {
    try {
      return await fetch(url);
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const tail = app ? `\nlast output:\n${(app.stdout() + app.stderr()).split('\n').slice(-15).join('\n')}` : '';
  throw new Error(`${url} did not answer ${exited ? 'before the app exited' : `within ${timeoutMs} ms`}: ${String(last)}${tail}`);
}

/** SIGTERM, then SIGKILL if the app has not exited in time: a stuck child must never outlive the test run. */
export async function stopApp(app: RunningApp, graceMs = 20_000): Promise<number | null> {
  app.process.kill('SIGTERM');
  const timer = setTimeout(() => app.process.kill('SIGKILL'), graceMs);
  try {
    return await app.exited;
  } finally {
    clearTimeout(timer);
  }
}
