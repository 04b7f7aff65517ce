/** Names the language gives things that have none in the text. */

/**
 * The name of a file's implicit network (a file without a `network` line): the file's base name
 * without its extension, from a URI (`file:///a/b.cnn`, `untitled:Untitled-1`) or a path (`/` or `\`).
 */
export function defaultNetworkName(uriOrPath: string): string {
  const last = (uriOrPath.replace(/[?#].*$/, '').split(/[\\/]/).pop() ?? '').replace(/^[A-Za-z][\w+.-]*:/, '');
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    name = last;
  }
  return name.replace(/\.[^.]*$/, '') || 'network';
}
