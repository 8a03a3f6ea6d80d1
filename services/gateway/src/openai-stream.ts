import type { ServerResponse } from 'node:http';
import { ChatCompletion, TextCompletion } from '@assay/contracts';

/**
 * `stream: true` as OpenAI sends it: Server-Sent Events of `chat.completion.chunk` (or `text_completion`) objects, then
 * `data: [DONE]`. Certified text is released only once it is accepted: certification needs the whole draw (the ratio
 * test is over the full sequence), so the gateway certifies first and then streams the accepted text (per choice: the
 * role, the content, and a last chunk with finish_reason and the `assay` block). Nothing of a rejected draw is ever
 * sent, and an abstention streams the refusal text with finish_reason "content_filter".
 */
export function chatChunks(completion: ChatCompletion): unknown[] {
  const base = { id: completion.id, object: 'chat.completion.chunk', created: completion.created, model: completion.model };
  const chunks: unknown[] = [];
  for (const choice of completion.choices) {
    chunks.push({ ...base, choices: [{ index: choice.index, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null }] });
    chunks.push({ ...base, choices: [{ index: choice.index, delta: { content: choice.message.content }, finish_reason: null, logprobs: null }] });
    chunks.push({ ...base, choices: [{ index: choice.index, delta: {}, finish_reason: choice.finish_reason, logprobs: null }], assay: choice.assay });
  }
  chunks.push({ ...base, choices: [], usage: completion.usage, assay: completion.assay });
  return chunks;
}

export function textChunks(completion: TextCompletion): unknown[] {
  const base = { id: completion.id, object: 'text_completion', created: completion.created, model: completion.model };
  return [
    ...completion.choices.map((c) => ({ ...base, choices: [{ index: c.index, text: c.text, finish_reason: c.finish_reason, logprobs: null }], assay: c.assay })),
    { ...base, choices: [], usage: completion.usage, assay: completion.assay },
  ];
}

export function writeEventStream(res: ServerResponse, chunks: unknown[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  for (const chunk of chunks) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  res.end('data: [DONE]\n\n');
}
