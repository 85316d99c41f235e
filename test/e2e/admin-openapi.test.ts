/**
 * `GET /admin/openapi.json` is a valid OpenAPI 3.1 document (checked with an independent validator), lists every
 * registered admin route with its operationId, and describes what the gateway really answers: live responses
 * validate against the document's own component schemas.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { adminRoutes } from '../../src/api/admin/index.js';
import { startAdminGateway, type AdminGateway } from '../helpers/admin.js';
import { openMemory } from '../helpers/stores.js';

type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { scheme?: string }> };
  security: unknown[];
};

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

describe('admin OpenAPI document', () => {
  let admin: AdminGateway;
  let document: OpenApi;
  before(async () => {
    admin = await startAdminGateway(openMemory);
    const reply = await admin.call<OpenApi>('GET', '/admin/openapi.json');
    assert.equal(reply.status, 200);
    document = reply.body;
  });
  after(() => admin.close());

  test('is valid OpenAPI 3.1 with a bearer security scheme', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    assert.equal(validator.version, '3.1');
    assert.ok(result.valid, `invalid OpenAPI: ${JSON.stringify(result.errors, null, 1)?.slice(0, 3000)}`);
    assert.equal(document.components.securitySchemes.bearer?.scheme, 'bearer');
    assert.deepEqual(document.security, [{ bearer: [] }]);
  });

  test('lists every registered admin route, resilience and other modules included', () => {
    assert.ok(adminRoutes.length >= 18, `${adminRoutes.length} routes registered`);
    for (const route of adminRoutes) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      assert.ok(operation !== undefined, `${route.method} ${route.path} is in the document`);
      assert.equal(operation.operationId, route.operationId);
      assert.ok(String(route.status ?? 200) in operation.responses, `${route.operationId} documents its success status`);
    }
    for (const path of ['/admin/deployments', '/admin/kill-switches', '/admin/tenants/{tenant_id}/keys/{key_id}/budget']) {
      assert.ok(path in document.paths, `${path} listed`);
    }
  });

  test("the gateway's real responses match the document's schemas", async () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    ajv.addSchema({ $id: 'admin.json', components: document.components });
    const check = (schema: string, value: unknown) => {
      const validate = ajv.compile({ $ref: `admin.json#/components/schemas/${schema}` });
      assert.ok(validate(value), `${schema}: ${JSON.stringify(validate.errors)} for ${JSON.stringify(value).slice(0, 500)}`);
    };
    const tenant = await admin.call('POST', '/admin/tenants', { body: { id: 'doc', name: 'Doc', budget: { amount_usd: 1, period: 'day' }, metadata: { a: [1, { b: null }] } } });
    check('Tenant', tenant.body);
    const key = await admin.call<{ id: string }>('POST', '/admin/tenants/doc/keys', { body: { name: 'k', scopes: { models: ['sim-*'], admin: true }, expires_at: '2999-01-01T00:00:00Z' } });
    check('CreatedApiKey', key.body);
    check('ApiKey', (await admin.call('DELETE', `/admin/tenants/doc/keys/${key.body.id}`)).body);
    check('ListTenantsResponse', (await admin.call('GET', '/admin/tenants')).body);
    check('ListKeysResponse', (await admin.call('GET', '/admin/tenants/doc/keys?include_revoked=true')).body);
    check('ListDeploymentsResponse', (await admin.call('GET', '/admin/deployments')).body);
    check('GetResilienceStatusResponse', (await admin.call('GET', '/admin/resilience')).body);
    check('Error', (await admin.call('GET', '/admin/tenants/nope')).body);
  });
});
