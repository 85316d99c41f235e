/** Opens a stream and waits for its first item: proof the upstream answered, and the stream's commit point. */
import { GatewayError } from '../core/errors.js';
import type { Candidate } from '../routing/resolve.js';

export interface OpenedStream<C> {
  first: C;
  rest: AsyncIterator<C>;
}

export async function firstOf<C>(stream: AsyncIterable<C>, candidate: Candidate): Promise<OpenedStream<C>> {
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) {
    throw new GatewayError('upstream_bad_response', `Upstream ${candidate.deployment.adapter.name} sent an empty stream.`, {
      retryable: true,
    });
  }
  return { first: first.value, rest: iterator };
}
