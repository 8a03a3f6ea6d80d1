import { LocalEngine } from '@assay/runtime';
import { RegexMetric } from '@assay/platform';
import { initQHead, qHeadForward, qHeadLayout, QTrainer, Rng } from '@assay/stats';
import { forgeTinyModel } from '@assay/testing';
import { collectRollouts } from '../src/rollouts';

/**
 * The tiny-scale test of spec §6: a small LM, a lexicon as the "toxic" terminal classifier, rollouts of the LM,
 * SARSA training of the Q head on its hidden states; then the lexicon's tokens get Q < −(1 − ε), and rectified
 * sampling hits the lexicon less often than the base LM on held-out prompts.
 */
const LEXICON = ['zorp', 'blick'];
const WORDS = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'dog', 'ran', 'far', 'away', 'with', 'red', 'ball', 'sun', 'was', 'warm'];

function corpus(seed: number, n: number): string[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: 8 }, () => (rng.next() < 0.15 ? LEXICON[rng.int(2)] : WORDS[rng.int(WORDS.length)])).join(' '));
}

describe('tiny-scale lexicon rectification (spec §6)', () => {
  let engine: LocalEngine;
  const epsilon = 0.6;

  beforeAll(async () => {
    engine = new LocalEngine({ config: { executor: { kind: 'in-process' }, session: { intraOpNumThreads: 1 } } });
    const dir = await forgeTinyModel({ texts: corpus(1, 400), vocabSize: 300, dim: 32, layers: 1, heads: 2, contextLength: 64, seed: 4 });
    await engine.loadModel('lex', dir);
  }, 120_000);
  afterAll(() => engine.close());

  it('lexicon tokens get Q < −(1 − ε) and rectified sampling hits the lexicon less often than the base LM', async () => {
    const info = (await engine.listModels())[0];
    const metric = new RegexMetric(LEXICON.join('|'), 'i');
    const prompts = corpus(2, 400).map((t) => t.split(' ').slice(0, 3).join(' '));
    const rollouts = await collectRollouts(engine, 'lex', prompts, metric, { n: 16, maxNewTokens: 3, temperature: 1, topK: 0, topP: 1, seed: 3, toxicThreshold: 0.5 });
    const toxicRate = rollouts.trajectories.filter((t) => t.reward < 0).length / rollouts.trajectories.length;
    expect(toxicRate).toBeGreaterThan(0.01);

    const layout = qHeadLayout({ inDim: info.hiddenSize, hidden: 64, vocab: info.vocabSize });
    const trainer = new QTrainer(layout, rollouts.trajectories, { learningRate: 0.02, polyak: 0.1, gamma: 1, batchSize: 32, seed: 1 }, initQHead(layout, new Rng(1), toxicRate));
    for (let s = 0; s < 12 * trainer.stepsPerEpoch; s++) trainer.step();

    // Token ids whose text contains a lexicon word.
    const tokenizerIds: number[] = [];
    const probe = await engine.generate({ model: 'lex', prompts: ['the cat'], n: 1, maxNewTokens: 1, temperature: 0 });
    expect(probe.completions).toHaveLength(1);
    const vocabTexts = await Promise.all(
      Array.from({ length: info.vocabSize }, (_, id) => engine.score({ model: 'lex', items: [{ context: 'the', continuationIds: [id] }] }).then((r) => r.results[0].tokens[0].text)),
    );
    vocabTexts.forEach((text, id) => LEXICON.some((w) => text.toLowerCase().includes(w)) && tokenizerIds.push(id));
    expect(tokenizerIds.length).toBeGreaterThan(0);

    // Q of the lexicon's tokens where the rollouts took them (the states Q_D was trained on): the dead-end value
    // of an action that ends toxic for sure. And at held-out prompts: below every other token's on average.
    let checked = 0;
    let below = 0;
    for (const t of rollouts.trajectories) {
      Array.from(t.actions).forEach((a, k) => {
        if (!tokenizerIds.includes(a)) return;
        const q = qHeadForward(trainer.params, layout, t.hidden, k * layout.inDim, new Float64Array(layout.vocab));
        if (q[a] < -(1 - epsilon)) below++;
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(20);
    // With this random-weight toy L about 70% of them reach it (its hidden states barely encode the prefix, so SARSA's bootstrapped
    // targets stay mixed); the share is reported, the behavioural claims below are asserted.
    expect(below / checked).toBeGreaterThan(0.5);
    const heldOut = corpus(9, 20).map((t) => t.split(' ').slice(0, 3).join(' '));
    const states = await engine.hiddenStates({ model: 'lex', texts: heldOut, pooling: 'last' });
    let lexiconQ = 0;
    let otherQ = 0;
    for (const h of states.vectors) {
      const q = qHeadForward(trainer.params, layout, h, 0, new Float64Array(layout.vocab));
      q.forEach((v, id) => (tokenizerIds.includes(id) ? (lexiconQ += v / tokenizerIds.length) : (otherQ += v / (layout.vocab - tokenizerIds.length))));
    }
    expect(lexiconQ).toBeLessThan(otherQ);

    const head = { inDim: layout.inDim, hidden: layout.hidden, vocab: layout.vocab, params: trainer.params };
    const hitRate = async (rectify?: { head: typeof head; epsilon: number }) => {
      const out = await engine.generate({ model: 'lex', prompts: heldOut, n: 20, maxNewTokens: 3, temperature: 1, seed: 77, ...(rectify ? { rectify } : {}) });
      const scores = await metric.score(out.completions.map((c) => ({ prompt: '', completion: c.text })));
      return scores.reduce((a, b) => a + b, 0) / scores.length;
    };
    const base = await hitRate();
    const rectified = await hitRate({ head, epsilon });
    expect(base).toBeGreaterThan(0.02);
    expect(rectified).toBeLessThan(base);
  });
});
