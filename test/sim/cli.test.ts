import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { describeEngine, parseSimArgs } from '../../src/cli/sim.js';
import { resolveEngineConfig, SimConfigError } from '../../src/sim/index.js';

const mainScript = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** Starts `switchyard sim …` from source and resolves with the process and the URL it printed. */
async function spawnSim(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', mainScript, 'sim', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line within 30 s:\n${output}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[^\s/]+)\/v1/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code} before listening:\n${output}`)));
  });
  return { child, url, output: () => output };
}

describe('switchyard sim CLI', () => {
  test('starts, prints the derived capacity, serves OpenAI requests and stops on SIGTERM', async () => {
    const { child, url, output } = await spawnSim(['--model', 'llama-3.2-1b', '--gpu', 'l4', '--port', '0', '--time-scale', '0.001', '--max-num-seqs', '64']);
    try {
      assert.match(output(), /KV blocks [\d,]+ × 16 tokens = [\d,]+ tokens/);
      assert.match(output(), /max_num_seqs 64/);
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama-3.2-1b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { usage: { completion_tokens: number } };
      assert.equal(body.usage.completion_tokens, 5);
      assert.match(await (await fetch(`${url}/metrics`)).text(), /^vllm:num_requests_running\{model_name="llama-3.2-1b"\} 0$/m);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, 'SIGTERM shuts it down cleanly');
  });

  test('flags map onto engine options with vLLM names', () => {
    const parsed = parseSimArgs(['--model', 'qwen2.5-7b', '--tp', '2', '--kv-cache-dtype', 'fp8', '--max-num-batched-tokens', '2048',
      '--num-gpu-blocks-override', '100', '--no-enable-prefix-caching', '--served-model-name', 'qwen']);
    assert.deepEqual(parsed, {
      help: false,
      options: { model: 'qwen2.5-7b', tp: 2, kvDtype: 'fp8', port: 8500, maxNumBatchedTokens: 2048, numGpuBlocks: 100, enablePrefixCaching: false,
        servedModelName: 'qwen' },
    });
    assert.throws(() => parseSimArgs(['--time-scale', 'fast']), SimConfigError);
    assert.throws(() => parseSimArgs(['--bogus']), SimConfigError);
    assert.throws(() => resolveEngineConfig({ model: 'llama-3.1-405b', gpu: 'l4' }), /leaves no room for a KV cache/);
    assert.throws(() => resolveEngineConfig({ model: 'gpt-9' }), /unknown model "gpt-9"/);
  });

  test('the summary states blocks, max model length and concurrency from the memory model', () => {
    const config = resolveEngineConfig({ model: 'llama-3.1-8b', gpu: 'h100' });
    const text = describeEngine(config, 'http://127.0.0.1:8500');
    assert.ok(config.capacity.numGpuBlocks > 20_000 && config.capacity.numGpuBlocks < 40_000, `an H100 holds ~55 GiB of 8B KV (${config.capacity.numGpuBlocks} blocks)`);
    assert.match(text, new RegExp(`KV blocks ${config.capacity.numGpuBlocks.toLocaleString('en-US')} × 16`));
    assert.match(text, /max_model_len 131,072/);
  });

  test('an invalid flag exits 2 with the usage', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', mainScript, 'sim', '--gpu', 'abacus'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(stderr, /unknown gpu "abacus"/);
    assert.match(stderr, /Usage: switchyard sim/);
  });
});
