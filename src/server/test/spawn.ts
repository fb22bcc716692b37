import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface Spawned {
  child: ChildProcess;
  /** Everything written so far to stdout and stderr. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/** Runs a TypeScript entry point of the project in its own Node.js process, as `npm start` would. */
export function spawnTs(entry: string, args: string[], env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], {
    cwd: REPO_ROOT,
    // A clean environment: nothing of the developer's shell (DATABASE_URL, tokens) leaks in.
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`Timed out waiting for ${String(pattern)}; output so far:\n${out}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => setTimeout(check, 10));
        check();
      });
    },
  };
}

/** Starts `banditore serve` (or another entry) on a free port and waits until it listens. */
export async function startServerProcess(
  env: Record<string, string>,
  entry = "src/server/cli.ts",
): Promise<Spawned & { baseUrl: string }> {
  const proc = spawnTs(entry, entry.endsWith("cli.ts") ? ["serve"] : [], {
    PORT: "0",
    HOST: "127.0.0.1",
    ...env,
  });
  const [, port] = await proc.waitFor(/Server listening at http:\/\/127\.0\.0\.1:(\d+)/);
  await proc.waitFor(/"event":"server\.started"/);
  return { ...proc, baseUrl: `http://127.0.0.1:${port}` };
}
