import { execFile } from 'node:child_process';
import path from 'node:path';

/**
 * What this machine's cores give two processes of bare onnxruntime together against one alone, on the model the
 * scale benchmark serves: the ceiling of scale_2_over_1. On a VM whose two vCPUs share a physical core or its memory
 * bandwidth, two compute-bound processes get well under 2× (the issue measured one MatMul at 27 GFLOP/s on one
 * thread and 36 on two: 1.33×), and no serving code can scale past that. Each process runs one-thread forward passes
 * (one decoding step of `batch` rows) in the same time window; the ratio is passes/s of both against one alone.
 */
export async function onnxScaleCeiling(modelDir: string, options: { batch: number; seconds: number }): Promise<{ alone: number; together: number; ratio: number }> {
  const child = path.join(__dirname, 'onnx-ceiling-child.js');
  const runAll = async (processes: number): Promise<number> => {
    const startAt = Date.now() + 2500; // after every process has loaded its session
    const counts = await Promise.all(
      Array.from({ length: processes }, () =>
        new Promise<number>((resolve, reject) =>
          execFile(process.execPath, [child, modelDir, String(options.batch), String(startAt), String(options.seconds)], (error, stdout) => (error ? reject(error) : resolve(Number(stdout.trim())))),
        ),
      ),
    );
    return counts.reduce((a, b) => a + b, 0) / options.seconds;
  };
  const alone = await runAll(1);
  const together = await runAll(2);
  return { alone, together, ratio: together / alone };
}
