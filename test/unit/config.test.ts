import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  ConfigError,
  interpolateEnv,
  loadConfig,
  loadConfigFile,
  locateConfig,
  parseConfig,
  parseConfigYaml,
} from '../../src/config/load.js';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';

const minimal = (): SwitchyardConfigInput => ({
  providers: { sim: { type: 'sim' } },
  models: { small: { deployments: [{ provider: 'sim', model: 'small' }] } },
});

/** The problems a rejected config reports (fails the test if it was accepted). */
function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('the config was accepted');
}

const rejected = (input: unknown) => problemsOf(() => parseConfig(input, {}));

describe('config validation names the path and the reason', () => {
  test('a minimal config gets its defaults', () => {
    const config = parseConfig(minimal(), {});
    assert.equal(config.server.port, 8400);
    assert.equal(config.server.max_body_bytes, 10 * 1024 * 1024);
    assert.deepEqual(config.aliases, {});
    assert.equal(config.models.small!.kind, 'chat');
  });

  test('unknown provider type', () => {
    const problems = rejected({ ...minimal(), providers: { sim: { type: 'sim' }, x: { type: 'bogus' } } });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^providers\.x\.type: /);
    assert.match(problems[0]!, /'openai-compatible'/);
  });

  test('deployment naming an undefined provider lists the defined ones', () => {
    const problems = rejected({ ...minimal(), models: { small: { deployments: [{ provider: 'nope', model: 'm' }] } } });
    assert.deepEqual(problems, ['models.small.deployments.0.provider: unknown provider "nope" (defined: sim)']);
  });

  test('alias target that is not a model', () => {
    const problems = rejected({ ...minimal(), aliases: { fast: { targets: [{ model: 'small' }, { model: 'ghost' }] } } });
    assert.deepEqual(problems, ['aliases.fast.targets.1.model: unknown model "ghost"']);
  });

  test('fallback that is neither model nor alias, and an alias shadowing a model', () => {
    const input = minimal();
    input.models.small!.fallbacks = ['missing'];
    input.aliases = { small: { targets: [{ model: 'small' }] } };
    assert.deepEqual(rejected(input).sort(), [
      'aliases.small: "small" is already a model name',
      'models.small.fallbacks.0: unknown model or alias "missing"',
    ]);
  });

  test('base_url that is not an http(s) URL', () => {
    for (const url of ['not a url', 'ftp://example.com/v1']) {
      const problems = rejected({ ...minimal(), providers: { sim: { type: 'sim' }, v: { type: 'openai-compatible', base_url: url } } });
      assert.deepEqual(problems, ['providers.v.base_url: must be an http(s) URL']);
    }
  });

  test('negative and too large ports', () => {
    assert.match(rejected({ ...minimal(), server: { port: -1 } }).join(), /^server\.port: .*>=0/);
    assert.match(rejected({ ...minimal(), server: { port: 70000 } }).join(), /^server\.port: .*<=65535/);
    assert.match(rejected({ ...minimal(), server: { port: 80.5 } }).join(), /^server\.port: /);
  });

  test('unknown keys are rejected at their own path (strict objects)', () => {
    assert.deepEqual(rejected({ ...minimal(), server: { prot: 1 } }), ['server.prot: unknown key']);
    assert.deepEqual(rejected({ ...minimal(), extra: true }), ['extra: unknown key']);
    assert.deepEqual(rejected({ ...minimal(), providers: { sim: { type: 'sim', ttft: 3 } } }), ['providers.sim.ttft: unknown key']);
    const deployment = { provider: 'sim', model: 'small', wieght: 2 };
    assert.deepEqual(rejected({ ...minimal(), models: { small: { deployments: [deployment] } } }), [
      'models.small.deployments.0.wieght: unknown key',
    ]);
  });

  test('every problem is reported at once, and the message lists them', () => {
    const error = (() => {
      try {
        parseConfig({ server: { port: -5 }, providers: { sim: { type: 'sim' } }, models: {}, bogus: 1 }, {}, 'my.yaml');
      } catch (thrown) {
        return thrown as ConfigError;
      }
      assert.fail('accepted');
    })();
    assert.equal(error.problems.length, 2);
    assert.match(error.message, /^Invalid configuration in my\.yaml:\n {2}- /);
    assert.match(error.message, /server\.port/);
    assert.match(error.message, /bogus: unknown key/);
  });
});

describe('YAML parsing', () => {
  test('a syntax error names its line', () => {
    const problems = problemsOf(() => parseConfigYaml('providers:\n  sim: { type: sim\nmodels: {}\n', {}));
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^line 3: /);
  });

  test('a bad indent names its line', () => {
    const problems = problemsOf(() => parseConfigYaml('providers:\n  sim:\n    type: sim\n   bad: x\nmodels: {}\n', {}));
    assert.match(problems[0]!, /^line 4: /);
  });

  test('an empty file and a non-mapping are rejected plainly', () => {
    assert.deepEqual(problemsOf(() => parseConfigYaml('# nothing yet\n', {})), ['(root): the file is empty']);
    assert.match(problemsOf(() => parseConfigYaml('- a\n- b\n', {})).join(), /^\(root\): .*expected object/);
  });

  test('a valid file parses with interpolation', () => {
    const yaml = [
      'auth: { master_key: "${env:MASTER}" }',
      'providers:',
      '  up: { type: openai-compatible, base_url: "${env:UP_URL:-http://127.0.0.1:9/v1}" }',
      'models:',
      '  m: { deployments: [{ provider: up, model: m }] }',
    ].join('\n');
    const config = parseConfigYaml(yaml, { MASTER: 'sk-master-123' });
    assert.equal(config.auth.master_key, 'sk-master-123');
    const provider = config.providers.up!;
    assert.equal(provider.type === 'openai-compatible' && provider.base_url, 'http://127.0.0.1:9/v1');
  });
});

describe('${env:NAME} interpolation', () => {
  test('replaces references anywhere in a string, in nested objects and arrays', () => {
    const out = interpolateEnv({ a: 'x-${env:A}-${env:B}', list: ['${env:A}', 3, null, true] }, { A: '1', B: '2' });
    assert.deepEqual(out, { a: 'x-1-2', list: ['1', 3, null, true] });
  });

  test('uses the default when unset or empty, and the value when set', () => {
    assert.equal(interpolateEnv('${env:X:-fallback}', {}), 'fallback');
    assert.equal(interpolateEnv('${env:X:-fallback}', { X: '' }), 'fallback');
    assert.equal(interpolateEnv('${env:X:-fallback}', { X: 'set' }), 'set');
    assert.equal(interpolateEnv('${env:X:-}', {}), '');
  });

  test('leaves text that is not a reference alone', () => {
    assert.equal(interpolateEnv('$HOME ${NAME} ${env:} plain', {}), '$HOME ${NAME} ${env:} plain');
  });

  test('an unset variable without default is an error naming the path and the variable', () => {
    const input = { ...minimal(), providers: { sim: { type: 'sim' }, openai: { type: 'openai', api_key: '${env:NO_SUCH_KEY}' } } };
    assert.deepEqual(problemsOf(() => parseConfig(input, {})), ['providers.openai.api_key: environment variable NO_SUCH_KEY is not set']);
    const list = { ...minimal(), models: { small: { deployments: [{ provider: 'sim', model: '${env:M1}' }] } } };
    assert.deepEqual(problemsOf(() => parseConfig(list, {})), ['models.small.deployments.0.model: environment variable M1 is not set']);
  });

  test('values come from the environment passed in, not from the file', () => {
    const input = { ...minimal(), providers: { sim: { type: 'sim' }, openai: { type: 'openai', api_key: '${env:KEY}' } } };
    const config = parseConfig(input, { KEY: 'sk-live' });
    assert.equal(config.providers.openai!.type === 'openai' && config.providers.openai!.api_key, 'sk-live');
  });
});

describe('demo config and where the config comes from', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-config-'));
    dirs.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const fileModel = (name: string) =>
    `providers:\n  sim: { type: sim }\nmodels:\n  ${name}: { deployments: [{ provider: sim, model: ${name} }] }\n`;

  test('with no file and no keys: the sim provider only, open auth', () => {
    const { config, path } = loadConfig({}, tempDir());
    assert.equal(path, undefined);
    assert.deepEqual(Object.keys(config.providers), ['sim']);
    assert.deepEqual(Object.keys(config.models).sort(), ['sim-embed', 'sim-large', 'sim-small']);
    assert.deepEqual(Object.keys(config.aliases).sort(), ['chat-default', 'fast', 'smart']);
    assert.equal(config.auth.master_key, undefined);
    assert.equal(config.server.port, 8400);
  });

  test('OPENAI_API_KEY adds the openai provider and its models; PORT and the master key are honoured', () => {
    const env = { OPENAI_API_KEY: 'sk-test', PORT: '9123', SWITCHYARD_MASTER_KEY: 'master-key-1' };
    const { config } = loadConfig(env, tempDir());
    assert.deepEqual(Object.keys(config.providers).sort(), ['openai', 'sim']);
    const openai = config.providers.openai!;
    assert.equal(openai.type === 'openai' && openai.api_key, 'sk-test');
    assert.deepEqual(config.models['gpt-4o-mini']!.deployments, [{ provider: 'openai', model: 'gpt-4o-mini', weight: 1, max_queue: 100 }]);
    assert.equal(config.models['text-embedding-3-small']!.kind, 'embedding');
    assert.equal(config.server.port, 9123);
    assert.equal(config.auth.master_key, 'master-key-1');
  });

  test('./switchyard.yaml wins over the demo', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'switchyard.yaml'), fileModel('from-cwd'));
    assert.equal(locateConfig({}, dir), join(dir, 'switchyard.yaml'));
    const { config, path } = loadConfig({}, dir);
    assert.equal(path, join(dir, 'switchyard.yaml'));
    assert.deepEqual(Object.keys(config.models), ['from-cwd']);
  });

  test('SWITCHYARD_CONFIG wins over ./switchyard.yaml, relative to the working directory', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'switchyard.yaml'), fileModel('from-cwd'));
    writeFileSync(join(dir, 'other.yaml'), fileModel('from-env'));
    const env = { SWITCHYARD_CONFIG: 'other.yaml' };
    assert.equal(locateConfig(env, dir), join(dir, 'other.yaml'));
    assert.deepEqual(Object.keys(loadConfig(env, dir).config.models), ['from-env']);
  });

  test('a SWITCHYARD_CONFIG that does not exist is an error, not a silent demo', () => {
    const dir = tempDir();
    const problems = problemsOf(() => loadConfig({ SWITCHYARD_CONFIG: join(dir, 'missing.yaml') }, dir));
    assert.match(problems[0]!, /^cannot read file: ENOENT/);
  });

  test('a file error names the file', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'providers: {}\nmodels: {}\nserver: { port: -1 }\n');
    assert.throws(() => loadConfigFile(file, {}), (error: Error) => error.message.startsWith(`Invalid configuration in ${file}:`));
  });
});
