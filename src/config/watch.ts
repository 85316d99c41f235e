/**
 * Atomic reload: on file change or SIGHUP the file is parsed and validated in full; only a valid config is
 * applied, and an invalid one is reported while the running config stays.
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { SwitchyardConfig } from './schema.js';
import { parseConfigYaml } from './load.js';

export interface ConfigWatcher {
  /** Reloads now, whether or not the file changed (SIGHUP). */
  reload(): void;
  close(): void;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function watchConfig(
  path: string,
  apply: (config: SwitchyardConfig) => Promise<void> | void,
  report: (event: { ok: boolean; message: string }) => void,
  debounceMs = 100,
): ConfigWatcher {
  let timer: NodeJS.Timeout | undefined;
  let chain = Promise.resolve();
  let lastText = readText(path);

  const reload = (force: boolean) => {
    chain = chain.then(async () => {
      const text = readText(path);
      if (!force && text === lastText) return;
      lastText = text;
      try {
        if (text === undefined) throw new Error(`cannot read ${path}`);
        await apply(parseConfigYaml(text, process.env, path));
        report({ ok: true, message: `configuration reloaded from ${path}` });
      } catch (error) {
        report({ ok: false, message: `configuration reload rejected, keeping the running config: ${(error as Error).message}` });
      }
    });
  };
  // Watch the directory, not the file: editors replace files by rename (which ends a watch on the file), and
  // Kubernetes swaps a `..data` symlink beside it. Any event there re-reads the file; unchanged text is ignored.
  const watcher: FSWatcher = watch(dirname(path), () => {
    clearTimeout(timer);
    timer = setTimeout(() => reload(false), debounceMs);
  });
  watcher.on('error', (error) => report({ ok: false, message: `stopped watching ${path}: ${error.message}; SIGHUP still reloads` }));
  watcher.unref();
  return {
    reload: () => reload(true),
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
