// Starts a worker thread from a module next to the caller, whether the project runs from its TypeScript source (tsx) or built.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * `name` is the module's file name without extension, resolved against `base` (the caller's import.meta.url). From
 * source, the thread registers tsx's loader first, as `npm start` does for the main thread.
 */
export function startThread(base: string, name: string, options: WorkerOptions): Worker {
  const fromSource = base.endsWith('.ts');
  const entry = new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, base);
  if (!fromSource) return new Worker(entry, options);
  return new Worker(
    `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`,
    { ...options, eval: true },
  );
}
