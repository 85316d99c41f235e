#!/usr/bin/env node
/**
 * Switchyard CLI subcommands that do not start the gateway. `switchyard plan …` lives here; serving stays in
 * main.ts. Wire it as a bin entry, or dispatch to `runCli` from main.ts when argv[2] is a known subcommand.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runPlanCommand, type CommandResult } from './plan.js';
import { adminCommands, adminCommandsUsage } from './admin/index.js';

export const commands: Readonly<Record<string, (args: readonly string[]) => CommandResult>> = { plan: runPlanCommand };

export const cliUsage = `Usage: switchyard <command> [options]

Commands:
  plan    estimate GPUs, latency, throughput and cost for serving a model (switchyard plan --help)
  sim     serve a simulated vLLM-compatible engine driven by the capacity model (switchyard sim --help)
${adminCommandsUsage}`;

export function runCli(argv: readonly string[]): CommandResult {
  const [name, ...args] = argv;
  if (name === undefined || name === '-h' || name === '--help') return { exitCode: name === undefined ? 2 : 0, stdout: cliUsage, stderr: '' };
  const command = commands[name];
  if (!command) return { exitCode: 2, stdout: '', stderr: `unknown command "${name}"\n\n${cliUsage}` };
  return command(args);
}

/** Every command, the asynchronous ones (admin commands talk to a running gateway over HTTP) included. */
export async function runCliAsync(argv: readonly string[], env: Record<string, string | undefined> = process.env): Promise<CommandResult> {
  const [name, ...args] = argv;
  const admin = name === undefined ? undefined : adminCommands[name];
  return admin === undefined ? runCli(argv) : admin(args, env);
}

async function main(): Promise<void> {
  const result = await runCliAsync(process.argv.slice(2));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}

/** Run when executed (directly or through a bin symlink), not when imported. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) void main();
