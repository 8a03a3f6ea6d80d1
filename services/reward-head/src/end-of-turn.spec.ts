import { AssayError } from '@assay/contracts';
import { assertEndsWithAssistant, candidateConversations, contextConversation, cutAtEndOfTurn, endOfTurnMarker, ownTokenIds, PROBE_CONVERSATION, statesFollowScoredTokens, stripEndOfTurn } from './end-of-turn';

/** ChatML as forged models and Qwen2 ship it (tokenizer-dir.ts CHATML_TEMPLATE), rendered by hand. */
const chatml = (messages: Array<{ role: string; content: string }>) => messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('');
/** Llama 3's layout. */
const llama3 = (messages: Array<{ role: string; content: string }>) =>
  '<|begin_of_text|>' + messages.map((m) => `<|start_header_id|>${m.role}<|end_header_id|>\n\n${m.content}<|eot_id|>`).join('');

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as AssayError).code;
  }
  return 'no error';
};

describe('end-of-turn rule (spec dph.md §3, pitfall 1)', () => {
  it('finds the template\'s end-of-turn marker from a probe rendering', () => {
    expect(endOfTurnMarker(chatml(PROBE_CONVERSATION))).toBe('<|im_end|>');
    expect(endOfTurnMarker(llama3(PROBE_CONVERSATION))).toBe('<|eot_id|>');
    expect(code(() => endOfTurnMarker('<|im_start|>user\nhello'))).toBe('BAD_REQUEST');
  });

  it('renders the same text whether or not the candidate ends with the marker', () => {
    const context = contextConversation({ prompt: 'Capital of France?' });
    const [plain, closed, closedNewline] = candidateConversations(context, ['Paris', 'Paris<|im_end|>', 'Paris<|im_end|>\n'], '<|im_end|>');
    const cut = (c: typeof plain) => cutAtEndOfTurn(chatml(c), '<|im_end|>', c[c.length - 1].content);
    expect(cut(plain)).toBe('<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\nParis<|im_end|>');
    expect(cut(closed)).toBe(cut(plain));
    expect(cut(closedNewline)).toBe(cut(plain));
    expect(stripEndOfTurn('a <|im_end|> b', '<|im_end|>')).toBe('a <|im_end|> b');
  });

  it('reads at the assistant\'s LAST end-of-turn, never the user\'s', () => {
    const conversation = candidateConversations([{ role: 'system', content: 's' }, { role: 'user', content: 'q' }], ['a'], '<|im_end|>')[0];
    const text = cutAtEndOfTurn(chatml(conversation), '<|im_end|>', 'a');
    expect(text.endsWith('assistant\na<|im_end|>')).toBe(true);
  });

  it('refuses a conversation whose last turn is the user\'s, and messages that end with the assistant', () => {
    expect(code(() => assertEndsWithAssistant([{ role: 'user', content: 'q' }]))).toBe('BAD_REQUEST');
    expect(code(() => assertEndsWithAssistant([]))).toBe('BAD_REQUEST');
    expect(code(() => assertEndsWithAssistant([{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }]))).toBe('no error');
    expect(code(() => contextConversation({ messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }] }))).toBe('BAD_REQUEST');
    expect(contextConversation({ messages: [{ role: 'user', content: 'q' }] })).toEqual([{ role: 'user', content: 'q' }]);
  });

  it('refuses a template that does not close the assistant\'s turn', () => {
    const open = '<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\nanswer';
    expect(code(() => cutAtEndOfTurn(open, '<|im_end|>', 'answer'))).toBe('BAD_REQUEST');
    // Whitespace-only and newline answers are closed like any other.
    for (const content of ['\n', ' ', '\n\nx\n']) {
      const text = chatml([{ role: 'user', content: 'q' }, { role: 'assistant', content }]);
      expect(cutAtEndOfTurn(text, '<|im_end|>', content)).toBe(text.slice(0, text.lastIndexOf('<|im_end|>') + '<|im_end|>'.length));
    }
  });

  it('reuses a sampled end-of-turn state only when scoring the text feeds exactly the ids it was computed over', () => {
    const tokens = (ids: number[]) => ids.map((id) => ({ id, text: '', logprob: 0, samplingLogprob: 0 }));
    // The end-of-turn token (106) replaces a final EOS; after a stop string or the length limit it follows every token.
    expect(ownTokenIds({ tokens: tokens([7, 8, 106]), finishReason: 'eos' })).toEqual([7, 8]);
    expect(ownTokenIds({ tokens: tokens([7, 8, 0]), finishReason: 'eos' })).toEqual([7, 8]);
    expect(ownTokenIds({ tokens: tokens([7, 8]), finishReason: 'length' })).toEqual([7, 8]);
    expect(ownTokenIds({ tokens: tokens([7, 8, 9]), finishReason: 'stop' })).toEqual([7, 8, 9]);
    const prompt = [105, 1, 2, 106, 105, 3];
    expect(statesFollowScoredTokens([...prompt, 7, 8, 106], prompt, [7, 8], 106)).toBe(true);
    expect(statesFollowScoredTokens([...prompt, 106], prompt, [], 106)).toBe(true);
    // A stop string cut the text (9 is gone), a non-canonical split (7, 8 re-tokenised as 78), a dropped special token.
    expect(statesFollowScoredTokens([...prompt, 7, 8, 106], prompt, [7, 8, 9], 106)).toBe(false);
    expect(statesFollowScoredTokens([...prompt, 78, 106], prompt, [7, 8], 106)).toBe(false);
    expect(statesFollowScoredTokens([...prompt, 7, 106], prompt, [7, 105], 106)).toBe(false);
    // Another prompt rendering or another end-of-turn token.
    expect(statesFollowScoredTokens([105, 1, 2, 106, 105, 4, 7, 8, 106], prompt, [7, 8], 106)).toBe(false);
    expect(statesFollowScoredTokens([...prompt, 7, 8, 106], prompt, [7, 8], 0)).toBe(false);
  });
});
