/**
 * A guard in front of the JSON-RPC reader on stdio. vscode-jsonrpc stops reading for good when a frame's
 * header has no Content-Length (the server stays alive but deaf), and buffers any body length it is
 * told. This transform passes well-formed frames through unchanged and drops the rest with a note:
 * a header without a valid Content-Length is skipped up to the next `Content-Length:`, and a body over
 * MAX_FRAME is discarded as it streams by, never held.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** The largest body passed on (a 50 MB .cnn file fits; the analysis refuses it politely). */
export const MAX_FRAME = 128 * 1024 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');
const LENGTH = Buffer.from('Content-Length:');
/** A header block longer than this without its blank line is junk. */
const MAX_HEADER = 64 * 1024;

/** Frames in, frames out; `note` hears about what was dropped. */
export class FrameGuard extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes of an oversized body still to discard. */
  private skip = 0;
  /** After a bad frame: junk until the next `Content-Length:`. */
  private lost = false;

  constructor(private readonly note: (message: string) => void) {
    super();
  }

  /** Chunks of a frame whose length is known, held until it is complete (joining on every chunk would be quadratic). */
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Bytes the frame being held needs in all (0: none is). */
  private need = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.need > 0) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes < this.need) return done();
      chunk = Buffer.concat(this.held, this.heldBytes);
      this.held = [];
      this.heldBytes = 0;
      this.need = 0;
    } else if (this.buf.length) {
      chunk = Buffer.concat([this.buf, chunk]);
    }
    this.buf = chunk;
    this.drain();
    done();
  }

  private drain(): void {
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buf.length);
        this.buf = this.buf.subarray(n);
        this.skip -= n;
        if (this.skip > 0) return;
      }
      if (this.lost) {
        const next = this.buf.indexOf(LENGTH);
        if (next < 0) {
          // Keep a tail that could be the start of a header split across chunks.
          this.buf = this.buf.subarray(Math.max(0, this.buf.length - LENGTH.length));
          return;
        }
        this.buf = this.buf.subarray(next);
        this.lost = false;
      }
      const end = this.buf.indexOf(HEADER_END);
      if (end < 0) {
        if (this.buf.length > MAX_HEADER) this.resync(this.buf.length, 'a header block without its blank line');
        return;
      }
      const header = this.buf.subarray(0, end).toString('ascii');
      const m = /^content-length:[ \t]*(\d+)[ \t]*$/im.exec(header);
      if (!m) {
        this.resync(end + HEADER_END.length, 'a frame without a Content-Length header');
        continue;
      }
      const length = Number(m[1]);
      const total = end + HEADER_END.length + length;
      if (length > MAX_FRAME) {
        this.note(`dropped a message of ${length} bytes (the limit is ${MAX_FRAME})`);
        this.buf = this.buf.subarray(end + HEADER_END.length);
        this.skip = length;
        continue;
      }
      if (this.buf.length < total) {
        // Hold the chunks until the body is complete.
        this.held = [this.buf];
        this.heldBytes = this.buf.length;
        this.need = total;
        this.buf = Buffer.alloc(0);
        return;
      }
      this.push(this.buf.subarray(0, total));
      this.buf = this.buf.subarray(total);
    }
  }

  /** Drops `from` bytes and whatever follows up to the next Content-Length header. */
  private resync(from: number, what: string): void {
    this.note(`dropped ${what}; reading on at the next Content-Length header`);
    this.buf = this.buf.subarray(from);
    this.lost = true;
  }
}
