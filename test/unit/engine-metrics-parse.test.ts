import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePrometheusText } from '../../src/routing/engine-metrics/prometheus-text.js';
import { readEngineLoad } from '../../src/routing/engine-metrics/engine-reading.js';

// Excerpts in each engine's own format (names, labels, HELP/TYPE lines and histogram noise as they export them).
const vllm = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 12.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 3.0
# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.4375
# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 81920.0
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.001",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="meta-llama/Llama-3.1-8B-Instruct"} 140.0
`;

const vllmLegacy = `vllm:num_requests_running{model_name="m"} 2
vllm:num_requests_waiting{model_name="m"} 0
vllm:gpu_cache_usage_perc{model_name="m"} 0.91
`;

const sglang = `# HELP sglang:num_running_reqs The number of running requests.
# TYPE sglang:num_running_reqs gauge
sglang:num_running_reqs{model_name="Qwen/Qwen2.5-7B-Instruct"} 7.0
# HELP sglang:num_queue_reqs The number of requests in the waiting queue.
# TYPE sglang:num_queue_reqs gauge
sglang:num_queue_reqs{model_name="Qwen/Qwen2.5-7B-Instruct"} 9.0
# HELP sglang:token_usage The token usage.
# TYPE sglang:token_usage gauge
sglang:token_usage{model_name="Qwen/Qwen2.5-7B-Instruct"} 0.62
sglang:cache_hit_rate{model_name="Qwen/Qwen2.5-7B-Instruct"} 0.5
`;

const tgi = `# TYPE tgi_queue_size gauge
tgi_queue_size 4
# TYPE tgi_batch_current_size gauge
tgi_batch_current_size 16
tgi_request_duration_bucket{le="0.5"} 10
`;

const llamacpp = `# HELP llamacpp:requests_processing Number of requests processing.
# TYPE llamacpp:requests_processing gauge
llamacpp:requests_processing 1
# HELP llamacpp:requests_deferred Number of requests deferred.
# TYPE llamacpp:requests_deferred gauge
llamacpp:requests_deferred 2
# HELP llamacpp:kv_cache_usage_ratio KV-cache usage. 1 means 100 percent usage.
# TYPE llamacpp:kv_cache_usage_ratio gauge
llamacpp:kv_cache_usage_ratio 0.25
`;

describe('Prometheus text parser', () => {
  test('reads names, labels with escapes, special values and timestamps, and skips comments', () => {
    const samples = parsePrometheusText(
      [
        '# HELP x Some help',
        'x{a="1",b="with \\"quote\\" and \\\\ and \\n"} 2.5 1712345678000',
        'y NaN',
        'z{le="+Inf"} +Inf',
        'w{} -Inf',
        '  indented 7',
        '',
      ].join('\n'),
    );
    assert.equal(samples.length, 5, 'five samples');
    assert.deepEqual(samples[0], { name: 'x', labels: { a: '1', b: 'with "quote" and \\ and \n' }, value: 2.5 });
    assert.ok(Number.isNaN(samples[1]!.value), 'NaN parsed');
    assert.equal(samples[2]!.value, Number.POSITIVE_INFINITY);
    assert.equal(samples[3]!.value, Number.NEGATIVE_INFINITY);
    assert.deepEqual(samples[4], { name: 'indented', labels: {}, value: 7 });
  });

  test('skips malformed lines and keeps the rest', () => {
    const samples = parsePrometheusText(
      ['ok 1', 'broken{a="1" 2', 'novalue', 'bad{a=1} 3', 'words here too many 4', 'fine{a="x"} 5', 'notnumber abc'].join('\n'),
    );
    assert.deepEqual(
      samples.map((sample) => [sample.name, sample.value]),
      [
        ['ok', 1],
        ['fine', 5],
      ],
    );
  });

  test('parses only the names the filter accepts', () => {
    const samples = parsePrometheusText('a 1\nb{x="y"} 2\nc 3\n', (name) => name === 'b');
    assert.deepEqual(samples, [{ name: 'b', labels: { x: 'y' }, value: 2 }]);
  });

  test('handles CRLF line endings', () => {
    assert.deepEqual(parsePrometheusText('a 1\r\nb 2\r\n').map((s) => s.value), [1, 2]);
  });
});

describe('engine readings', () => {
  test('vLLM: running, waiting and kv_cache_usage_perc', () => {
    assert.deepEqual(readEngineLoad(vllm, 100), { engine: 'vllm', running: 12, waiting: 3, kvUsage: 0.4375, at: 100 });
  });

  test('vLLM before 0.10: gpu_cache_usage_perc', () => {
    assert.deepEqual(readEngineLoad(vllmLegacy, 1), { engine: 'vllm', running: 2, waiting: 0, kvUsage: 0.91, at: 1 });
  });

  test('SGLang: num_running_reqs, num_queue_reqs, token_usage', () => {
    assert.deepEqual(readEngineLoad(sglang, 5), { engine: 'sglang', running: 7, waiting: 9, kvUsage: 0.62, at: 5 });
  });

  test('TGI: batch size and queue size, KV use unknown', () => {
    const reading = readEngineLoad(tgi, 5);
    assert.deepEqual(reading, { engine: 'tgi', running: 16, waiting: 4, at: 5 });
    assert.ok(!('kvUsage' in reading!), 'TGI reports no KV use');
  });

  test('llama.cpp: requests_processing, requests_deferred, kv_cache_usage_ratio', () => {
    assert.deepEqual(readEngineLoad(llamacpp, 5), { engine: 'llamacpp', running: 1, waiting: 2, kvUsage: 0.25, at: 5 });
  });

  test('sums counts over series (data-parallel ranks) and takes the fullest KV cache', () => {
    const text = [
      'vllm:num_requests_running{engine="0"} 4',
      'vllm:num_requests_running{engine="1"} 6',
      'vllm:num_requests_waiting{engine="0"} 1',
      'vllm:num_requests_waiting{engine="1"} 2',
      'vllm:kv_cache_usage_perc{engine="0"} 0.3',
      'vllm:kv_cache_usage_perc{engine="1"} 0.7',
    ].join('\n');
    assert.deepEqual(readEngineLoad(text, 0), { engine: 'vllm', running: 10, waiting: 3, kvUsage: 0.7, at: 0 });
  });

  test('a page without any known family gives no reading; negative and NaN values are ignored', () => {
    assert.equal(readEngineLoad('process_cpu_seconds_total 12\nhttp_requests_total 3\n', 0), undefined);
    assert.equal(readEngineLoad('', 0), undefined);
    assert.deepEqual(readEngineLoad('vllm:num_requests_running NaN\nvllm:num_requests_waiting 2\nvllm:kv_cache_usage_perc -1\n', 0), {
      engine: 'vllm',
      running: 0,
      waiting: 2,
      at: 0,
    });
  });
});
