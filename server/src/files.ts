/**
 * Reading the files a user names (a `.cnn` source, an input image or array, a weights file) without
 * trusting them: the size is known by stat before a byte is read, so `/dev/zero`, a FIFO or a
 * directory is refused at once instead of read until the process is killed, and a file over its kind's
 * limit is refused with the limit stated. The limits are shared with the extension, which reads the
 * same kinds of files through VS Code's file system.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** The kinds of files a run or a check reads, each with its own size limit. */
export type FileKind = 'source' | 'input' | 'weights' | 'model';

const MiB = 2 ** 20;

/**
 * Largest file of each kind read, in bytes: a `.cnn` text, a PNG/JPEG/.npy input (a 100-megapixel PNG
 * stored without compression is 400 MB), a `.safetensors` file (VGG16's is 553 MB; 2 GiB is also the
 * most one read can return).
 */
export const FILE_LIMITS: Readonly<Record<FileKind, number>> = {
  source: 16 * MiB,
  input: 512 * MiB,
  weights: 2048 * MiB - 1,
  model: 2048 * MiB - 1,
};

/** How each kind is named in messages, and what to give instead of a file that is not one. */
const KINDS: Readonly<Record<FileKind, { readonly noun: string; readonly want: string }>> = {
  source: { noun: 'a source file', want: 'a .cnn file' },
  input: { noun: 'an input', want: 'a PNG, JPEG or .npy file' },
  weights: { noun: 'a weights file', want: 'a .safetensors file' },
  model: { noun: 'a model', want: 'an .onnx file' },
};

/** Formats a byte count for messages: 512 MiB, 3.2 GiB, 600 KiB, 17 bytes. */
export function fmtFileSize(bytes: number): string {
  if (bytes >= 2 ** 30) return `${+(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= MiB) return `${+(bytes / MiB).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} byte${bytes === 1 ? '' : 's'}`;
}

/** What a non-regular file is, in words (for "… is not a regular file (a character device)"). */
function typeName(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

/** An Error about a file the user named, whose message is meant for them as it is. */
export class FileRefused extends Error {
  override readonly name = 'FileRefused';
}

/**
 * The reason a file of `kind` cannot be read, from its type and size alone, or undefined when it may
 * be read. `what` names it in the message ("input photo.png").
 */
export function refusal(what: string, kind: FileKind, type: 'file' | string, size: number): string | undefined {
  if (type !== 'file') return `${what} is not a regular file (${type}); give ${KINDS[kind].want}`;
  const limit = FILE_LIMITS[kind];
  if (size > limit) return `${what} is ${fmtFileSize(size)}, over the ${fmtFileSize(limit)} limit for ${KINDS[kind].noun}`;
  return undefined;
}

/**
 * Reads a regular file of `kind` whole, after checking its type and size on the open descriptor (so
 * what is checked is what is read). Throws a FileRefused with a one-line message naming the path
 * (after `what`, e.g. "input", when given): no such file, not a regular file, over the limit,
 * unreadable. Bytes appended while it is read are not read.
 */
export function readRegularFile(path: string, kind: FileKind, what?: string): Uint8Array {
  const name = what ? `${what} ${path}` : path;
  let fd: number;
  try {
    // O_NONBLOCK keeps opening a named pipe with no writer from hanging; a regular file ignores it.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw new FileRefused(`cannot read ${name}: ${why}`);
  }
  try {
    const st = fstatSync(fd);
    const refused = refusal(name, kind, st.isFile() ? 'file' : typeName(st), st.size);
    if (refused) throw new FileRefused(refused);
    const out = new Uint8Array(st.size);
    let at = 0;
    while (at < out.length) {
      const n = readSync(fd, out, at, out.length - at, at);
      if (n === 0) break;
      at += n;
    }
    // A file that shrank while it was read is read as far as it goes.
    return at === out.length ? out : out.subarray(0, at);
  } catch (e) {
    if (e instanceof FileRefused) throw e;
    throw new FileRefused(`cannot read ${name}: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}
