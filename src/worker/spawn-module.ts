// Starts a module next to the caller as a worker thread or a child process, whether the project runs from its TypeScript source (tsx) or built.
import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const entryOf = (base: string, name: string) => {
  const fromSource = base.endsWith('.ts');
  return { fromSource, url: new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, base) };
};

/**
 * How a new node process runs the module `name` beside `base` (the caller's import.meta.url): its file, and the
 * node flags that load tsx when the caller runs from TypeScript source (none for built code, as deployed).
 */
export function moduleCommand(base: string, name: string): { file: string; execArgv: string[] } {
  const { fromSource, url } = entryOf(base, name);
  const execArgv = fromSource ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  return { file: fileURLToPath(url), execArgv };
}

/**
 * `name` is the module's file name without extension, resolved against `base` (the caller's import.meta.url). From
 * source, the thread registers tsx's loader first, as `npm start` does for the main thread.
 */
export function startThread(base: string, name: string, options: WorkerOptions): Worker {
  const { fromSource, url } = entryOf(base, name);
  if (!fromSource) return new Worker(url, options);
  return new Worker(
    `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`,
    { ...options, eval: true },
  );
}

/**
 * The same module as a child process with an IPC channel that carries structured-clone values (`advanced`
 * serialization); its stderr and stdout are the parent's. From source, tsx's loader is imported by absolute path.
 */
export function startProcess(base: string, name: string): ChildProcess {
  const { file, execArgv } = moduleCommand(base, name);
  return fork(file, [], {
    execArgv,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
