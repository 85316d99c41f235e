/**
 * Atomic reload: on file change or SIGHUP the file is parsed and validated in full; only a valid config is
 * applied, and an invalid one is reported while the running config stays.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { SwitchyardConfig } from './schema.js';
import { loadConfigFile } from './load.js';

export interface ConfigWatcher {
  reload(): void;
  close(): void;
}

export function watchConfig(
  path: string,
  apply: (config: SwitchyardConfig) => Promise<void> | void,
  report: (event: { ok: boolean; message: string }) => void,
  debounceMs = 100,
): ConfigWatcher {
  let timer: NodeJS.Timeout | undefined;
  let chain = Promise.resolve();

  const reload = () => {
    chain = chain.then(async () => {
      try {
        const config = loadConfigFile(path);
        await apply(config);
        report({ ok: true, message: `configuration reloaded from ${path}` });
      } catch (error) {
        report({ ok: false, message: `configuration reload rejected, keeping the running config: ${(error as Error).message}` });
      }
    });
  };
  // Watch the directory: editors replace files by rename, which ends a watch on the file itself.
  const watcher: FSWatcher = watch(dirname(path), (_event, file) => {
    if (file !== null && file !== basename(path)) return;
    clearTimeout(timer);
    timer = setTimeout(reload, debounceMs);
  });
  watcher.unref();
  return {
    reload,
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
