/**
 * The `cnnLab.*` settings the server honours, read with `workspace/configuration` when the client
 * supports it, else taken from `initializationOptions` and `workspace/didChangeConfiguration`.
 */
import type { Connection } from 'vscode-languageserver';
import type { Severity } from '../language/types.js';

/** A diagnostic's level as a user may set it: a severity, or `off` to hide it. */
export type Level = Severity | 'off';

/** The server's settings (the `cnnLab` section). */
export interface Settings {
  readonly inlayHints: { readonly shapes: boolean; readonly params: boolean };
  readonly codeLens: { readonly enabled: boolean };
  readonly diagnostics: {
    /** Show the teaching notes (`large-kernel`, `fc-dominates`, `rf-exceeds-input`). */
    readonly teachingHints: boolean;
    /** Per-code level overrides, e.g. `{ "dropped-pixels": "error", "pool-on-1x1": "off" }`. */
    readonly severity: Readonly<Record<string, Level>>;
  };
}

/** The codes of the teaching notes that `cnnLab.diagnostics.teachingHints` turns off. */
export const TEACHING_CODES: readonly string[] = ['large-kernel', 'fc-dominates', 'rf-exceeds-input'];

/** Settings used until the client says otherwise. */
export const DEFAULT_SETTINGS: Settings = {
  inlayHints: { shapes: true, params: false },
  codeLens: { enabled: true },
  diagnostics: { teachingHints: true, severity: {} },
};

const LEVELS: readonly string[] = ['error', 'warning', 'information', 'hint', 'off'];

/** Reads whatever the client sent (possibly partial or malformed) into complete settings. */
export function readSettings(raw: unknown): Settings {
  const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {});
  const bool = (v: unknown, d: boolean) => (typeof v === 'boolean' ? v : d);
  const r = obj(raw);
  const hints = obj(r.inlayHints);
  const lens = obj(r.codeLens);
  const diags = obj(r.diagnostics);
  const severity: Record<string, Level> = {};
  for (const [code, level] of Object.entries(obj(diags.severity))) {
    if (typeof level === 'string' && LEVELS.includes(level)) severity[code] = level as Level;
  }
  const d = DEFAULT_SETTINGS;
  return {
    inlayHints: { shapes: bool(hints.shapes, d.inlayHints.shapes), params: bool(hints.params, d.inlayHints.params) },
    codeLens: { enabled: bool(lens.enabled, d.codeLens.enabled) },
    diagnostics: { teachingHints: bool(diags.teachingHints, d.diagnostics.teachingHints), severity },
  };
}

/** The level a diagnostic code is shown at under these settings. */
export function levelOf(settings: Settings, code: string, severity: Severity): Level {
  const set = settings.diagnostics.severity[code];
  if (set) return set;
  if (!settings.diagnostics.teachingHints && TEACHING_CODES.includes(code)) return 'off';
  return severity;
}

/** Fetches and caches settings per document. */
export class SettingsStore {
  private global: Settings = DEFAULT_SETTINGS;
  private readonly perDocument = new Map<string, Promise<Settings>>();

  constructor(private readonly connection: Connection, private readonly pull: boolean, initial?: unknown) {
    if (initial !== undefined) this.global = readSettings(initial);
  }

  /** The settings that apply to a document. */
  get(uri: string): Promise<Settings> {
    if (!this.pull) return Promise.resolve(this.global);
    let s = this.perDocument.get(uri);
    if (!s) {
      s = this.connection.workspace.getConfiguration({ scopeUri: uri, section: 'cnnLab' })
        .then((raw) => readSettings(raw ?? {}), () => this.global);
      this.perDocument.set(uri, s);
    }
    return s;
  }

  /** Called on `workspace/didChangeConfiguration`: forget cached values, take pushed ones. */
  changed(pushed: unknown): void {
    this.perDocument.clear();
    const section = pushed && typeof pushed === 'object' ? (pushed as Record<string, unknown>).cnnLab : undefined;
    if (section !== undefined) this.global = readSettings(section);
  }

  /** Forgets a closed document. */
  forget(uri: string): void {
    this.perDocument.delete(uri);
  }
}
