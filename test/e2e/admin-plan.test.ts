/** `POST /admin/plan` through the real HTTP edge: the CLI's report, manifests on request, 400s that name the field. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runPlanCommand } from '../../src/cli/plan.js';
import { postJson, simConfig, startTestGateway, type RunningGateway } from '../helpers/server.js';

const masterKey = 'sk-master-plan-test';
const auth = { authorization: `Bearer ${masterKey}` };

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

describe('admin: capacity plan', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startTestGateway(simConfig({ auth: { master_key: masterKey } }));
  });
  after(() => gw.close());

  const plan = (body: unknown, headers: Record<string, string> = auth) => postJson(`${gw.url}/admin/plan`, body, headers);

  test('needs the master key', async () => {
    const response = await plan({ model: 'llama-3.1-8b', gpu: 'h100' }, {});
    assert.equal(response.status, 401);
  });

  test('answers exactly what `switchyard plan --json` prints for the same input', async () => {
    const response = await plan({ model: 'qwen2.5-72b', gpu: 'h200', weightDtype: 'fp8', demand: { dailyActiveUsers: 50_000 }, itlTargetMs: 40 });
    assert.equal(response.status, 200);
    const cli = runPlanCommand(['--model', 'qwen2.5-72b', '--gpu', 'h200', '--dtype', 'fp8', '--dau', '50000', '--itl-ms', '40', '--json']);
    assert.equal(cli.exitCode, 0, cli.stderr);
    assert.deepEqual(await response.json(), JSON.parse(cli.stdout));
  });

  test('with `manifests`, returns the Kubernetes objects and their YAML', async () => {
    const response = await plan({
      model: 'llama-3.1-8b',
      gpu: 'l40s',
      demand: { dailyActiveUsers: 100_000 },
      manifests: { engine: 'vllm', autoscaler: 'keda', namespace: 'inference' },
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { demand: { replicas: number }; manifests: { objects: { kind: string; metadata: { namespace: string } }[]; yaml: string } };
    assert.deepEqual(body.manifests.objects.map((o) => o.kind), ['Deployment', 'Service', 'PodDisruptionBudget', 'ScaledObject']);
    assert.ok(body.manifests.objects.every((o) => o.metadata.namespace === 'inference'), 'every object in the namespace asked for');
    assert.match(body.manifests.yaml, /^kind: ScaledObject$/m);
    assert.match(body.manifests.yaml, new RegExp(`maxReplicaCount: ${body.demand.replicas}\\n`));
  });

  test('an unknown GPU is a 400 on `gpu` that lists the known ones', async () => {
    const response = await plan({ model: 'llama-3.1-8b', gpu: 'h900' });
    assert.equal(response.status, 400);
    const { error } = (await response.json()) as ErrorBody;
    assert.equal(error.param, 'gpu');
    assert.equal(error.type, 'invalid_request_error');
    assert.match(error.message, /unknown gpu "h900"; known: .*h100-sxm.*mi300x/);
  });

  test('an unknown model is a 400 on `model`', async () => {
    const { error } = (await (await plan({ model: 'llama-9', gpu: 'h100' })).json()) as ErrorBody;
    assert.equal(error.param, 'model');
    assert.match(error.message, /known: .*llama-3\.1-8b/);
  });

  test('schema failures name the nested field; unknown fields are refused', async () => {
    const wrongType = await plan({ model: 'llama-3.1-8b', gpu: 'h100', demand: { dailyActiveUsers: 'many' } });
    assert.equal(wrongType.status, 400);
    assert.equal(((await wrongType.json()) as ErrorBody).error.param, 'demand.dailyActiveUsers');
    const misspelt = await plan({ model: 'llama-3.1-8b', gpu: 'h100', tensorParalel: 2 });
    assert.equal(misspelt.status, 400);
    assert.match(((await misspelt.json()) as ErrorBody).error.message, /tensorParalel/);
    const manifestField = await plan({ model: 'llama-3.1-8b', gpu: 'h100', manifests: { autoscaler: 'vpa' } });
    assert.equal(((await manifestField.json()) as ErrorBody).error.param, 'manifests.autoscaler');
  });

  test('manifests that cannot be made are a 400 on the manifest field to change', async () => {
    const response = await plan({ model: 'llama-3.1-8b', gpu: 'h100', manifests: {} });
    assert.equal(response.status, 400);
    const { error } = (await response.json()) as ErrorBody;
    assert.equal(error.param, 'manifests.maxReplicas');
  });
});
