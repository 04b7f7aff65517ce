/**
 * The wrapper every request handler runs in: an exception is logged through the connection and turned
 * into the handler's empty result, and a cancelled request answers "cancelled" instead of doing the
 * work (VS Code's `runSafeAsync` in its css/json language servers).
 */
import { LSPErrorCodes, ResponseError, type CancellationToken, type RemoteConsole } from 'vscode-languageserver';

/** Thrown by long loops that notice their token was cancelled; runSafe answers RequestCancelled. */
export class Cancelled extends Error {
  constructor() {
    super('request cancelled');
  }
}

/** Throws `Cancelled` when the token is cancelled; call it every few hundred items in long loops. */
export function checkCancelled(token: CancellationToken | undefined): void {
  if (token?.isCancellationRequested) throw new Cancelled();
}

const cancelled = () => new ResponseError<void>(LSPErrorCodes.RequestCancelled, 'request cancelled');

/**
 * Runs `fn` on the next turn of the event loop (so a `$/cancelRequest` that is already queued is seen
 * first) and resolves to its result, to `empty` if it throws, or to a RequestCancelled error.
 * A `ResponseError` thrown on purpose (e.g. an invalid rename) is passed on to the client.
 */
export function runSafe<T, E = T>(
  console: RemoteConsole, name: string, token: CancellationToken | undefined, empty: E, fn: () => T | Promise<T>,
): Promise<T | E | ResponseError<void>> {
  return new Promise((resolve) => {
    setImmediate(() => {
      if (token?.isCancellationRequested) {
        resolve(cancelled());
        return;
      }
      const fail = (e: unknown) => {
        if (e instanceof Cancelled) resolve(cancelled());
        else if (e instanceof ResponseError) resolve(e as ResponseError<void>);
        else {
          console.error(`${name} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
          resolve(empty);
        }
      };
      try {
        const r = fn();
        if (r instanceof Promise) r.then(resolve, fail);
        else resolve(r);
      } catch (e) {
        fail(e);
      }
    });
  });
}

/** Runs a notification handler, logging instead of throwing. */
export function runSafeNotification(console: RemoteConsole, name: string, fn: () => void | Promise<void>): void {
  const log = (e: unknown) => console.error(`${name} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  try {
    const r = fn();
    if (r instanceof Promise) r.catch(log);
  } catch (e) {
    log(e);
  }
}
