/**
 * A ZIP reader for the archives `torch.save` writes: the end-of-central-directory record (and its
 * zip64 form), the central directory, and each entry's local header, stored or deflated. Every size and
 * offset the file declares is checked against the file's length before a byte is read, and a deflated
 * entry is never inflated past the size its directory entry declares, so a lying or truncated archive is
 * an Error that says what is wrong, never an out-of-bounds read or an unbounded allocation.
 */
import { inflateRawSync } from 'node:zlib';

/** One file of the archive as its central directory describes it. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate; other methods are refused when the entry is read. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  /** Where the entry's data starts in the archive (after its local header), checked to lie inside it. */
  readonly dataOffset: number;
}

/** Limits on what an archive may declare; the defaults suit any checkpoint CNN Lab can run. */
export interface ZipLimits {
  /** Most entries the central directory may list. */
  readonly maxEntries: number;
  /** Largest uncompressed size of a deflated entry (stored entries are bounded by the file itself). */
  readonly maxInflatedBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 1_000_000, maxInflatedBytes: 4 * 1024 ** 3 };

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;

/** Whether the bytes start like a ZIP archive (a local header, or the end record of an empty one). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);
}

/** Reads the central directory; `label` (a file name) prefixes every error message. */
export function readZipDirectory(bytes: Uint8Array, label = 'zip', limits: ZipLimits = DEFAULT_ZIP_LIMITS): ZipEntry[] {
  const fail = (msg: string): never => {
    throw new Error(`${label}: not a valid ZIP archive: ${msg}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.length;
  /** A 64-bit field as a number, refused when it cannot be an offset or size within this file. */
  const u64 = (at: number, what: string): number => {
    const v = view.getBigUint64(at, true);
    if (v > BigInt(size)) fail(`${what} is ${v}, past the end of the ${size}-byte file`);
    return Number(v);
  };

  // The end record is the last 22 bytes unless the archive has a comment (at most 65535 bytes).
  let eocd = -1;
  for (let at = size - EOCD_SIZE; at >= Math.max(0, size - EOCD_SIZE - 0xffff); at--) {
    if (view.getUint32(at, true) === EOCD_SIG && at + EOCD_SIZE + view.getUint16(at + 20, true) === size) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) fail(`no end-of-central-directory record in the last ${Math.min(size, EOCD_SIZE + 0xffff)} bytes (truncated file?)`);
  if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0) fail('it spans several disks');
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  let cdLimit = eocd;

  const locator = eocd - 20;
  if ((count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) && locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR_SIG) {
    const rec = u64(locator + 8, 'the zip64 end record offset');
    if (rec + 56 > locator) fail(`the zip64 end record at byte ${rec} overlaps its locator at byte ${locator}`);
    if (view.getUint32(rec, true) !== ZIP64_EOCD_SIG) fail(`no zip64 end record at byte ${rec}`);
    count = u64(rec + 32, 'the zip64 entry count');
    cdSize = u64(rec + 40, 'the zip64 central directory size');
    cdOffset = u64(rec + 48, 'the zip64 central directory offset');
    cdLimit = rec;
  }
  if (cdOffset + cdSize > cdLimit) fail(`the central directory (${cdSize} bytes at byte ${cdOffset}) runs past its end record at byte ${cdLimit}`);
  // Each directory entry takes at least 46 bytes, so the count is checked before anything is built.
  if (count * CENTRAL_SIZE > cdSize) fail(`${count} entries cannot fit in a ${cdSize}-byte central directory`);
  if (count > limits.maxEntries) fail(`${count} entries is over the ${limits.maxEntries}-entry limit`);

  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  const decoder = new TextDecoder('utf-8');
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_SIZE > cdOffset + cdSize) fail(`entry ${i} of ${count} runs past the central directory`);
    if (view.getUint32(at, true) !== CENTRAL_SIG) fail(`entry ${i} of the central directory (byte ${at}) has a bad signature`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    let compressedSize = view.getUint32(at + 20, true);
    let uncompressedSize = view.getUint32(at + 24, true);
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    let localOffset = view.getUint32(at + 42, true);
    const next = at + CENTRAL_SIZE + nameLen + extraLen + commentLen;
    if (next > cdOffset + cdSize) fail(`entry ${i}'s name and extra fields run past the central directory`);
    const name = decoder.decode(bytes.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLen));
    if (flags & 1) fail(`entry '${name}' is encrypted`);

    // A zip64 extra field holds, in this order, the 64-bit forms of the fields whose 32-bit form is all ones.
    for (let e = at + CENTRAL_SIZE + nameLen; e + 4 <= at + CENTRAL_SIZE + nameLen + extraLen;) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      const end = e + 4 + len;
      if (end > at + CENTRAL_SIZE + nameLen + extraLen) fail(`entry '${name}' has an extra field longer than its extra data`);
      if (id === 0x0001) {
        let p = e + 4;
        const take = (what: string): number => {
          if (p + 8 > end) fail(`entry '${name}''s zip64 field is too short for its ${what}`);
          const v = u64(p, `entry '${name}''s ${what}`);
          p += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take('size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (localOffset === 0xffffffff) localOffset = take('offset');
      }
      e = end;
    }

    if (localOffset + LOCAL_SIZE > size) fail(`entry '${name}''s local header at byte ${localOffset} is past the end of the ${size}-byte file`);
    if (view.getUint32(localOffset, true) !== LOCAL_SIG) fail(`entry '${name}' has no local header at byte ${localOffset}`);
    const dataOffset = localOffset + LOCAL_SIZE + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataOffset + compressedSize > size) {
      fail(`entry '${name}' declares ${compressedSize} bytes at byte ${dataOffset}, past the end of the ${size}-byte file (truncated file?)`);
    }
    if (method === 0 && compressedSize !== uncompressedSize) {
      fail(`stored entry '${name}' declares ${uncompressedSize} bytes but occupies ${compressedSize}`);
    }
    if (names.has(name)) fail(`two entries are named '${name}'`);
    names.add(name);
    entries.push({ name, method, compressedSize, size: uncompressedSize, dataOffset });
    at = next;
  }
  return entries;
}

/**
 * An entry's bytes: a view into the archive for a stored entry, a new buffer for a deflated one
 * (inflated no further than its declared size, which must be under the limit).
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, label = 'zip', limits: ZipLimits = DEFAULT_ZIP_LIMITS): Uint8Array {
  const fail = (msg: string): never => {
    throw new Error(`${label}: not a valid ZIP archive: entry '${entry.name}' ${msg}`);
  };
  const raw = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  if (raw.length !== entry.compressedSize) fail('runs past the end of the file');
  if (entry.method === 0) return raw;
  if (entry.method !== 8) fail(`uses compression method ${entry.method}; CNN Lab reads stored and deflated entries only`);
  if (entry.size > limits.maxInflatedBytes) fail(`declares ${entry.size} bytes inflated, over the ${limits.maxInflatedBytes}-byte limit`);
  let out: Buffer;
  try {
    // One byte of slack: inflating past the declared size must be seen, not silently cut off.
    out = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size + 1) });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return err.code === 'ERR_BUFFER_TOO_LARGE' ? fail(`inflates to more than the ${entry.size} bytes it declares`) : fail(`does not inflate (${err.message})`);
  }
  if (out.length !== entry.size) fail(`inflates to ${out.length} bytes, but declares ${entry.size}`);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
