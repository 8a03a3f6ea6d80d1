import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDemoModels, committedDemoModels, DEMO_STEPS } from '../src/commands/demo-models';

/** `assay demo` uses committed models built by the demo recipe; `--rebuild` writes them where they are read from. */
describe('demo models', () => {
  it('the committed seed-0 pair is complete and was built with the current step budget', () => {
    const models = committedDemoModels(0)!;
    expect(models).toMatchObject({ source: 'committed', seed: 0, steps: DEMO_STEPS });
    for (const dir of [models.large.dir, models.guide.dir]) {
      for (const file of ['model.onnx', 'config.json', 'tokenizer.json']) expect(fs.statSync(path.join(dir, file)).size).toBeGreaterThan(0);
    }
    // One shared tokenizer, as VALID needs.
    expect(fs.readFileSync(path.join(models.large.dir, 'tokenizer.json'), 'utf8')).toBe(fs.readFileSync(path.join(models.guide.dir, 'tokenizer.json'), 'utf8'));
    expect(models.corpus.prompts.inDomain.length).toBeGreaterThan(0);
    expect(models.groundTruthAuroc).toBeGreaterThan(0.5);
  });

  it('a rebuild trains with the recipe and is read back as committed', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-demo-models-'));
    try {
      expect(committedDemoModels(3, root)).toBeUndefined();
      const phases = new Set<string>();
      const built = await buildDemoModels(3, 10, (event) => phases.add(event.phase), root);
      expect(built).toMatchObject({ source: 'trained', seed: 3, steps: 10 });
      expect([...phases]).toEqual(expect.arrayContaining(['large', 'guide']));
      expect(committedDemoModels(3, root)).toMatchObject({ source: 'committed', seed: 3, steps: 10, large: { dir: path.join(root, 'seed-3', 'large') } });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 300_000);
});
