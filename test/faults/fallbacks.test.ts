/**
 * Faults that another deployment of the same model cannot fix (issue 4 §3, §10): a prompt over the context
 * window goes to the `fallbacks_on.context_length_exceeded` model, a filtered one to the
 * `fallbacks_on.content_filtered` alternative, both ahead of the general `fallbacks` and without retrying the
 * model's other deployments; with no such fallback the caller hears the real reason, not a 503.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { attemptsCounted, chat, errorOf, model, rigPerTest } from './harness.js';

const filtered = {
  kind: 'error',
  status: 400,
  message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
} as const;

describe('faults: conditional fallbacks', () => {
  const startRig = rigPerTest();

  const start = () =>
    startRig({
      live: ['small1', 'small2', 'large', 'lenient', 'general'],
      models: {
        small: model(['small1', 'small2'], {
          fallbacks: ['general-model'],
          fallbacks_on: { context_length_exceeded: ['large-model'], content_filtered: ['lenient-model'] },
        }),
        'large-model': model(['large']),
        'lenient-model': model(['lenient']),
        'general-model': model(['general']),
        plain: model(['small1', 'small2']),
      },
      random: () => 0,
    });

  test('context window exceeded → the larger-context model, without trying the same model elsewhere', async () => {
    const rig = await start();
    rig.mocks.small1!.script({ kind: 'error', status: 400, message: 'too long', contextLength: true });
    const response = await chat(rig.gw, 'small');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchyard-model'), 'large-model');
    assert.equal(response.headers.get('x-switchyard-attempts'), '2');
    await response.arrayBuffer();
    assert.equal(rig.mocks.small1!.requests.length, 1);
    assert.equal(rig.mocks.small2!.requests.length, 0);
    assert.equal(rig.mocks.large!.requests.length, 1);
    assert.equal(rig.mocks.general!.requests.length, 0);
    assert.equal(await attemptsCounted(rig.gw, 'small1', 'context_length_exceeded'), 1);
    assert.equal(await attemptsCounted(rig.gw, 'large', 'ok'), 1);
  });

  test('content filtered → the configured alternative', async () => {
    const rig = await start();
    rig.mocks.small1!.script(filtered);
    const response = await chat(rig.gw, 'small');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchyard-model'), 'lenient-model');
    await response.arrayBuffer();
    assert.equal(rig.mocks.small2!.requests.length, 0);
    assert.equal(rig.mocks.lenient!.requests.length, 1);
    assert.equal(rig.mocks.general!.requests.length, 0);
    assert.equal(await attemptsCounted(rig.gw, 'small1', 'content_filtered'), 1);
  });

  test('no conditional fallback configured: the caller gets the real reason (400), once', async () => {
    const rig = await start();
    rig.mocks.small1!.script({ kind: 'error', status: 400, message: 'too long', contextLength: true });
    const response = await chat(rig.gw, 'plain');
    assert.equal(response.status, 400);
    const error = await errorOf(response);
    assert.equal(error.code, 'context_length_exceeded');
    assert.match(error.message, /maximum context length/);
    assert.equal(rig.mocks.small1!.requests.length, 1);
    assert.equal(rig.mocks.small2!.requests.length, 0);
  });

  test('a general failure still goes through the general fallbacks', async () => {
    const rig = await start();
    rig.mocks.small1!.setScenario({ kind: 'error', status: 500, message: 'boom' });
    rig.mocks.small2!.setScenario({ kind: 'error', status: 500, message: 'boom' });
    const response = await chat(rig.gw, 'small');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchyard-model'), 'general-model');
    await response.arrayBuffer();
    assert.equal(rig.mocks.large!.requests.length + rig.mocks.lenient!.requests.length, 0);
  });
});
