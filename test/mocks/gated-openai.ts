/**
 * An OpenAI chat upstream that holds every request until the test opens the gate: lets a test put N requests in
 * flight at once, whatever the machine's speed. Answers with MOCK_USAGE like the other mocks.
 */
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MOCK_USAGE } from './mock-upstream.js';

export interface GatedOpenAI {
  /** `http://127.0.0.1:<port>/v1`. */
  readonly url: string;
  /** Requests received so far (held or answered). */
  readonly received: number;
  /** Resolves once `count` requests are held. */
  waitForHeld(count: number): Promise<void>;
  /** Answers every held request and every later one at once. */
  open(): void;
  close(): Promise<void>;
}

export async function startGatedOpenAI(): Promise<GatedOpenAI> {
  const held: ServerResponse[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let opened = false;
  let received = 0;
  const answer = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'chatcmpl-gated',
        object: 'chat.completion',
        created: 1,
        model: 'gated',
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: MOCK_USAGE.input, completion_tokens: MOCK_USAGE.output, total_tokens: MOCK_USAGE.input + MOCK_USAGE.output },
      }),
    );
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      if (opened) return answer(res);
      held.push(res);
      for (const waiter of waiters.filter((w) => held.length >= w.count)) waiter.resolve();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get received() {
      return received;
    },
    waitForHeld: (count) => (held.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
    open() {
      opened = true;
      for (const res of held.splice(0)) answer(res);
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}
