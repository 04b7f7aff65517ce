/**
 * The extension host's side of the run worker (dist/worker.js): starts it on first use, sends one run
 * at a time, collects the layers it streams back and settles one promise per run. Cancelling asks the
 * worker to stop at the next layer; a worker that does not answer in time (it may be busy in a long
 * step such as one large layer) is terminated and started afresh next time. The worker is also where
 * the extension's questions about a `.cnn` text go (which network, may it run) and where exports and
 * imports are done: the extension host does not analyse.
 * No `vscode` import, so tests drive it in plain Node.
 */
import { Worker } from 'node:worker_threads';
import type {
  DoneMessage, ErrorMessage, ExportedFiles, ExportRequest, FromWorker, ImportedModel, ImportRequest, LayerMessage, LayerQuery, PreparedMessage,
  PrepareRequest, ProgressMessage, QueryRequest, QueryResult, ReplyMessage, RunErrorKind, RunRequest, StartedMessage, ToWorker,
} from '../../../server/src/run/workerProtocol.js';
import { isFromWorker } from '../../../server/src/run/workerProtocol.js';
import { consoleLog, type Log } from './log.js';

/** A finished run: what the worker said when it started, every layer's output in order, and the end. */
export interface RunOutcome {
  readonly started: StartedMessage;
  readonly layers: readonly LayerMessage[];
  readonly done: DoneMessage;
}

/** A run that failed; `kind` is the worker's, or 'cancelled' / 'internal' for what happened here. */
export class RunError extends Error {
  constructor(readonly kind: RunErrorKind | 'cancelled', message: string, readonly estimate?: ErrorMessage['estimate']) {
    super(message);
    this.name = kind === 'cancelled' ? 'AbortError' : 'RunError';
  }
}

/** Callbacks and cancellation of one run. */
export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly onStarted?: (m: StartedMessage) => void;
  readonly onProgress?: (m: ProgressMessage) => void;
  /** Each layer's output as it arrives (it is in the outcome too). */
  readonly onLayer?: (m: LayerMessage) => void;
}

/** A run's parameters as the caller gives them (the client adds the type and the id). */
export type RunParams = Omit<RunRequest, 'type' | 'id'>;

interface Active {
  readonly id: number;
  readonly opts: RunOptions;
  started?: StartedMessage;
  readonly layers: LayerMessage[];
  readonly resolve: (o: RunOutcome) => void;
  readonly reject: (e: Error) => void;
  graceTimer?: NodeJS.Timeout;
}

/** Owns the worker; one instance per extension. */
export class WorkerClient {
  private worker: Worker | undefined;
  private active: Active | undefined;
  private settled: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  /** Ids of queries, preparations, exports and imports (a sequence apart from run ids). */
  private nextQuery = 1;
  /** Queries sent and not answered yet. */
  private readonly queries = new Map<number, { resolve: (r: QueryResult) => void; reject: (e: Error) => void }>();
  /** Preparations, exports and imports sent and not answered yet. */
  private readonly requests = new Map<number, { resolve: (m: ReplyMessage) => void; reject: (e: Error) => void }>();

  /**
   * @param workerPath dist/worker.js
   * @param cancelGraceMs how long a cancelled run may take to stop before the worker is terminated
   * @param log where failures, slow fallbacks and exceptions of the callbacks are reported with their reasons
   */
  constructor(private readonly workerPath: string, private readonly cancelGraceMs = 1500, private readonly log: Log = consoleLog) {}

  /** Runs a network; a run already going is cancelled first (the newest request wins). */
  async run(params: RunParams, opts: RunOptions = {}): Promise<RunOutcome> {
    // Two callers may wait here at once; each cancels whatever started while it waited.
    while (this.active) {
      this.cancelActive();
      await this.settled.catch(() => undefined);
    }
    if (opts.signal?.aborted) throw new RunError('cancelled', 'the run was cancelled');
    const id = this.nextId++;
    const outcome = new Promise<RunOutcome>((resolve, reject) => {
      this.active = { id, opts, layers: [], resolve, reject };
    });
    this.settled = outcome;
    const onAbort = () => this.cancelActive(id);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const w = this.ensureWorker();
      const request: RunRequest = { type: 'run', id, ...params };
      // The image and weights are copied (not transferred): the caller may keep its bytes.
      w.postMessage(request);
    } catch (e) {
      this.finish(id, (a) => a.reject(new RunError('internal', `cannot start the run worker: ${(e as Error).message}`)));
    }
    try {
      return await outcome;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Asks about a layer of run `run` (the `id` of its 'started' message), which the worker keeps while
   * it is the run in progress or the last one finished. Rejects when the worker no longer has it.
   */
  query(run: number, query: LayerQuery): Promise<QueryResult> {
    return new Promise<QueryResult>((resolve, reject) => {
      const w = this.worker;
      if (!w) {
        reject(new Error('the run worker has stopped since that run'));
        return;
      }
      const id = this.nextQuery++;
      this.queries.set(id, { resolve, reject });
      w.postMessage({ type: 'query', id, run, query } satisfies QueryRequest);
    });
  }

  /**
   * Stops an idle worker, freeing what it holds (the cached parameters of the last run, 553 MB for
   * VGG16, and the outputs of its last runs); the next run starts a new one. Does nothing while a run,
   * an export or an import is in progress.
   */
  release(): void {
    if (this.active || this.requests.size || !this.worker) return;
    void this.worker.terminate();
    this.worker = undefined;
    this.failQueries('the run worker was stopped');
  }

  /** Rejects every query, preparation, export and import waiting for an answer. */
  private failQueries(why: string): void {
    for (const q of this.queries.values()) q.reject(new Error(why));
    this.queries.clear();
    for (const r of this.requests.values()) r.reject(new Error(why));
    this.requests.clear();
  }

  /** Stops the worker; a run in progress fails as cancelled. */
  dispose(): void {
    this.failQueries('the run worker was stopped');
    this.finish(this.active?.id, (a) => a.reject(new RunError('cancelled', 'the run was cancelled')));
    void this.worker?.terminate();
    this.worker = undefined;
  }

  /**
   * Asks which network of a text would run and whether it may (the refusal says why not), starting the
   * worker. With `initialise`, the worker then He-initialises the network's weights while the user is
   * still picking an image, hiding that cost from the run that follows (not while a run is going: its
   * parameters may be the ones the next run reuses).
   */
  async prepare(params: Omit<PrepareRequest, 'type' | 'id'>): Promise<PreparedMessage> {
    const { initialise, ...rest } = params;
    const m = await this.request<PreparedMessage>('prepared', (id) => ({ type: 'prepare', id, ...rest, ...(initialise && !this.active ? { initialise } : {}) }));
    if (m.error) throw new Error(m.error);
    return m;
  }

  /** Exports a network in the worker; rejects with the worker's message for the user. */
  async exportModel(params: Omit<ExportRequest, 'type' | 'id'>): Promise<ExportedFiles> {
    const m = await this.request<Extract<ReplyMessage, { type: 'exported' }>>('exported', (id) => ({ type: 'export', id, ...params }));
    if (!m.files) throw new Error(m.error ?? 'the run worker exported nothing');
    return m.files;
  }

  /** Reads an ONNX model as `.cnn` text in the worker; rejects with the worker's message for the user. */
  async importModel(params: Omit<ImportRequest, 'type' | 'id'>): Promise<ImportedModel> {
    const m = await this.request<Extract<ReplyMessage, { type: 'imported' }>>('imported', (id) => ({ type: 'import', id, ...params }));
    if (!m.model) throw new Error(m.error ?? 'the run worker imported nothing');
    return m.model;
  }

  /** Sends the request `make(id)` builds and resolves with the worker's reply of type `reply` with that id. */
  private request<R extends ReplyMessage>(reply: R['type'], make: (id: number) => ToWorker): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const id = this.nextQuery++;
      let w: Worker;
      try {
        w = this.ensureWorker();
      } catch (e) {
        reject(new Error(`cannot start the run worker: ${(e as Error).message}`));
        return;
      }
      this.requests.set(id, {
        resolve: (m) => (m.type === reply ? resolve(m as R) : reject(new Error(`the run worker answered ${m.type} to a request for ${reply}`))),
        reject,
      });
      // Bytes are copied (not transferred): the caller may keep them.
      w.postMessage(make(id));
    });
  }

  /** True while a run is in progress. */
  get busy(): boolean {
    return this.active !== undefined;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    // No inherited execArgv: the extension host's (inspector flags, tsx's loader in tests) do not apply.
    const w = new Worker(this.workerPath, { execArgv: [] });
    w.on('message', (m: unknown) => this.onMessage(m));
    w.on('error', (e: Error) => this.onWorkerGone(w, `the run worker failed: ${e.message}`));
    w.on('exit', (code) => this.onWorkerGone(w, `the run worker stopped (exit code ${code})`));
    this.worker = w;
    return w;
  }

  private onWorkerGone(w: Worker, why: string): void {
    if (this.worker !== w) return;
    this.log.error(why);
    this.worker = undefined;
    this.failQueries(why);
    this.finish(this.active?.id, (a) => a.reject(new RunError('internal', why)));
  }

  /** Asks the worker to stop run `id` (the active one by default); terminates it if it does not in time. */
  private cancelActive(id = this.active?.id): void {
    const a = this.active;
    if (!a || a.id !== id || a.graceTimer) return;
    this.worker?.postMessage({ type: 'cancel', id: a.id });
    a.graceTimer = setTimeout(() => {
      if (this.active !== a) return;
      const w = this.worker;
      this.worker = undefined;
      void w?.terminate();
      this.failQueries('the run worker was stopped');
      this.finish(a.id, (x) => x.reject(new RunError('cancelled', 'the run was cancelled')));
    }, this.cancelGraceMs);
  }

  /** Ends run `id` if it is the active one, calling `settle` on it once. */
  private finish(id: number | undefined, settle: (a: Active) => void): void {
    const a = this.active;
    if (!a || a.id !== id) return;
    this.active = undefined;
    if (a.graceTimer) clearTimeout(a.graceTimer);
    settle(a);
  }

  private onMessage(raw: unknown): void {
    if (!isFromWorker(raw)) return;
    const m: FromWorker = raw;
    if (m.type === 'answer') {
      const q = this.queries.get(m.id);
      this.queries.delete(m.id);
      if (q) (m.result ? q.resolve(m.result) : q.reject(new Error(m.error ?? 'no answer')));
      return;
    }
    if (m.type === 'prepared' || m.type === 'exported' || m.type === 'imported') {
      const r = this.requests.get(m.id);
      this.requests.delete(m.id);
      r?.resolve(m);
      return;
    }
    const a = this.active;
    if (!a || m.id !== a.id) {
      // A message without a run (a malformed request) or from a run already given up: nothing waits for
      // it, but an error there is still worth a line in the log.
      if (m.type === 'error') this.log.error(`the run worker reported (${m.kind}): ${m.message}${m.detail ? `\n${m.detail}` : ''}`);
      return;
    }
    const safe = (what: string, f: () => void): void => {
      // A callback's exception must not break the message loop; it is logged with its stack.
      try {
        f();
      } catch (e) {
        this.log.error(`run ${a.id}: the ${what} callback failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      }
    };
    switch (m.type) {
      case 'started':
        a.started = m;
        if (m.backendNote) this.log.warn(`run ${a.id} (${m.network}): ${m.backendNote}`);
        safe('onStarted', () => a.opts.onStarted?.(m));
        break;
      case 'progress':
        safe('onProgress', () => a.opts.onProgress?.(m));
        break;
      case 'layer':
        a.layers[m.index] = m;
        safe('onLayer', () => a.opts.onLayer?.(m));
        break;
      case 'done': {
        const started = a.started;
        this.finish(a.id, (x) => (started
          ? x.resolve({ started, layers: x.layers, done: m })
          : x.reject(new RunError('internal', 'the run worker finished without starting'))));
        break;
      }
      case 'cancelled':
        this.finish(a.id, (x) => x.reject(new RunError('cancelled', 'the run was cancelled')));
        break;
      case 'error':
        // The user sees the message; the log keeps it with what lies behind it (a stack, a decoder's words).
        this.log.error(`run ${a.id} failed (${m.kind}): ${m.message}${m.detail ? `\n${m.detail}` : ''}`);
        this.finish(a.id, (x) => x.reject(new RunError(m.kind, m.message, m.estimate)));
        break;
    }
  }
}
