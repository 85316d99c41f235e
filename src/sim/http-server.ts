/**
 * The simulated engine's HTTP edge (node:http), with vLLM's OpenAI-compatible routes: POST /v1/chat/completions
 * and /v1/completions, GET /v1/models, /health and /metrics. Request bodies are bounded in size and time; every
 * error is an OpenAI error body with its status.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { GatewayError } from '../core/errors.js';
import type { SimEngine } from './engine.js';
import { parseChatRequest, parseCompletionRequest, type ParsedGeneration } from './openai-requests.js';
import { serveGeneration, writeError } from './openai-responses.js';

export const maxBodyBytes = 8 * 1024 * 1024;
const bodyTimeoutMs = 30_000;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) {
      reject(new GatewayError('request_too_large', `request bodies are limited to ${maxBodyBytes} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => reject(new GatewayError('body_timeout', `the request body did not arrive within ${bodyTimeoutMs} ms`)), bodyTimeoutMs);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        clearTimeout(timer);
        reject(new GatewayError('request_too_large', `request bodies are limited to ${maxBodyBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GatewayError('invalid_json', 'the request body is not valid JSON');
  }
}

type Parser = (body: unknown, servedModel: string) => ParsedGeneration;

const generationRoutes: Readonly<Record<string, Parser>> = {
  '/v1/chat/completions': parseChatRequest,
  '/v1/completions': parseCompletionRequest,
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function createSimServer(engine: SimEngine, registry: Registry): Server {
  const servedModel = engine.config.options.servedModelName;
  const startedAt = Math.floor(Date.now() / 1000);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const parser = generationRoutes[path];
    if (parser !== undefined) {
      if (req.method !== 'POST') throw new GatewayError('method_not_allowed', `${path} accepts POST`);
      const request = parser(await readJson(req), servedModel);
      await serveGeneration(engine, request, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new GatewayError('method_not_allowed', `${path} accepts GET`);
    switch (path) {
      case '/health':
        res.writeHead(200).end();
        return;
      case '/v1/models':
        sendJson(res, 200, {
          object: 'list',
          data: [{ id: servedModel, object: 'model', created: startedAt, owned_by: 'switchyard-sim', root: engine.config.deployment.model.id,
            parent: null, max_model_len: engine.config.capacity.maxModelLen }],
        });
        return;
      case '/metrics': {
        const text = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType }).end(text);
        return;
      }
      default:
        throw new GatewayError('not_found', `no route for ${req.method} ${path}`);
    }
  };

  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      writeError(res, error instanceof GatewayError ? error : new GatewayError('internal_error', error instanceof Error ? error.message : String(error)));
    });
  });
}
