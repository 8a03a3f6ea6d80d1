import { Rng } from '../rng';
import { initQHead, qHeadLayout, qHeadTaken } from './q-head';
import { QTrainer, QTrajectory } from './q-trainer';

/**
 * Toy MDP: 4 tokens; a trajectory that ever takes token 3 ends toxic (reward −1), otherwise clean. The state's
 * hidden vector says whether token 3 was already taken (feature 0), plus noise, as L's hidden state would encode its prefix.
 */
function toyTrajectories(n: number, seed: number): QTrajectory[] {
  const rng = new Rng(seed);
  const out: QTrajectory[] = [];
  for (let i = 0; i < n; i++) {
    const T = 1 + rng.int(4);
    const actions = Array.from({ length: T }, () => (rng.next() < 0.15 ? 3 : rng.int(3)));
    const hidden = Float32Array.from({ length: T * 3 }, () => rng.normal(0, 0.3));
    for (let t = 1; t < T; t++) if (actions.slice(0, t).includes(3)) hidden[t * 3] += 2;
    out.push({ hidden, actions, reward: actions.includes(3) ? -1 : 0 });
  }
  return out;
}

describe('QTrainer (SARSA on frozen hidden states)', () => {
  const layout = qHeadLayout({ inDim: 3, hidden: 8, vocab: 4 });
  const options = { learningRate: 0.03, polyak: 0.1, gamma: 1, batchSize: 16, seed: 4 };

  it('learns Q ≈ −1 for the token that always ends toxic and Q near 0 for a clean trajectory\'s last token', () => {
    const data = toyTrajectories(400, 1);
    const trainer = new QTrainer(layout, data, options, initQHead(layout, new Rng(2)));
    const before = trainer.tdLoss(data);
    for (let s = 0; s < 600; s++) trainer.step();
    expect(trainer.tdLoss(data)).toBeLessThan(before);
    const h = [0, -0.2, 0.3]; // a clean prefix
    expect(qHeadTaken(trainer.params, layout, h, 0, 3)).toBeLessThan(-0.9);
    for (const a of [0, 1, 2]) expect(qHeadTaken(trainer.params, layout, h, 0, a)).toBeGreaterThan(-0.6);
  });

  it('a trainer resumed from a snapshot continues exactly as one that never stopped', () => {
    const data = toyTrajectories(50, 3);
    const straight = new QTrainer(layout, data, options, initQHead(layout, new Rng(5)));
    for (let s = 0; s < 12; s++) straight.step();
    const first = new QTrainer(layout, data, options, initQHead(layout, new Rng(5)));
    for (let s = 0; s < 5; s++) first.step();
    const resumed = new QTrainer(layout, data, options, first.snapshot());
    for (let s = 0; s < 7; s++) resumed.step();
    expect(Array.from(resumed.params)).toEqual(Array.from(straight.params));
    expect(Array.from(resumed.target)).toEqual(Array.from(straight.target));
    expect(resumed.epoch).toBe(straight.epoch);
  });

  it('refuses trajectories whose hidden states do not match their actions', () => {
    expect(() => new QTrainer(layout, [{ hidden: new Float32Array(5), actions: [1, 2], reward: 0 }], options, initQHead(layout, new Rng(1)))).toThrow(RangeError);
  });
});
