import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_RECIPE, demoCorpus, DemoCorpus, DomainPairRecipe, ForgeProgress, forgeDemoPair } from '@assay/forge';
import { REPO_ROOT } from '../local-stack/services';

/**
 * The demo's models, committed: L and G built by the project's own recipe (DEMO_RECIPE's architectures and corpus,
 * DEMO_STEPS optimizer steps) once, so `assay demo` spends its time on what it shows (registering, calibrating k,
 * certifying) instead of training for minutes on a laptop CPU. `assay demo --rebuild` retrains them with the same
 * recipe and writes them here (commit the result); a seed without committed models is trained on the spot.
 */
export const DEMO_MODELS_DIR = path.join(REPO_ROOT, 'shared', 'forge', 'demo-models');
const MANIFEST = 'demo-models.json';

/**
 * Optimizer steps of L and G (batch 16, lr 3e-3, DEMO_RECIPE's architectures). L must answer in sentences: far more
 * steps than VALID's separation alone needs (about 0.87 AUROC at 450 steps), which is why the models are committed.
 */
export const DEMO_STEPS = 2000;

export function demoRecipe(steps: number): DomainPairRecipe {
  const train = { maxSteps: steps, batchSize: 16, learningRate: 3e-3, warmupSteps: 10, evalEvery: steps, evalWindows: 16, restoreBest: false };
  return { ...DEMO_RECIPE, large: { model: DEMO_RECIPE.large.model, train }, guide: { model: DEMO_RECIPE.guide.model, train } };
}

export interface DemoModels {
  source: 'committed' | 'trained';
  seed: number;
  steps: number;
  large: { dir: string; report: Record<string, unknown> };
  guide: { dir: string; report: Record<string, unknown> };
  corpus: DemoCorpus;
  /** VALID's separation of held-out written answers (L scoring them without their questions), measured when built. */
  groundTruthAuroc: number;
  maxResponseTokens: number;
}

interface Manifest {
  seed: number;
  steps: number;
  recipe: DomainPairRecipe;
  large: { report: Record<string, unknown> };
  guide: { report: Record<string, unknown> };
  groundTruthAuroc: number;
  builtSeconds: number;
}

/** The committed models of a seed, when there are. */
export function committedDemoModels(seed: number, root = DEMO_MODELS_DIR): DemoModels | undefined {
  const dir = path.join(root, `seed-${seed}`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  return {
    source: 'committed',
    seed,
    steps: manifest.steps,
    large: { dir: path.join(dir, 'large'), report: manifest.large.report },
    guide: { dir: path.join(dir, 'guide'), report: manifest.guide.report },
    corpus: demoCorpus({ seed }),
    groundTruthAuroc: manifest.groundTruthAuroc,
    maxResponseTokens: manifest.recipe.maxResponseTokens,
  };
}

/** Trains L and G with the demo recipe into `<root>/seed-<seed>` (replacing what was there). */
export async function buildDemoModels(seed: number, steps: number, onProgress: (event: ForgeProgress) => void, root = DEMO_MODELS_DIR): Promise<DemoModels> {
  const started = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-demo-build-'));
  try {
    const recipe = demoRecipe(steps);
    const pair = await forgeDemoPair({ outDir: work, seed, recipe, onProgress });
    const dir = path.join(root, `seed-${seed}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    for (const role of ['large', 'guide'] as const) fs.cpSync(pair[role].dir, path.join(dir, role), { recursive: true });
    const manifest: Manifest = {
      seed,
      steps,
      recipe,
      large: { report: { ...pair.large.report } },
      guide: { report: { ...pair.guide.report } },
      groundTruthAuroc: pair.calibration.auroc,
      builtSeconds: (Date.now() - started) / 1000,
    };
    fs.writeFileSync(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    return { ...committedDemoModels(seed, root)!, source: 'trained' };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
