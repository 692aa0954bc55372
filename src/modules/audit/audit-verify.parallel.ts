import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SegmentOutcome, SegmentTask } from './audit-verify.worker.js';

export type { SegmentOutcome, SegmentTask };

const HERE = import.meta.url;

/**
 * Starts the segment worker. From compiled code (dist) it is the .js file
 * next to this one; from source (vitest, tsx) it is the .ts file, loaded
 * through tsx's ESM loader registered inside the worker thread (a worker
 * does not inherit the loader, or vitest's transform, of the thread that
 * starts it).
 */
function startWorker(task: SegmentTask): Worker {
  const workerData = { segmentTask: task };
  // The default young generation: the worker verifies each row as pg decodes it (no batch of rows
  // kept alive), so scavenges find almost nothing to copy (a 64 MB one measured no faster).
  if (!HERE.endsWith('.ts')) return new Worker(new URL('./audit-verify.worker.js', HERE), { workerData });
  // The ESM build of tsx's API (require.resolve finds its CommonJS twin, which cannot be imported from here).
  const api = createRequire(HERE).resolve('tsx/esm/api');
  const esm = api.replace(/\.cjs$/, '.mjs');
  const tsx = pathToFileURL(existsSync(esm) ? esm : api).href;
  const entry = new URL('./audit-verify.worker.ts', HERE).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => (m.register ?? m.default.register)()).then(() => import(${JSON.stringify(entry)}))`;
  return new Worker(code, { eval: true, workerData });
}

/** Verifies one segment in a worker thread; never rejects (a worker that cannot start or fails reports `failed`). */
export function runSegment(task: SegmentTask): Promise<SegmentOutcome> {
  return new Promise<SegmentOutcome>((resolve) => {
    let worker: Worker;
    try {
      worker = startWorker(task);
    } catch (e) {
      resolve({ kind: 'failed', message: e instanceof Error ? e.message : String(e) });
      return;
    }
    let settled = false;
    const settle = (o: SegmentOutcome) => {
      if (settled) return;
      settled = true;
      resolve(o);
      void worker.terminate();
    };
    worker.once('message', (m: SegmentOutcome) => settle(m));
    worker.once('error', (e) => settle({ kind: 'failed', message: e.message }));
    worker.once('exit', (code) => settle({ kind: 'failed', message: `the verification worker exited (${code}) without a result` }));
  });
}
