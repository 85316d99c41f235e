#!/usr/bin/env node
// Closed-loop load for profiling runs (bench/profile.sh): N concurrent clients on undici, non-stream or stream
// chat requests, for a fixed time. Prints requests/s and a failure count; it measures nothing else.
//   node bench/profile-load.mjs <url> <nonstream|stream> <concurrency> <seconds>
import { Agent, request } from 'undici';

const [url, mode = 'nonstream', concurrency = '8', seconds = '10'] = process.argv.slice(2);
const stream = mode === 'stream';
const body = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello to the benchmark.' }],
  ...(stream ? { stream: true } : {}),
});
const dispatcher = new Agent({ connections: Number(concurrency) });
const endAt = Date.now() + Number(seconds) * 1000;
let done = 0;
let failed = 0;

async function client() {
  while (Date.now() < endAt) {
    const response = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.PROFILE_KEY ?? 'sk-profile'}` },
      body,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200 || (stream && !text.includes('[DONE]'))) failed += 1;
    else done += 1;
  }
}

await Promise.all(Array.from({ length: Number(concurrency) }, client));
await dispatcher.close();
console.log(`${mode} c${concurrency}: ${done} ok, ${failed} failed, ${(done / Number(seconds)).toFixed(0)} req/s`);
