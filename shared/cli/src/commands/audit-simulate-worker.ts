/** Worker thread of `assay audit simulate`: runs the simulation runs it is sent (see audit-simulate.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { createAuditSimulation } from '@assay/stats';
import { PortableSimulateOptions, toSimulateOptions, WorkerReply, WorkerRequest } from './audit-simulate';

const port = parentPort!;
try {
  const simulation = createAuditSimulation(toSimulateOptions(workerData as PortableSimulateOptions));
  port.on('message', ({ index }: WorkerRequest) => {
    try {
      port.postMessage({ index, samplesToReject: simulation.run(index) } satisfies WorkerReply);
    } catch (error) {
      port.postMessage({ error: (error as Error).message } satisfies WorkerReply);
    }
  });
} catch (error) {
  port.postMessage({ error: (error as Error).message } satisfies WorkerReply);
}
