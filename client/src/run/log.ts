/**
 * Where the run side of the extension reports what the user does not see in a message box: the
 * "CNN Lab" output channel (the language client's, so one channel holds everything CNN Lab logs).
 * No `vscode` import: the run client and the tests log through the same small interface.
 */

/** A log with levels; each call writes one entry. */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Anything that takes lines, such as a vscode.OutputChannel. */
export interface LineSink {
  appendLine(line: string): void;
}

/** A log writing `[Level - time] message` lines, the format the language client uses in the same channel. */
export function channelLog(sink: LineSink, now: () => Date = () => new Date()): Log {
  const write = (level: string) => (message: string) => sink.appendLine(`[${level} - ${now().toLocaleTimeString()}] ${message}`);
  return { info: write('Info'), warn: write('Warn'), error: write('Error') };
}

/** A log to the console (the extension host's log), for code that was given no channel. */
export const consoleLog: Log = {
  info: (m) => console.log(`CNN Lab: ${m}`),
  warn: (m) => console.warn(`CNN Lab: ${m}`),
  error: (m) => console.error(`CNN Lab: ${m}`),
};
