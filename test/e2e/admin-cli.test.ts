/**
 * The `switchyard` admin commands against a running gateway over HTTP: tenants, keys and budgets end to end,
 * usage, spend and prices of real /v1 traffic, human tables and --json, a tenant admin key limited to its tenant, and exit codes (1 refused with the API's
 * message, 2 bad usage, 3 unreachable). One run goes through the real binary entry (src/main.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { runCliAsync } from '../../src/cli/index.js';
import { MASTER_KEY, startAdminGateway, type AdminGateway } from '../helpers/admin.js';
import { openMemory } from '../helpers/stores.js';

const run = promisify(execFile);
/** USD per million tokens: the sim provider is free unless the config prices it. */
const SIM_PRICE = { input: 1000, output: 2000 };

describe('switchyard admin CLI', () => {
  let admin: AdminGateway;
  const cli = (...args: string[]) => runCliAsync([...args, '--url', admin.url, '--key', MASTER_KEY]);
  before(async () => {
    admin = await startAdminGateway(openMemory, { prices: [{ model: 'sim-small', provider: 'sim', ...SIM_PRICE }] });
  });
  after(() => admin.close());

  test('tenants create, get, update and list print tables, and --json the API body', async () => {
    const created = await cli('tenants', 'create', '--id', 'cli-co', '--name', 'CLI Co', '--rpm', '60', '--metadata', '{"team":"cli"}');
    assert.equal(created.exitCode, 0, created.stderr);
    assert.match(created.stdout, /^id: +cli-co$/m);
    assert.match(created.stdout, /^limits: +\{"requests_per_minute":60\}$/m);
    const updated = await cli('tenants', 'update', 'cli-co', '--tier', 'gold', '--tpm', '1000');
    assert.equal(updated.exitCode, 0, updated.stderr);
    assert.match(updated.stdout, /^tier: +gold$/m);
    assert.match(updated.stdout, /^limits: +\{"tokens_per_minute":1000\}$/m, 'limits flags replace the limits');
    const list = await cli('tenants', 'list');
    assert.equal(list.exitCode, 0);
    assert.match(list.stdout.split('\n')[0]!, /^ID +NAME +TIER +LIMITS +BUDGET +CREATED_AT$/);
    assert.match(list.stdout, /^cli-co +CLI Co +gold /m);
    const asJson = JSON.parse((await cli('tenants', 'get', 'cli-co', '--json')).stdout) as { id: string; object: string };
    assert.deepEqual([asJson.object, asJson.id], ['tenant', 'cli-co']);
  });

  test('keys create prints the secret once; the key works, then revoke makes it 401', async () => {
    const created = await cli('keys', 'create', 'cli-co', '--name', 'svc', '--models', 'sim-small,fast', '--json');
    assert.equal(created.exitCode, 0, created.stderr);
    const key = JSON.parse(created.stdout) as { id: string; secret: string; scopes: { models: string[] } };
    assert.deepEqual(key.scopes.models, ['sim-small', 'fast']);
    const chat = () =>
      fetch(`${admin.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
      });
    assert.equal((await chat()).status, 200);
    const listed = await cli('keys', 'list', 'cli-co');
    assert.match(listed.stdout, new RegExp(`^${key.id} +svc +sk-sy-`, 'm'));
    assert.ok(!listed.stdout.includes(key.secret), 'lists never show the secret');
    const updated = await cli('keys', 'update', 'cli-co', key.id, '--name', 'svc-2', '--rpm', '5');
    assert.match(updated.stdout, /^name: +svc-2$/m);
    const revoked = await cli('keys', 'revoke', 'cli-co', key.id);
    assert.equal(revoked.exitCode, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`^revoked ${key.id} \\(svc-2\\) at \\d{4}-`));
    assert.equal((await chat()).status, 401);
    assert.match((await cli('keys', 'list', 'cli-co', '--include-revoked')).stdout, /revoked/);
  });

  test('budgets set and clear, for a tenant and for one key', async () => {
    const set = await cli('budgets', 'set', 'cli-co', '--usd', '50', '--period', 'month', '--on-exhausted', 'block');
    assert.equal(set.exitCode, 0, set.stderr);
    assert.equal(set.stdout, 'budget of tenant cli-co: $50 per month, then block\n');
    assert.deepEqual((await admin.stores.tenants.get('cli-co'))?.budget, { amount_usd: 50, period: 'month', on_exhausted: 'block' });
    const key = JSON.parse((await cli('keys', 'create', 'cli-co', '--name', 'b', '--json')).stdout) as { id: string };
    assert.equal((await cli('budgets', 'set', 'cli-co', '--key-id', key.id, '--usd', '2.5', '--period', 'day')).exitCode, 0);
    assert.deepEqual((await admin.stores.keys.get('cli-co', key.id))?.budget, { amount_usd: 2.5, period: 'day' });
    assert.equal((await cli('budgets', 'clear', 'cli-co', '--key-id', key.id)).exitCode, 0);
    assert.equal((await cli('budgets', 'clear', 'cli-co')).stdout, 'budget of tenant cli-co removed\n');
    assert.equal((await admin.stores.tenants.get('cli-co'))?.budget, null);
  });

  test('a tenant admin key manages its tenant and is refused elsewhere, with the API message and exit 1', async () => {
    const adminKey = JSON.parse((await cli('keys', 'create', 'cli-co', '--name', 'ops', '--admin', '--json')).stdout) as { secret: string };
    const asTenant = (...args: string[]) => runCliAsync([...args, '--url', admin.url], { SWITCHYARD_ADMIN_KEY: adminKey.secret });
    assert.equal((await asTenant('keys', 'list', 'cli-co')).exitCode, 0);
    const others = await asTenant('tenants', 'list');
    assert.equal(others.exitCode, 1);
    assert.match(others.stderr, /^switchyard tenants list: 403 permission_denied: /);
    const elsewhere = await asTenant('keys', 'list', 'acme');
    assert.equal(elsewhere.exitCode, 1);
    assert.match(elsewhere.stderr, /404 not_found: No tenant with id "acme"/);
  });

  test('bad usage exits 2, an unreachable gateway 3, a validation error 1 naming the param', async () => {
    assert.equal((await cli('keys', 'create', 'cli-co')).exitCode, 2, '--name is required');
    assert.equal((await cli('tenants', 'create', '--name', 'x', '--rpm', 'lots')).exitCode, 2);
    assert.equal((await cli('tenants', 'frobnicate')).exitCode, 2);
    assert.equal((await cli('tenants', 'get')).exitCode, 2);
    assert.equal((await runCliAsync(['tenants', 'list', '--url', admin.url], {})).exitCode, 2, 'no key anywhere');
    const unreachable = await runCliAsync(['tenants', 'list', '--url', 'http://127.0.0.1:1', '--key', 'k']);
    assert.equal(unreachable.exitCode, 3);
    assert.match(unreachable.stderr, /cannot reach the gateway at http:\/\/127\.0\.0\.1:1/);
    const invalid = await cli('budgets', 'set', 'cli-co', '--usd', '1', '--period', 'week');
    assert.equal(invalid.exitCode, 1);
    assert.match(invalid.stderr, /400 invalid_request: .*\(param: period\)/);
  });

  test('usage, spend and prices print the rows of real traffic', async () => {
    const key = JSON.parse((await cli('keys', 'create', 'cli-co', '--name', 'usage-svc', '--json')).stdout) as { id: string; secret: string };
    const budget = await cli('budgets', 'set', 'cli-co', '--key-id', key.id, '--usd', '5', '--period', 'day');
    assert.equal(budget.exitCode, 0, budget.stderr);
    for (let index = 0; index < 3; index++) {
      const response = await fetch(`${admin.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'sim-small', messages: [{ role: 'user', content: `hello ${index}` }], max_tokens: 4 }),
      });
      assert.equal(response.status, 200, await response.clone().text());
      assert.ok(Number(response.headers.get('x-switchyard-cost-usd')) > 0, 'the configured price makes sim tokens cost something');
      await response.arrayBuffer();
    }
    await admin.gw.gateway.budgets.flush(); // the spend aggregator writes its rollups (also every flush_interval_ms and at shutdown)

    const asJson = await cli('usage', '--tenant', 'cli-co', '--json');
    assert.equal(asJson.exitCode, 0, asJson.stderr);
    const rows = (JSON.parse(asJson.stdout) as { object: string; data: { day: string; tenant_id: string; key_id: string; model: string; requests: number; input_tokens: number; output_tokens: number; cost_usd: number }[] });
    assert.equal(rows.object, 'list');
    const row = rows.data.find((candidate) => candidate.key_id === key.id);
    assert.ok(row !== undefined, `a usage row for ${key.id} in ${asJson.stdout}`);
    assert.deepEqual([row.day, row.tenant_id, row.model, row.requests], [new Date().toISOString().slice(0, 10), 'cli-co', 'sim-small', 3]);
    assert.ok(row.input_tokens > 0 && row.output_tokens > 0, `tokens counted: ${JSON.stringify(row)}`);
    const expectedCost = (row.input_tokens * SIM_PRICE.input + row.output_tokens * SIM_PRICE.output) / 1e6;
    assert.ok(Math.abs(row.cost_usd - expectedCost) < 1e-9, `cost ${row.cost_usd} is the tokens at the configured price (${expectedCost})`);

    const usage = await cli('usage', '--tenant', 'cli-co');
    assert.equal(usage.exitCode, 0, usage.stderr);
    assert.match(usage.stdout.split('\n')[0]!, /^DAY +TENANT_ID +KEY_ID +MODEL +REQUESTS +INPUT_TOKENS +OUTPUT_TOKENS +COST_USD$/);
    const line = [row.day, 'cli-co', key.id, 'sim-small', 3, row.input_tokens, row.output_tokens, row.cost_usd].join(' +');
    assert.match(usage.stdout, new RegExp(`^${line}$`, 'm'), `the table has the key's row: ${usage.stdout}`);

    const spend = await cli('spend', '--tenant', 'cli-co');
    assert.equal(spend.exitCode, 0, spend.stderr);
    assert.match(spend.stdout.split('\n')[0]!, /^SCOPE +ID +NAME +BUDGET_USD +PERIOD +SPENT_USD +RESERVED_USD +REMAINING_USD +RESETS_AT +ON_EXHAUSTED$/);
    assert.match(spend.stdout, /^tenant +cli-co +- +- /m, 'the tenant has no budget (cleared above)');
    const remaining = Math.round((5 - row.cost_usd) * 1e9) / 1e9;
    assert.match(spend.stdout, new RegExp(`^key +${key.id} +usage-svc +5 +${row.day} +${row.cost_usd} +0 +${remaining} +\\d{4}-\\d\\d-\\d\\dT00:00:00\\.000Z +block$`, 'm'), spend.stdout);
    const spendJson = JSON.parse((await cli('spend', '--tenant', 'cli-co', '--json')).stdout) as { tenant_id: string; keys: { key_id: string; budget: { spent_usd: number; remaining_usd: number } | null }[] };
    assert.equal(spendJson.tenant_id, 'cli-co');
    assert.equal(spendJson.keys.find((candidate) => candidate.key_id === key.id)?.budget?.spent_usd, row.cost_usd, 'the budget counter charged what the rollup holds');
    // remaining_usd is exact to the nano-dollar, as the counters keep money: take an amount where plain float
    // subtraction is noisy (0.01 - 0.0082225 = 0.0017774999999999996) and see the clean figure.
    const noisy = Array.from({ length: 1000 }, (_, index) => (index + 1) / 100).find((amount) => amount > row.cost_usd && !/^\d+\.\d{1,9}$/.test(String(amount - row.cost_usd)));
    assert.ok(noisy !== undefined, `some budget amount minus ${row.cost_usd} shows float noise`);
    assert.equal((await cli('budgets', 'set', 'cli-co', '--key-id', key.id, '--usd', String(noisy), '--period', 'day')).exitCode, 0);
    const exact = Math.round((noisy - row.cost_usd) * 1e9) / 1e9;
    const standing = (JSON.parse((await cli('spend', '--tenant', 'cli-co', '--json')).stdout) as typeof spendJson).keys.find((candidate) => candidate.key_id === key.id)?.budget;
    assert.deepEqual(standing && [standing.spent_usd, standing.remaining_usd], [row.cost_usd, exact], `remaining of $${noisy} after $${row.cost_usd}, not ${noisy - row.cost_usd}`);
    assert.equal((await cli('spend')).exitCode, 2, '--tenant is required');
    const ghost = await cli('spend', '--tenant', 'ghost');
    assert.equal(ghost.exitCode, 1);
    assert.match(ghost.stderr, /^switchyard spend: 404 not_found: /);

    const prices = await cli('prices');
    assert.equal(prices.exitCode, 0, prices.stderr);
    assert.match(prices.stdout.split('\n')[0]!, /^MODEL +PROVIDER +INPUT +CACHED_INPUT +OUTPUT +PER_REQUEST +EFFECTIVE_FROM +EFFECTIVE_TO$/);
    assert.match(prices.stdout.split('\n')[1]!, /^sim-small +sim +1000 +- +2000 +- +- +-$/, 'the configured row comes first');
    assert.match(prices.stdout, /^gpt-4o +openai +2\.5 +1\.25 +10 +- +2024-10-02T00:00:00\.000Z +-$/m, 'a shipped list price, with its date');
    const priceRows = (JSON.parse((await cli('prices', '--json')).stdout) as { data: { model: string; source: string }[] }).data;
    assert.ok(priceRows.some((price) => price.model === 'claude-sonnet-4-5' && price.source === 'list'), 'shipped Anthropic prices are listed');
  });

  test('the switchyard binary dispatches admin commands and sets the exit code', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'tenants', 'get', 'cli-co', '--url', admin.url], {
      env: { ...process.env, SWITCHYARD_MASTER_KEY: MASTER_KEY, SWITCHYARD_ADMIN_KEY: '' },
      timeout: 30_000,
    });
    assert.match(stdout, /^id: +cli-co$/m);
    await assert.rejects(
      run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'tenants', 'get', 'ghost', '--url', admin.url, '--key', MASTER_KEY], { timeout: 30_000 }),
      (error: { code?: number; stderr?: string }) => error.code === 1 && /404 not_found/.test(error.stderr ?? ''),
    );
  });
});
