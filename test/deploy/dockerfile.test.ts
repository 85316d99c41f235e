/**
 * deploy/docker/Dockerfile, checked statically (no Docker daemon or base image here): parsed with dockerfile-ast,
 * it must build in one stage and run from another with production dependencies only, on a pinned Node LTS image,
 * as a non-root user, with the health check, port, stop signal and data volume the gateway expects; every file it
 * copies must exist and pass .dockerignore. The HEALTHCHECK command itself is run against a real gateway.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { DockerfileParser, ModifiableInstruction, type Instruction, type JSONInstruction } from 'dockerfile-ast';
import { simConfig, startTestGateway } from '../helpers/server.js';

const dockerfilePath = 'deploy/docker/Dockerfile';
const readDockerfile = () => readFileSync(dockerfilePath, 'utf8');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };

/** .dockerignore as Docker reads it, for the forms this repository uses: `*`, `name`, `!name` (last match wins). */
function dockerignoreIncludes(ignoreText: string): (path: string) => boolean {
  const patterns = ignoreText
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return (path) => {
    let included = true;
    for (const pattern of patterns) {
      const negated = pattern.startsWith('!');
      const name = (negated ? pattern.slice(1) : pattern).replace(/\/$/, '');
      const matches = name === '*' || path === name || path.startsWith(`${name}/`);
      if (matches) included = negated;
    }
    return included;
  };
}

interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}

function stagesOf(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const [image = '', , name = String(stages.length)] = instruction.getArguments().map((a) => a.getValue());
      stages.push({ name, image, instructions: [] });
    } else stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

const args = (instruction: Instruction) => instruction.getArguments().map((a) => a.getValue());
const json = (instruction: Instruction) => (instruction as JSONInstruction).getJSONStrings().map((s) => s.getJSONValue());
const find = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.getKeyword() === keyword);
const fromFlag = (instruction: Instruction) =>
  instruction instanceof ModifiableInstruction ? instruction.getFlags().find((f) => f.getName() === 'from')?.getValue() : undefined;

/** The HEALTHCHECK's exec-form command, e.g. ["node", "-e", "…"]. */
function healthcheckCommand(stage: Stage): string[] | undefined {
  const healthcheck = find(stage, 'HEALTHCHECK')[0];
  if (healthcheck === undefined) return undefined;
  const content = healthcheck.getArgumentsContent() ?? '';
  const exec = /^CMD\s+(\[.*\])\s*$/s.exec(content.replace(/\\\n/g, ' '));
  return exec === null ? undefined : (JSON.parse(exec[1]!) as string[]);
}

/** Everything wrong with the Dockerfile, as sentences; empty when it is right. */
function dockerfileProblems(text: string, ignoreText: string): string[] {
  const problems: string[] = [];
  const stages = stagesOf(text);
  if (stages.length < 2) return ['not a multi-stage build'];
  for (const stage of stages) {
    if (stages.some((s) => s.name === stage.image)) continue;
    const [image, tag] = stage.image.split(':');
    if (tag === undefined || tag === 'latest' || !/\d/.test(tag)) problems.push(`stage ${stage.name}: ${stage.image} is not pinned to a version tag`);
    if (image === 'node' && !/^(22|24)(\.|-|$)/.test(tag ?? '')) problems.push(`stage ${stage.name}: ${stage.image} is not a current Node LTS (22 or 24)`);
  }
  const runtime = stages.at(-1)!;
  const build = stages.find((s) => find(s, 'RUN').some((r) => /\bnpm run build\b/.test(r.getArgumentsContent() ?? '')));
  if (build === undefined) problems.push('no stage runs npm run build');

  const user = find(runtime, 'USER').at(-1);
  const userName = user === undefined ? 'root' : args(user)[0]!.split(':')[0]!;
  if (userName === 'root' || userName === '0') problems.push('the runtime stage runs as root (no non-root USER)');
  else if (!/^\d+$/.test(userName)) problems.push(`USER ${userName} is not numeric: Kubernetes runAsNonRoot cannot verify a name`);
  const env = find(runtime, 'ENV').flatMap(args);
  if (!env.includes('NODE_ENV=production')) problems.push('the runtime stage does not set NODE_ENV=production');
  if (!find(runtime, 'EXPOSE').flatMap(args).includes('8400')) problems.push('does not EXPOSE 8400');
  if (find(runtime, 'STOPSIGNAL').flatMap(args)[0] !== 'SIGTERM') problems.push('STOPSIGNAL is not SIGTERM');
  const volumes = find(runtime, 'VOLUME').flatMap((v) => (v.getArgumentsContent()?.trim().startsWith('[') ? json(v) : args(v)));
  if (!volumes.includes('/app/data')) problems.push('no VOLUME /app/data for embedded PGlite');
  const healthcheck = healthcheckCommand(runtime);
  if (healthcheck === undefined) problems.push('no exec-form HEALTHCHECK CMD');
  else if (!healthcheck.join(' ').includes('/healthz')) problems.push('the HEALTHCHECK does not probe /healthz');

  const entry = [...find(runtime, 'ENTRYPOINT'), ...find(runtime, 'CMD')].flatMap(json);
  if (!entry.includes(pkg.bin.switchyard!.replace(/^\.\//, ''))) problems.push(`the entrypoint does not run ${pkg.bin.switchyard}`);

  const copies = find(runtime, 'COPY');
  const fromStage = (path: RegExp) => copies.find((c) => fromFlag(c) !== undefined && path.test(args(c)[0] ?? ''));
  const dist = fromStage(/\/dist$/);
  if (dist === undefined || fromFlag(dist) !== build?.name) problems.push('the runtime stage does not copy dist/ from the build stage');
  if (!/cpSync\('src\/stores\/sql\/migrations', 'dist\/stores\/sql\/migrations'/.test(pkg.scripts.build ?? '')) {
    problems.push('npm run build does not copy the SQL migrations into dist/');
  }
  const modules = fromStage(/node_modules$/);
  const depsStage = stages.find((s) => s.name === (modules === undefined ? undefined : fromFlag(modules)));
  const prodInstall = depsStage !== undefined && find(depsStage, 'RUN').some((r) => /npm ci\b[^&]*--omit=dev/.test(r.getArgumentsContent() ?? ''));
  if (!prodInstall) problems.push('the runtime node_modules do not come from an `npm ci --omit=dev` stage');
  if (find(runtime, 'RUN').some((r) => /npm (ci|install)\b/.test(r.getArgumentsContent() ?? ''))) problems.push('the runtime stage installs packages itself');

  const included = dockerignoreIncludes(ignoreText);
  for (const stage of stages) {
    for (const copy of [...find(stage, 'COPY'), ...find(stage, 'ADD')]) {
      if (fromFlag(copy) !== undefined) continue;
      for (const source of args(copy).slice(0, -1).filter((a) => !a.startsWith('--'))) {
        if (!existsSync(source)) problems.push(`stage ${stage.name}: COPY ${source}: no such file in the repository`);
        else if (!included(source)) problems.push(`stage ${stage.name}: COPY ${source}: excluded by .dockerignore`);
      }
    }
  }
  for (const secret of ['node_modules', 'dist', 'data', 'data/key-pepper', '.env', 'deploy/.env', '.git', 'test']) {
    if (included(secret)) problems.push(`.dockerignore lets ${secret} into the build context`);
  }
  return problems;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe('Dockerfile', () => {
  const ignoreText = readFileSync('.dockerignore', 'utf8');

  test('multi-stage, pinned Node LTS, production deps only, non-root, NODE_ENV, port, health check, stop signal, data volume; copies exist', () => {
    assert.deepEqual(dockerfileProblems(readDockerfile(), ignoreText), [], 'no problems in the Dockerfile');
  });

  test('the check rejects root, an unpinned base image, a missing health check, dev dependencies at run time, and a missing file', () => {
    const mutated = (from: string | RegExp, to: string) => dockerfileProblems(readDockerfile().replace(from, to), ignoreText);
    const has = (problems: string[], text: string) => assert.ok(problems.some((p) => p.includes(text)), `"${text}" in ${JSON.stringify(problems)}`);
    has(mutated('USER 1000:1000', 'USER root'), 'runs as root');
    has(mutated('USER 1000:1000', '# no user'), 'runs as root');
    has(mutated('FROM node:24-bookworm-slim AS deps', 'FROM node:latest AS deps'), 'not pinned');
    has(mutated('FROM node:24-bookworm-slim AS build', 'FROM node:18-slim AS build'), 'not a current Node LTS');
    has(mutated(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, ''), 'no exec-form HEALTHCHECK');
    has(mutated('npm ci --omit=dev', 'npm ci'), '--omit=dev');
    has(mutated('COPY schema ./schema', 'COPY schemas ./schema'), 'COPY schemas: no such file');
    has(mutated('STOPSIGNAL SIGTERM', 'STOPSIGNAL SIGKILL'), 'STOPSIGNAL');
    has(dockerfileProblems(readDockerfile(), ignoreText.replace('!schema', '')), 'COPY schema: excluded by .dockerignore');
    has(dockerfileProblems(readDockerfile(), `${ignoreText}\n!data\n`), 'lets data into the build context');
  });

  test('the HEALTHCHECK command exits 0 against a running gateway and 1 when nothing listens', async () => {
    const command = healthcheckCommand(stagesOf(readDockerfile()).at(-1)!)!;
    assert.equal(command[0], 'node', 'runs node (the slim image has no curl)');
    const run = async (port: number) => {
      try {
        await promisify(execFile)(process.execPath, command.slice(1), { env: { ...process.env, PORT: String(port) }, timeout: 10_000 });
        return 0;
      } catch (error) {
        return (error as { code?: number }).code;
      }
    };
    const gateway = await startTestGateway(simConfig());
    try {
      assert.equal(await run(Number(new URL(gateway.url).port)), 0, 'healthy gateway: exit 0');
    } finally {
      await gateway.close();
    }
    assert.equal(await run(await freePort()), 1, 'nothing listening: exit 1');
  });
});
