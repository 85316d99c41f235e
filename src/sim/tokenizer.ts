/**
 * Deterministic tokenisation for the simulated engine. Text is split the way byte-level BPE pre-tokenisers split it
 * (a word with its leading space, digit runs, punctuation runs, whitespace); a piece of up to 6 characters is one
 * token (common words are), a longer one is cut into 4-character tokens; each token maps to an id by hash. The split is left to right and context-free, so two prompts that
 * share a text prefix share the token prefix (up to the piece where they diverge), which is what the prefix cache
 * needs. Counts are close to real tokenisers for English (about 4 characters per token).
 */
import { hashString } from '../providers/sim/generate.js';

const pretokenPattern = /'(?:s|t|re|ve|m|ll|d)| ?\p{L}+| ?\p{N}{1,3}| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const wholePieceChars = 6;
const chunkChars = 4;

/** Vocabulary size of the id space (Llama 3's is 128,256); ids below `specialTokenCount` are reserved. */
export const vocabularySize = 128_256;
const specialTokenCount = 256;

/** Reserved ids for the chat template's markers. */
export const specialTokens = {
  beginOfText: 1,
  startHeader: 2,
  endHeader: 3,
  endOfTurn: 4,
} as const;

function pieceId(piece: string): number {
  return specialTokenCount + (hashString(piece) % (vocabularySize - specialTokenCount));
}

/** Token ids of `text`; the same text always gives the same ids. */
export function tokenize(text: string): number[] {
  const ids: number[] = [];
  for (const match of text.matchAll(pretokenPattern)) {
    const piece = match[0];
    if (piece.length <= wholePieceChars) {
      ids.push(pieceId(piece));
      continue;
    }
    for (let start = 0; start < piece.length; start += chunkChars) ids.push(pieceId(piece.slice(start, start + chunkChars)));
  }
  return ids;
}

/** Push without spreading: a long prompt would overflow the argument stack. */
function append(target: number[], source: readonly number[]): void {
  for (const id of source) target.push(id);
}

export interface TemplateMessage {
  role: string;
  text: string;
}

/**
 * A Llama-3-style chat template: `<bos>` then, per message, `<header>role</header>\n\n text <eot>`, then the
 * assistant header the reply follows. A shared system prompt therefore yields a shared leading run of tokens.
 */
export function tokenizeChat(messages: readonly TemplateMessage[]): number[] {
  const ids: number[] = [specialTokens.beginOfText];
  const header = (role: string) => {
    ids.push(specialTokens.startHeader);
    append(ids, tokenize(role));
    ids.push(specialTokens.endHeader);
    append(ids, tokenize('\n\n'));
  };
  for (const message of messages) {
    header(message.role);
    append(ids, tokenize(message.text));
    ids.push(specialTokens.endOfTurn);
  }
  header('assistant');
  return ids;
}
