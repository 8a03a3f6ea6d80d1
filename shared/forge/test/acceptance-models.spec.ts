import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildGradedModel, CHATML_TEMPLATE, GRADED_MODEL_SPEC, gradedChatTurns, gradedKnowledgeTask, GradedModelSpec, IM_END, IM_START, renderChatMl } from '@assay/forge';
import { LocalEngine } from '@assay/runtime';

/**
 * The graded-knowledge L's recipe on tiny sizes: the model directory has ChatML's markers as single special
 * tokens and a chat template the runtime renders (the reward head reads its states at `<|im_end|>`), and the
 * runtime measures its accuracy per mention bucket.
 */
describe('graded-knowledge acceptance model (tiny)', () => {
  let dir: string;
  let engine: LocalEngine;
  const spec: GradedModelSpec = {
    ...GRADED_MODEL_SPEC,
    task: { people: 24, seed: 3 },
    choiceDrills: 2,
    tokenizer: { vocabSize: 400, maxChars: 100_000 },
    model: { layers: 1, heads: 2, dim: 32, contextLength: 96 },
    train: { maxSteps: 12, batchSize: 4, learningRate: 3e-3, warmupSteps: 2, seed: 0 },
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-graded-tiny-'));
    engine = new LocalEngine({ config: { executor: { workers: 1 }, session: { intraOpNumThreads: 1 } }, logger: { info: () => undefined, warn: () => undefined } });
  });
  afterAll(async () => {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reserves the ChatML tokens, carries the ChatML template, and renders chats through the runtime', async () => {
    const modelDir = path.join(dir, 'model');
    const built = await buildGradedModel(spec, modelDir, { kind: 'forged', recipe: 'test' });
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.onnx', 'generation_config.json', 'weights.bin']) {
      expect(fs.existsSync(path.join(modelDir, file))).toBe(true);
    }
    const tokenizer = JSON.parse(fs.readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8')) as { added_tokens: { id: number; content: string; special: boolean }[] };
    const special = new Map(tokenizer.added_tokens.filter((t) => t.special).map((t) => [t.content, t.id]));
    expect(special.has(IM_START) && special.has(IM_END)).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(modelDir, 'tokenizer_config.json'), 'utf8')).chat_template).toBe(CHATML_TEMPLATE);
    expect(JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8')).assay).toMatchObject({ recipe: 'test' });

    expect(await engine.loadModel('graded', modelDir)).toMatchObject({ hasChatTemplate: true });
    const task = gradedKnowledgeTask(spec.task);
    const item = task.multipleChoice[0];
    const turns = gradedChatTurns(item);
    const rendered = await engine.renderChat({ model: 'graded', messages: turns, addGenerationPrompt: false });
    expect(rendered.text).toBe(renderChatMl(turns));
    // The markers are one token each: the turn ends on <|im_end|> (then the template's newline).
    const markers = rendered.tokenIds.filter((id) => id === special.get(IM_START) || id === special.get(IM_END));
    expect(markers).toHaveLength(4);
    expect(rendered.tokenIds[rendered.tokenIds.length - 2]).toBe(special.get(IM_END));

    // Accuracy per mention bucket covers every test question.
    const tests = task.openEnded.filter((q) => q.split === 'test').length;
    expect(built.accuracy.openEndedByMentions.reduce((n, b) => n + b.n, 0)).toBe(tests);
    expect(built.accuracy.openEnded).toBeGreaterThanOrEqual(0);
    expect(built.accuracy.openEnded).toBeLessThanOrEqual(1);
  }, 300_000);
});
