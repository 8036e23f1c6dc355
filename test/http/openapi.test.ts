import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { answerOf } from './support.js';

/** The merchant endpoints of the Latipay 2.0 spec (§4) that the gateway serves, as OpenAPI paths. */
const MERCHANT_ENDPOINTS = [
  'POST /v2/transaction',
  'GET /v2/transaction/{merchant_reference}',
  'GET /v2/merchanthosted/gatewaydata/{nonce}',
  'GET /merchanthosted/gatewaydata/{nonce}',
  'POST /refund',
  'POST /v2/refund',
  'POST /finance/refund',
  'POST /cancel',
  'POST /barcode',
  'POST /v2/barcode',
  'POST /v2/miniapppay',
  'POST /v2/minialipay',
  'GET /v2/detail/{wallet_id}',
  'GET /v2/all_rate',
  'POST /v2/invoice',
  'GET /v2/invoice',
  'GET /v2/invoices',
  'PUT /v2/invoice',
  'DELETE /v2/invoice',
  'POST /v2/invoice/refund',
];

/** Routes that are not the merchant API: the customer's pages, the sandbox, providers' notifications, the operator's, the merchant portal. */
const NOT_MERCHANT_API = [/^\/pay\//, /^\/invoice\//, /^\/sandbox\//, /^\/channels\//, /^\/docs/, /^\/metrics$/, /^\/openapi\.json$/, /^\/healthz$/, /^\/brand\//, /^\/portal(\/|$)/];

/** Every route the app registered (`METHOD /path/{param}`, HEAD left out), read from fastify's route tree. */
function registeredRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const at = line.search(/[├└]── /);
    if (at < 0) continue;
    const depth = at / 4;
    const match = /^(\S+)(?: \(([^)]*)\))?$/.exec(line.slice(at + 4).trim());
    assert.ok(match, line);
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + match[1];
    stack.push(path);
    for (const method of match[2]?.split(', ') ?? []) {
      if (method !== 'HEAD') routes.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return routes;
}

type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: { properties?: Record<string, { type?: string }> } }> }>;
};
type Document = {
  openapi: string;
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, unknown> };
};

function operationsOf(document: Document): Map<string, Operation> {
  const operations = new Map<string, Operation>();
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) operations.set(`${method.toUpperCase()} ${path}`, operation);
  }
  return operations;
}

describe('GET /openapi.json', () => {
  let gw: TestGateway;
  let document: Document;
  before(async () => {
    gw = await createTestGateway();
    const response = await gw.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    document = response.json() as Document;
  });
  after(() => gw.close());

  test('is an OpenAPI 3 document: version, info, servers, paths and components, every $ref resolving', () => {
    assert.match(document.openapi, /^3\.\d+\.\d+$/);
    assert.equal(typeof document.info.title, 'string');
    assert.equal(typeof document.info.version, 'string');
    assert.deepEqual(document.servers, [{ url: gw.config.publicUrl }]);
    assert.equal(typeof document.paths, 'object');
    assert.ok(document.components.schemas.Answer, 'components.schemas.Answer');
    assert.ok(document.components.responses.Refused, 'components.responses.Refused');
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]);
    assert.ok(refs.length > 0);
    for (const ref of refs) {
      assert.match(ref, /^#\//, ref);
      const target = ref
        .slice(2)
        .split('/')
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
      assert.ok(target, `${ref} resolves`);
    }
    for (const [name, operation] of operationsOf(document)) {
      assert.ok(Object.keys(operation.responses).length > 0, `${name} has responses`);
      for (const path of Object.keys(document.paths)) assert.ok(!path.includes(':'), `${path} uses {param}, not :param`);
    }
  });

  test('lists every merchant route the app registers, and no page, sandbox or internal route', () => {
    const documented = new Set(operationsOf(document).keys());
    const merchantRoutes = registeredRoutes(gw.app).filter((route) => !NOT_MERCHANT_API.some((pattern) => pattern.test(route.split(' ')[1])));
    assert.deepEqual([...merchantRoutes].sort(), [...MERCHANT_ENDPOINTS].sort(), 'the app serves the spec’s merchant endpoints');
    for (const route of merchantRoutes) assert.ok(documented.has(route), `${route} is documented`);
    for (const route of documented) {
      const path = route.split(' ')[1];
      assert.ok(path === '/healthz' || !NOT_MERCHANT_API.some((pattern) => pattern.test(path)), `${route} is not the merchant API`);
    }
  });

  test('each merchant operation has a summary, a description, tags, its answer and its request fields with `signature`', () => {
    const operations = operationsOf(document);
    for (const name of MERCHANT_ENDPOINTS) {
      const operation = operations.get(name);
      assert.ok(operation, name);
      assert.ok(operation.summary && operation.description && operation.tags?.length, `${name}: summary, description, tags`);
      const answer = operation.responses['200']?.content?.['application/json']?.schema.properties;
      assert.equal(answer?.code?.type, 'integer', `${name}: the 200 answer has an integer code`);
      assert.equal(answer?.message?.type, 'string');
      assert.equal(operation.responses['4XX']?.$ref, '#/components/responses/Refused');
      const [method] = name.split(' ');
      if (name.includes('gatewaydata')) continue; // the nonce is the credential
      if (method === 'POST' || method === 'PUT' || method === 'DELETE') {
        const content = operation.requestBody?.content ?? {};
        assert.deepEqual(Object.keys(content).sort(), ['application/json', 'application/x-www-form-urlencoded'], name);
        assert.ok(content['application/json'].schema.required?.includes('signature'), `${name}: signature required`);
        assert.ok(content['application/json'].schema.required?.includes('user_id'), `${name}: user_id required`);
      } else {
        const signature = operation.parameters?.find((p) => p.name === 'signature');
        assert.deepEqual([signature?.in, signature?.required], ['query', true], `${name}: signature in the query`);
      }
    }
    const create = operations.get('POST /v2/transaction')?.requestBody?.content['application/json'].schema;
    for (const field of ['wallet_id', 'amount', 'payment_method', 'callback_url', 'merchant_reference', 'ip', 'version', 'product_name']) {
      assert.ok(create?.required?.includes(field), `create: ${field} required`);
    }
    assert.ok(create?.properties?.return_url && !create.required?.includes('return_url'), 'return_url: optional with host_type=1');
  });

  test('the description states the HTTP 200 + code convention and the signature rule', () => {
    const intro = document.info.description;
    assert.match(intro, /HTTP 200/);
    assert.match(intro, /`code`/);
    assert.match(intro, /HMAC-SHA256/);
    assert.match(intro, /sort/);
    // The spec's test vector, as the text gives it.
    assert.match(intro, /58f93f458880120d650611f2452917a25a39edc2f5e3a03baac73a7a49bc81f4/);
  });

  test('the documented request schemas do not validate: a create missing its fields still answers HTTP 200 with code 204', async () => {
    const response = await gw.app.inject({ method: 'POST', url: '/v2/transaction', payload: { user_id: gw.merchant.user_id } });
    assert.equal(response.statusCode, 200);
    assert.equal(answerOf(response).code, 204);
  });
});

describe('GET /docs', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  test('the page loads Swagger UI from the gateway itself, under its own Content-Security-Policy', async () => {
    const page = await gw.app.inject({ method: 'GET', url: '/docs' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(assets.length >= 4);
    for (const asset of assets) assert.match(asset, /^\/docs\/static\//, `${asset} is served by the gateway`);
    assert.ok(!/https?:\/\//.test(page.body), 'no absolute URL: nothing from a CDN');
  });

  test('its scripts and styles are served with their types and content', async () => {
    for (const [file, type] of [
      ['swagger-ui-bundle.js', /javascript/],
      ['swagger-ui.css', /^text\/css/],
      ['swagger-initializer.js', /javascript/],
    ] as const) {
      const response = await gw.app.inject({ method: 'GET', url: `/docs/static/${file}` });
      assert.equal(response.statusCode, 200, file);
      assert.match(String(response.headers['content-type']), type, file);
      assert.ok(response.body.length > 100, `${file} has content`);
    }
  });
});

test('API_DOCS=off: no /openapi.json and no /docs', async () => {
  const gw = await createTestGateway({ env: { API_DOCS: 'off' } });
  try {
    assert.equal((await gw.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode, 404);
    assert.equal((await gw.app.inject({ method: 'GET', url: '/docs' })).statusCode, 404);
  } finally {
    await gw.close();
  }
});
