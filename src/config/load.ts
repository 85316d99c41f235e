/** Reads, interpolates and validates configuration; every rejection names the path and the reason. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type SwitchyardConfig, type SwitchyardConfigInput } from './schema.js';
import { demoConfig } from './demo.js';

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const envReference = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** Replaces `${env:NAME}` and `${env:NAME:-default}` in every string; an unset variable without default is an error. */
export function interpolateEnv(value: unknown, env: Env, path: string[] = [], problems: string[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(envReference, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push(`${formatPath(path)}: environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolateEnv(item, env, [...path, String(index)], problems));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, [...path, key], problems)]),
    );
  }
  return value;
}

/** One problem per line, each `path: reason`; an unknown key is reported at its own path. */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key`)
      : [`${formatPath(issue.path)}: ${issue.message}`],
  );
}

/** Validates an already-parsed config object (from YAML or from `defineConfig`). */
export function parseConfig(input: unknown, env: Env = process.env, source = 'config'): SwitchyardConfig {
  const problems: string[] = [];
  const interpolated = interpolateEnv(input, env, [], problems);
  if (problems.length > 0) throw new ConfigError(source, problems);
  const result = configSchema.safeParse(interpolated);
  if (!result.success) throw new ConfigError(source, describeIssues(result.error.issues));
  return result.data;
}

export function parseConfigYaml(text: string, env: Env = process.env, source = 'switchyard.yaml'): SwitchyardConfig {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      source,
      document.errors.map(
        (error) => `line ${error.linePos?.[0]?.line ?? '?'}: ${error.message.split('\n')[0]!.replace(/:$/, '')}`,
      ),
    );
  }
  if (document.contents === null) throw new ConfigError(source, ['(root): the file is empty']);
  return parseConfig(document.toJS(), env, source);
}

export function loadConfigFile(path: string, env: Env = process.env): SwitchyardConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read file: ${(error as Error).message}`]);
  }
  return parseConfigYaml(text, env, path);
}

/** Where the config comes from: `SWITCHYARD_CONFIG`, else `./switchyard.yaml`, else the built-in demo. */
export function locateConfig(env: Env = process.env, cwd = process.cwd()): string | undefined {
  if (env.SWITCHYARD_CONFIG) return resolve(cwd, env.SWITCHYARD_CONFIG);
  const local = resolve(cwd, 'switchyard.yaml');
  return existsSync(local) ? local : undefined;
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): { config: SwitchyardConfig; path?: string } {
  const path = locateConfig(env, cwd);
  if (path === undefined) return { config: parseConfig(demoConfig(env), env, 'built-in demo config') };
  return { config: loadConfigFile(path, env), path };
}

/** Typed helper for configs written in TypeScript (library mode). Validation happens in `createGateway`. */
export function defineConfig(config: SwitchyardConfigInput): SwitchyardConfigInput {
  return config;
}
