import * as path from 'path';
import { CHATML_TEMPLATE, TokenizerJson } from '@assay/forge';
import { ChatMessage, ChatTemplate, LocalEngine, RuntimeError } from '@assay/runtime';
import { asciiTokenizerJson } from './ascii-tokenizer';
import { newFamilyModel, newTestEngine, removeTestModels } from './fixtures';

/**
 * Chat templates rendered with @huggingface/jinja exactly as transformers.js renders them, and `messages`
 * generation requests: a conversation is its rendered prompt, special tokens and all.
 */
const IM_START = 105;
const IM_END = 106;

/** The test tokenizer plus ChatML's two special tokens. */
function chatTokenizer(): TokenizerJson {
  const base = asciiTokenizerJson();
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return { ...base, added_tokens: [...base.added_tokens, special(IM_START, '<|im_start|>'), special(IM_END, '<|im_end|>')] };
}

/** Mistral-style: BOS from the template, alternation enforced with raise_exception. */
const ALTERNATING_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
  "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";

const CONVERSATIONS: ChatMessage[][] = [
  [{ role: 'user', content: 'hello there' }],
  [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'the cat?' },
    { role: 'assistant', content: 'sat.' },
    { role: 'user', content: 'on what' },
  ],
];

async function peerTokenizer(dir: string) {
  const tjs = await import('@huggingface/transformers');
  tjs.env.allowRemoteModels = false;
  return tjs.AutoTokenizer.from_pretrained(path.resolve(dir), { local_files_only: true });
}

describe('chat templates', () => {
  let engine: LocalEngine;
  let chatDir: string;

  beforeAll(async () => {
    engine = newTestEngine();
    chatDir = (await newFamilyModel('qwen2', { seed: 12, tokenizer: chatTokenizer(), config: { eosTokenId: [0, IM_END] } })).dir;
    expect(await engine.loadModel('chat', chatDir)).toMatchObject({ hasChatTemplate: true });
  });
  afterAll(async () => {
    await engine.close();
    await removeTestModels();
  });

  it('renders like transformers.js (ChatML from forge, and a template using bos_token and raise_exception)', async () => {
    const peer = await peerTokenizer(chatDir);
    const ours = await ChatTemplate.fromDir(chatDir);
    expect(ours!.source).toBe(CHATML_TEMPLATE);
    for (const conversation of CONVERSATIONS) {
      for (const addGenerationPrompt of [true, false]) {
        const expected = peer.apply_chat_template(conversation as never, { tokenize: false, add_generation_prompt: addGenerationPrompt }) as unknown as string;
        expect(ours!.render(conversation, { addGenerationPrompt })).toBe(expected);
      }
    }
    const alternating = ChatTemplate.fromTokenizerConfig({ chat_template: ALTERNATING_TEMPLATE, bos_token: '<s>', eos_token: { content: '</s>', __type: 'AddedToken' } })!;
    const turns = [CONVERSATIONS[1].slice(1), CONVERSATIONS[0]];
    expect(alternating.render(turns[0])).toBe('<s>[INST] the cat? [/INST]sat.</s>[INST] on what [/INST]');
    const error = (() => {
      try {
        return alternating.render(CONVERSATIONS[1]);
      } catch (e) {
        return e as RuntimeError;
      }
    })() as RuntimeError;
    expect(error.kind).toBe('INVALID_REQUEST');
    expect(error.message).toMatch(/roles must alternate/);
    // Named templates (HF's list form) pick "default".
    expect(ChatTemplate.fromTokenizerConfig({ chat_template: [{ name: 'tool_use', template: 'x' }, { name: 'default', template: 'd{{ messages|length }}' }] })!.render(turns[1])).toBe('d1');
  });

  it('generate with messages feeds the rendered conversation, special tokens as their ids and no extra BOS', async () => {
    const rendered = await engine.renderChat({ model: 'chat', messages: CONVERSATIONS[1] });
    expect(rendered.text).toBe(
      '<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nthe cat?<|im_end|>\n<|im_start|>assistant\nsat.<|im_end|>\n<|im_start|>user\non what<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(rendered.tokenIds[0]).toBe(IM_START);
    expect(rendered.tokenIds.filter((id) => id === IM_END)).toHaveLength(4);

    const sampling = { maxNewTokens: 12, temperature: 0.8, seed: 5 };
    const chat = await engine.generate({ model: 'chat', messages: CONVERSATIONS, ...sampling });
    const plain = await engine.generate({ model: 'chat', prompts: chat.renderedPrompts!, addBos: false, ...sampling });
    expect(chat.renderedPrompts![1]).toBe(rendered.text);
    expect(chat.completions.map((c) => c.text)).toEqual(plain.completions.map((c) => c.text));
    expect(chat.completions[1].promptTokens).toBe(rendered.tokenIds.length);
    const single = await engine.generate({ model: 'chat', messages: CONVERSATIONS[1], ...sampling });
    expect(single.completions).toHaveLength(1);
  });

  it('refuses messages with prompts, malformed messages, and messages to a model without a template', async () => {
    const kind = (work: Promise<unknown>) => work.then(() => 'ok', (e: RuntimeError) => e.kind);
    expect(await kind(engine.generate({ model: 'chat', prompts: ['x'], messages: CONVERSATIONS[0] }))).toBe('INVALID_REQUEST');
    expect(await kind(engine.generate({ model: 'chat', messages: [{ role: 'user' }] as never }))).toBe('INVALID_REQUEST');
    expect(await kind(engine.generate({ model: 'chat', messages: [] }))).toBe('INVALID_REQUEST');
    await engine.loadModel('plain', (await newFamilyModel('llama', { chatTemplate: null })).dir);
    expect(await kind(engine.generate({ model: 'plain', messages: CONVERSATIONS[0] }))).toBe('UNSUPPORTED');
    expect(await kind(engine.renderChat({ model: 'plain', messages: CONVERSATIONS[0] }))).toBe('UNSUPPORTED');
  });
});
