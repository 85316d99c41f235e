/**
 * The frame every admin command shares: `switchyard <group> <subcommand> [positionals] [options]`, the
 * connection flags (--url, --key), --json, --help, strict option parsing, and failures turned into a message on
 * stderr and an exit code (see client.ts).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;
import type { CommandResult } from '../plan.js';
import { CliFailure, EXIT, connection, usageError, type Connection } from './client.js';

type Values = Record<string, string | boolean | undefined>;

export interface SubcommandInput {
  conn: Connection;
  values: Values;
  /** Positionals by the names the subcommand declared. */
  args: Record<string, string>;
  json: boolean;
}

export interface Subcommand {
  /** e.g. `<tenant_id> --name NAME [--rpm N]` */
  synopsis: string;
  summary: string;
  positionals?: readonly string[];
  options?: ParseArgsOptionsConfig;
  /** Returns what to print on stdout. */
  run(input: SubcommandInput): Promise<string>;
}

const connectionOptions = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

export const connectionHelp = `Connection: --url URL (default $SWITCHYARD_URL or http://127.0.0.1:8400), --key KEY (default
$SWITCHYARD_ADMIN_KEY, then $SWITCHYARD_MASTER_KEY). --json prints the API's JSON.
Exit codes: 0 ok, 1 the gateway refused (message from its error), 2 bad usage, 3 gateway unreachable.
`;

export function groupUsage(group: string, description: string, subcommands: Record<string, Subcommand>): string {
  const lines = Object.entries(subcommands).map(([name, sub]) => `  switchyard ${group} ${name} ${sub.synopsis}\n      ${sub.summary}`);
  return `${description}\n\nUsage:\n${lines.join('\n')}\n\n${connectionHelp}`;
}

/** A positive integer flag, or undefined when absent. */
export function intFlag(values: Values, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(value) || value < 1) throw usageError(`--${name} must be a positive integer, got "${String(raw)}"`);
  return value;
}

export function numberFlag(values: Values, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw usageError(`--${name} must be a non-negative number, got "${String(raw)}"`);
  }
  return value;
}

export function stringFlag(values: Values, name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}

/** A flag holding a JSON object (--metadata '{"team":"search"}'). */
export function jsonFlag(values: Values, name: string): Record<string, unknown> | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw usageError(`--${name} must be JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw usageError(`--${name} must be a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Drops undefined fields, so a body carries only what the user set. */
export function defined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

async function runSubcommand(label: string, subcommand: Subcommand, argv: readonly string[], env: Env): Promise<CommandResult> {
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: [...argv], options: { ...connectionOptions, ...subcommand.options }, allowPositionals: true, strict: true });
    } catch (error) {
      throw usageError((error as Error).message);
    }
    const values = parsed.values as Values;
    if (values.help === true) return { exitCode: EXIT.ok, stdout: `switchyard ${label} ${subcommand.synopsis}\n  ${subcommand.summary}\n\n${connectionHelp}`, stderr: '' };
    const names = subcommand.positionals ?? [];
    if (parsed.positionals.length !== names.length) {
      const expected = names.length === 0 ? 'no arguments' : names.map((n) => `<${n}>`).join(' ');
      throw usageError(`takes ${expected}; usage: switchyard ${label} ${subcommand.synopsis}`);
    }
    const args = Object.fromEntries(names.map((positional, index) => [positional, parsed.positionals[index]!]));
    const conn = connection({ url: stringFlag(values, 'url'), key: stringFlag(values, 'key') }, env);
    const stdout = await subcommand.run({ conn, values, args, json: values.json === true });
    return { exitCode: EXIT.ok, stdout, stderr: '' };
  } catch (error) {
    if (error instanceof CliFailure) return { exitCode: error.exitCode, stdout: '', stderr: `switchyard ${label}: ${error.message}\n` };
    throw error;
  }
}

type Env = Record<string, string | undefined>;
export type AdminCommand = (argv: readonly string[], env?: Env) => Promise<CommandResult>;

/** `switchyard <group> <subcommand> …` */
export function commandGroup(group: string, description: string, subcommands: Record<string, Subcommand>): AdminCommand {
  const usage = groupUsage(group, description, subcommands);
  return async (argv, env = process.env) => {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h') return { exitCode: name === undefined ? EXIT.usage : EXIT.ok, stdout: usage, stderr: '' };
    const subcommand = subcommands[name];
    if (subcommand === undefined) return { exitCode: EXIT.usage, stdout: '', stderr: `unknown subcommand "${group} ${name}"\n\n${usage}` };
    return runSubcommand(`${group} ${name}`, subcommand, rest, env);
  };
}

/** `switchyard <name> …` with no subcommands. */
export function singleCommand(name: string, command: Subcommand): AdminCommand {
  return (argv, env = process.env) => runSubcommand(name, command, argv, env);
}
