/**
 * A restricted unpickler: it interprets the opcodes of pickle protocols 2 to 5 that build plain data
 * (dicts, lists, tuples, numbers, strings, None and booleans) and hands everything else to the caller's
 * hooks. It never imports a module or calls a function: a GLOBAL is only a name, given to `hooks.global`,
 * which returns a stand-in for an allowed name or throws; REDUCE and BUILD go to `hooks.reduce` and
 * `hooks.build`, which decide what the stand-in means. Opcodes that construct arbitrary objects (NEWOBJ,
 * INST, OBJ, extension codes, out-of-band buffers) are refused. Every length is checked against the
 * bytes left, so a pickle with absurd lengths is an Error, never a huge allocation.
 */

/** A value the unpickler builds. Tuples are frozen arrays; dicts are Maps; hook results are whatever the hooks return. */
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | Map<PyKey, PyValue> | object;
/** The values a dict key may be (Python's hashable scalars). */
export type PyKey = null | boolean | number | bigint | string;

/** What the caller decides: which globals exist, and what calling or building them means. */
export interface UnpickleHooks {
  /** The stand-in for `module.name`; throws to refuse it. */
  global(module: string, name: string): object;
  /** The value of `fn(*args)` where `fn` is a stand-in from `global`; throws to refuse. */
  reduce(fn: PyValue, args: readonly PyValue[]): PyValue;
  /** `obj` after `obj.__setstate__(state)`; throws to refuse. */
  build(obj: PyValue, state: PyValue): PyValue;
  /** The object a persistent id stands for (torch: a storage); throws to refuse. */
  persistentLoad(pid: PyValue): PyValue;
}

/** Thrown for a malformed or refused pickle; the message says what and where. */
export class PickleError extends Error {}

const OPCODE_NAMES: Record<number, string> = {
  0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX', 0x6f: 'OBJ', 0x69: 'INST', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4',
  0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER', 0x50: 'PERSID',
};

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A tuple: an array nobody may append to. */
function tuple(items: PyValue[]): PyValue[] {
  return Object.freeze(items) as PyValue[];
}

function isKey(v: PyValue): v is PyKey {
  return v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string';
}

/** A little-endian two's-complement integer of any length, as a number when it is a safe integer. */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Interprets a pickle; `label` (a file name) prefixes every error message. */
export function unpickle(bytes: Uint8Array, hooks: UnpickleHooks, label = 'pickle'): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PyValue[] = [];
  /** The stack length at each open MARK. */
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let pos = 0;
  let opAt = 0;

  const fail = (msg: string): never => {
    throw new PickleError(`${label}: ${msg} (pickle byte ${opAt})`);
  };
  const need = (n: number, what: string): void => {
    if (n < 0 || pos + n > bytes.length) fail(`${what} of ${n} bytes runs past the end of the ${bytes.length}-byte pickle`);
  };
  const take = (n: number, what: string): Uint8Array => {
    need(n, what);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const u8 = (): number => take(1, 'an argument')[0];
  const u16 = (): number => (need(2, 'an argument'), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = (): number => (need(4, 'an argument'), (pos += 4), view.getUint32(pos - 4, true));
  const u64 = (what: string): number => {
    need(8, 'an argument');
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) fail(`${what} of ${v} bytes runs past the end of the ${bytes.length}-byte pickle`);
    return Number(v);
  };
  const line = (what: string): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail(`${what} has no end of line`);
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const text = (n: number): string => {
    const b = take(n, 'a string');
    try {
      return utf8.decode(b);
    } catch {
      return fail('a string is not valid UTF-8');
    }
  };
  const pop = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length === marks[marks.length - 1])) fail('the stack is empty');
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length === marks[marks.length - 1])) fail('the stack is empty');
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK to pop to');
    return stack.splice(m!);
  };
  const list = (v: PyValue): PyValue[] => {
    if (!Array.isArray(v) || Object.isFrozen(v)) fail('APPEND to something that is not a list');
    return v as PyValue[];
  };
  const dict = (v: PyValue): Map<PyKey, PyValue> => {
    if (!(v instanceof Map)) fail('SETITEM on something that is not a dict');
    return v as Map<PyKey, PyValue>;
  };
  const setItems = (d: Map<PyKey, PyValue>, kv: readonly PyValue[]): void => {
    if (kv.length % 2) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < kv.length; i += 2) {
      const k = kv[i];
      if (!isKey(k)) fail('a dict key that is not a string, number, boolean or None');
      d.set(k as PyKey, kv[i + 1]);
    }
  };
  const get = (i: number): PyValue => {
    if (!memo.has(i)) fail(`memo entry ${i} was never stored`);
    return memo.get(i)!;
  };

  for (;;) {
    opAt = pos;
    if (pos >= bytes.length) fail('the pickle ends without a STOP opcode (truncated file?)');
    const op = bytes[pos++];
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail(`pickle protocol ${bytes[pos - 1]} is newer than 5`);
        break;
      case 0x95: // FRAME: a length prefix for what follows; the bytes are read as they come.
        u64('a frame');
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) fail(`STOP with ${stack.length} items on the stack`);
        return stack[0];
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length && stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple([]));
        break;
      case 0x64: { // DICT
        const d = new Map<PyKey, PyValue>();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x74: // TUPLE
        stack.push(tuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(tuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push(tuple([pop(), b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(tuple([pop(), b, c]));
        break;
      }
      case 0x61: { // APPEND
        const v = pop();
        list(top()).push(v);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        const l = list(top());
        for (const v of items) l.push(v);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(dict(top()), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const kv = popMark();
        setItems(dict(top()), kv);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4, 'an argument');
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(take(u8(), 'a LONG1')));
        break;
      case 0x8b: { // LONG4
        const n = u32();
        // A checkpoint's integers are sizes and counts; thousands of digits are not one of them.
        if (n > 64) fail(`a LONG4 of ${n} bytes is larger than any integer a checkpoint holds`);
        stack.push(decodeLong(take(n, 'a LONG4')));
        break;
      }
      case 0x49: { // INT (protocol 0 text; "01"/"00" are True/False)
        const s = line('an INT');
        if (s === '01' || s === '00') stack.push(s === '01');
        else if (/^[-+]?\d{1,18}$/.test(s)) stack.push(Number(s));
        else fail(`INT '${s.slice(0, 40)}' is not a small integer`);
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8, 'an argument');
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x46: { // FLOAT (protocol 0 text)
        const s = line('a FLOAT');
        const v = Number(s);
        if (s.trim() === '' || (Number.isNaN(v) && !/nan/i.test(s))) fail(`FLOAT '${s.slice(0, 40)}' is not a number`);
        stack.push(v);
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64('a string')));
        break;
      case 0x54: { // BINSTRING (Python 2 str, read as latin-1 as torch.load's encoding default does)
        need(4, 'an argument');
        const n = view.getInt32(pos, true);
        pos += 4;
        stack.push(latin1.decode(take(n, 'a string')));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(take(u8(), 'a string')));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32(), 'a bytes object').slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8(), 'a bytes object').slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64('a bytes object'), 'a bytes object').slice());
        break;
      case 0x63: { // GLOBAL: "module\nname\n"
        const module = line('a GLOBAL');
        const name = line('a GLOBAL');
        stack.push(hooks.global(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL with a module or name that is not a string');
        stack.push(hooks.global(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!Array.isArray(args)) fail('REDUCE with arguments that are not a tuple');
        stack.push(hooks.reduce(fn, args as PyValue[]));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = pop();
        stack.push(hooks.build(obj, state));
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: { // PUT (text)
        const s = line('a PUT');
        if (!/^\d{1,10}$/.test(s)) fail(`PUT '${s.slice(0, 40)}' is not an index`);
        memo.set(Number(s), top());
        break;
      }
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(get(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(get(u32()));
        break;
      case 0x67: { // GET (text)
        const s = line('a GET');
        if (!/^\d{1,10}$/.test(s)) fail(`GET '${s.slice(0, 40)}' is not an index`);
        stack.push(get(Number(s)));
        break;
      }
      default: {
        const name = OPCODE_NAMES[op];
        fail(name
          ? `opcode ${name} builds objects CNN Lab does not read`
          : `unknown opcode 0x${op.toString(16).padStart(2, '0')} (not a pickle, or a corrupt one)`);
      }
    }
  }
}
