/**
 * A reader for the checkpoints `torch.save(model.state_dict(), 'w.pth')` writes (torch ≥ 1.6): a ZIP
 * archive with one top folder holding `data.pkl` (the pickled dict), `data/<key>` (one file of raw
 * little-endian elements per storage) and `version`. Like Netron it reads the pickle without Python: the
 * restricted unpickler (pickle.ts) may only name `collections.OrderedDict`, torch's tensor rebuild
 * functions and its storage types, so a checkpoint that asks for anything else (`posix.system`,
 * `builtins.eval`, a pickled model class) is refused by name before anything happens; nothing is ever
 * called. Tensors come out as the safetensors reader gives them (float types as Float32Array, other
 * dtypes with null data), so both formats go through the same name → layer assignment.
 */
import { PickleError, unpickle, type PyKey, type PyValue, type UnpickleHooks } from './pickle.js';
import { halfToFloat, type SafeTensor } from './safetensors.js';
import { shapeStr } from './tensor.js';
import { DEFAULT_ZIP_LIMITS, readZipDirectory, readZipEntry, type ZipEntry, type ZipLimits } from './zip.js';

/** Limits checked before anything of that size is built; the defaults suit any checkpoint CNN Lab can run. */
export interface PthLimits extends ZipLimits {
  /** Largest data.pkl (a state_dict's pickle is a few hundred bytes per tensor). */
  readonly maxPickleBytes: number;
  /** Most tensors in the state dict. */
  readonly maxTensors: number;
  /** Most float32 elements the state dict's tensors may hold in all (2^29 = 2 GiB of float32). */
  readonly maxElements: number;
}

export const DEFAULT_PTH_LIMITS: PthLimits = {
  ...DEFAULT_ZIP_LIMITS, maxPickleBytes: 256 * 1024 ** 2, maxTensors: 100_000, maxElements: 2 ** 29,
};

/** torch's storage types, with the safetensors dtype name and element size of each. */
const STORAGE_TYPES: Record<string, { dtype: string; itemSize: number }> = {
  FloatStorage: { dtype: 'F32', itemSize: 4 },
  DoubleStorage: { dtype: 'F64', itemSize: 8 },
  HalfStorage: { dtype: 'F16', itemSize: 2 },
  BFloat16Storage: { dtype: 'BF16', itemSize: 2 },
  LongStorage: { dtype: 'I64', itemSize: 8 },
  IntStorage: { dtype: 'I32', itemSize: 4 },
  ShortStorage: { dtype: 'I16', itemSize: 2 },
  CharStorage: { dtype: 'I8', itemSize: 1 },
  ByteStorage: { dtype: 'U8', itemSize: 1 },
  BoolStorage: { dtype: 'BOOL', itemSize: 1 },
};

const FLOAT_DTYPES = new Set(['F32', 'F64', 'F16', 'BF16']);
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A name the pickle asked for and was allowed: the unpickler's stand-in for a Python callable. */
class TorchGlobal {
  constructor(readonly module: string, readonly name: string) {}
}

const ORDERED_DICT = new TorchGlobal('collections', 'OrderedDict');
const REBUILD_TENSOR = new TorchGlobal('torch._utils', '_rebuild_tensor_v2');
const REBUILD_PARAMETER = new TorchGlobal('torch._utils', '_rebuild_parameter');

/** A storage type (torch.FloatStorage …), which the persistent ids name. */
class StorageType extends TorchGlobal {
  constructor(name: string, readonly dtype: string, readonly itemSize: number) {
    super('torch', name);
  }
}

/** One storage of the archive: `data/<key>`, `numel` elements of `dtype`. */
class StorageRef {
  constructor(readonly key: string, readonly type: StorageType, readonly numel: number) {}
}

/** A tensor as the pickle describes it: a strided view of a storage. Nothing is read until it is used. */
class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly shape: readonly number[], readonly stride: readonly number[]) {}
}

/** A description of a value for messages ('a dict', 'the string "x"', …). */
function describe(v: PyValue): string {
  if (v === null) return 'None';
  if (v instanceof TensorRef) return `a ${v.storage.type.dtype} tensor of shape ${shapeStr(v.shape)}`;
  if (v instanceof Map) return 'a dict';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'a tuple' : 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 30 ? v.slice(0, 30) + '…' : v)}`;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `the ${typeof v === 'boolean' ? 'boolean' : 'number'} ${String(v)}`;
  if (v instanceof TorchGlobal) return `${v.module}.${v.name}`;
  return 'an object';
}

/** The hooks that let the unpickler build a state dict and nothing else. */
function torchHooks(label: string): UnpickleHooks {
  const storages = new Map<string, StorageRef>();
  const fail = (msg: string): never => {
    throw new PickleError(`${label}: ${msg}`);
  };
  const index = (v: PyValue, what: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${what} is ${describe(v)}, not a non-negative integer`);
    return v as number;
  };
  const ints = (v: PyValue, what: string): number[] => {
    if (!Array.isArray(v)) fail(`${what} is ${describe(v)}, not a tuple of integers`);
    return (v as PyValue[]).map((d) => index(d, `an element of ${what}`));
  };
  return {
    global(module, name) {
      if (module === 'collections' && name === 'OrderedDict') return ORDERED_DICT;
      if (module === 'torch._utils' && name === '_rebuild_tensor_v2') return REBUILD_TENSOR;
      if (module === 'torch._utils' && name === '_rebuild_parameter') return REBUILD_PARAMETER;
      const st = module === 'torch' ? STORAGE_TYPES[name] : undefined;
      if (st) return new StorageType(name, st.dtype, st.itemSize);
      const hint = /^(torch\.nn\.|__main__$|__torch__)/.test(module)
        ? ' (it looks like a whole model was saved; save model.state_dict() instead)'
        : '';
      throw new PickleError(`refused to load ${label}: it asks to call ${module}.${name}, and CNN Lab only reads tensors${hint}`);
    },
    reduce(fn, args) {
      if (fn === ORDERED_DICT) {
        if (args.length !== 0) fail('OrderedDict is called with arguments; a state dict builds it empty');
        return new Map<PyKey, PyValue>();
      }
      if (fn === REBUILD_TENSOR) {
        if (args.length < 4) fail(`_rebuild_tensor_v2 is called with ${args.length} arguments, not at least 4`);
        const [storage, offset, size, stride] = args;
        if (!(storage instanceof StorageRef)) fail(`_rebuild_tensor_v2's storage is ${describe(storage)}`);
        const shape = ints(size, 'a tensor size');
        const strides = ints(stride, 'a tensor stride');
        if (shape.length !== strides.length) fail(`a tensor has size ${shapeStr(shape)} but ${strides.length} strides`);
        return new TensorRef(storage as StorageRef, index(offset, 'a tensor offset'), shape, strides);
      }
      if (fn === REBUILD_PARAMETER) {
        if (!(args[0] instanceof TensorRef)) fail(`_rebuild_parameter's data is ${describe(args[0])}, not a tensor`);
        return args[0];
      }
      return fail(`refused to load: it calls ${describe(fn)}, which CNN Lab does not build`);
    },
    build(obj, state) {
      // torch sets an OrderedDict's `_metadata` (module versions) and a tensor's Python attributes with
      // BUILD; neither matters for the values, so the state is dropped.
      if (obj instanceof Map || obj instanceof TensorRef) return obj;
      return fail(`refused to load: it sets the state of ${describe(obj)} to ${describe(state)}`);
    },
    persistentLoad(pid) {
      if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') fail(`a persistent id is ${describe(pid)}, not ('storage', type, key, location, size)`);
      const [, type, key, , numel] = pid as PyValue[];
      if (!(type instanceof StorageType)) fail(`a storage's type is ${describe(type)}, not a torch storage type`);
      if (typeof key !== 'string' || !/^[\w.-]{1,64}$/.test(key)) fail(`a storage key is ${describe(key)}`);
      const ref = new StorageRef(key as string, type as StorageType, index(numel, 'a storage size'));
      const seen = storages.get(ref.key);
      if (seen && (seen.type.dtype !== ref.type.dtype || seen.numel !== ref.numel)) fail(`storage '${ref.key}' is described two different ways`);
      if (!seen) storages.set(ref.key, ref);
      return seen ?? ref;
    },
  };
}

/** Whether the bytes start like a pickle (protocol 2 or later): torch's format before 1.6, or a bare pickle. */
export function looksLikePickle(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5;
}

/**
 * Reads the state dict of a `torch.save` archive: the top-level dict itself, or its `state_dict` or
 * `model` entry when it has one. `label` (the file name) prefixes every error message.
 */
export function parsePth(bytes: Uint8Array, label = 'checkpoint', limits: PthLimits = DEFAULT_PTH_LIMITS): SafeTensor[] {
  const fail = (msg: string): never => {
    throw new Error(`${label}: ${msg}`);
  };
  const entries = readZipDirectory(bytes, label, limits);
  const pickles = entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pickles.length !== 1) {
    fail(pickles.length
      ? `has ${pickles.length} data.pkl files (${pickles.map((e) => e.name).join(', ')}); a torch.save archive has one`
      : 'is a ZIP archive without a data.pkl, not a file torch.save writes');
  }
  const folder = pickles[0].name.slice(0, -'/data.pkl'.length);
  const byName = new Map(entries.map((e) => [e.name, e]));
  if (byName.has(`${folder}/constants.pkl`)) {
    fail('is a TorchScript archive (torch.jit.save); save model.state_dict() with torch.save and load that');
  }
  const byteorder = byName.get(`${folder}/byteorder`);
  if (byteorder) {
    const order = new TextDecoder().decode(readZipEntry(bytes, byteorder, label, { ...limits, maxInflatedBytes: 16 }));
    if (order.trim() !== 'little') fail(`was written on a '${order.trim().slice(0, 20)}'-endian machine; CNN Lab reads little-endian checkpoints`);
  }
  if (pickles[0].size > limits.maxPickleBytes) fail(`its data.pkl is ${pickles[0].size} bytes, over the ${limits.maxPickleBytes}-byte limit`);

  const root = unpickle(readZipEntry(bytes, pickles[0], label, limits), torchHooks(label), `${label}: data.pkl`);
  const dict = stateDictOf(root, fail);

  // Budgets: the count, the elements and the storage bytes are known before any tensor is read.
  if (dict.size > limits.maxTensors) fail(`has ${dict.size} tensors, over the ${limits.maxTensors}-tensor limit`);
  let elements = 0;
  const storageEntries = new Map<string, ZipEntry>();
  for (const [name, t] of dict) {
    const { storage: s } = t;
    const entry = byName.get(`${folder}/data/${s.key}`);
    if (!entry) fail(`tensor '${name}' uses storage '${s.key}', which the archive does not have (${folder}/data/${s.key})`);
    if (entry!.size < s.numel * s.type.itemSize) {
      fail(`storage '${s.key}' holds ${entry!.size} bytes, but its ${s.numel} ${s.type.dtype} elements need ${s.numel * s.type.itemSize}`);
    }
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(numel)) fail(`tensor '${name}' has shape ${shapeStr(t.shape)}, too many elements to count`);
    // The last element the view touches must lie inside the storage.
    const last = numel === 0 ? 0 : t.offset + t.shape.reduce((acc, d, i) => acc + (d - 1) * t.stride[i], 0);
    if (numel > 0 && last >= s.numel) {
      fail(`tensor '${name}' (shape ${shapeStr(t.shape)}, stride ${shapeStr(t.stride)}, offset ${t.offset}) reaches element ${last} of storage '${s.key}', which has ${s.numel}`);
    }
    if (FLOAT_DTYPES.has(s.type.dtype)) {
      elements += numel;
      storageEntries.set(s.key, entry!);
    }
  }
  if (elements > limits.maxElements) fail(`its tensors hold ${elements} float elements, over the ${limits.maxElements}-element limit`);

  const storageBytes = new Map<string, Uint8Array>();
  const tensors: SafeTensor[] = [];
  for (const [name, t] of dict) {
    const { dtype } = t.storage.type;
    if (!FLOAT_DTYPES.has(dtype)) {
      tensors.push({ name, dtype, shape: t.shape, data: null });
      continue;
    }
    let raw = storageBytes.get(t.storage.key);
    if (!raw) storageBytes.set(t.storage.key, (raw = readZipEntry(bytes, storageEntries.get(t.storage.key)!, label, limits)));
    tensors.push({ name, dtype, shape: t.shape, data: gather(raw, t) });
  }
  return tensors;
}

/** The dict of tensors in an unpickled checkpoint, or an Error saying what the file holds instead. */
function stateDictOf(root: PyValue, fail: (msg: string) => never): Map<string, TensorRef> {
  if (!(root instanceof Map)) return fail(`holds ${describe(root)}, not a dict of tensors (a state_dict)`);
  for (const key of ['state_dict', 'model']) {
    const inner = root.get(key);
    if (inner instanceof Map) return tensorsOnly(inner, `its '${key}' entry`, fail);
  }
  return tensorsOnly(root, 'it', fail);
}

/** The dict as tensors by name, or an Error naming an entry that is not a tensor. */
function tensorsOnly(dict: Map<PyKey, PyValue>, what: string, fail: (msg: string) => never): Map<string, TensorRef> {
  const out = new Map<string, TensorRef>();
  for (const [k, v] of dict) {
    if (typeof k !== 'string' || !(v instanceof TensorRef)) {
      const keys = [...dict.keys()].slice(0, 8).map(String).join(', ');
      return fail(`${what} is not a state_dict: its entry ${JSON.stringify(String(k))} is ${describe(v)} (keys: ${keys}${dict.size > 8 ? ', …' : ''}); ` +
        "CNN Lab reads a dict of tensors, or a dict with one under 'state_dict' or 'model'");
    }
    out.set(k, v);
  }
  return out;
}

/** A tensor's elements in row-major order as float32, copied out of a strided view when not contiguous. */
function gather(raw: Uint8Array, t: TensorRef): Float32Array {
  const { dtype, itemSize } = t.storage.type;
  const numel = t.shape.reduce((a, b) => a * b, 1);
  let contiguous = true;
  for (let i = t.shape.length - 1, expect = 1; i >= 0; expect *= t.shape[i], i--) {
    if (t.shape[i] !== 1 && t.stride[i] !== expect) contiguous = false;
  }
  if (contiguous && dtype === 'F32' && LITTLE_ENDIAN_HOST && (raw.byteOffset + t.offset * 4) % 4 === 0) {
    // A view, not a copy, as the safetensors reader gives: the file's bytes need not exist twice.
    return new Float32Array(raw.buffer, raw.byteOffset + t.offset * 4, numel);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const read = elementReader(dtype, view);
  const out = new Float32Array(numel);
  if (contiguous) {
    for (let i = 0; i < numel; i++) out[i] = read((t.offset + i) * itemSize);
    return out;
  }
  // An odometer over the index: `pos` follows the strides as the last index runs fastest.
  const rank = t.shape.length;
  const idx = new Array<number>(rank).fill(0);
  let pos = t.offset;
  for (let i = 0; i < numel; i++) {
    out[i] = read(pos * itemSize);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < t.shape[d]) {
        pos += t.stride[d];
        break;
      }
      pos -= (t.shape[d] - 1) * t.stride[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Reads one little-endian float element of `dtype` at a byte offset. */
function elementReader(dtype: string, view: DataView): (at: number) => number {
  switch (dtype) {
    case 'F32': return (at) => view.getFloat32(at, true);
    case 'F64': return (at) => view.getFloat64(at, true);
    case 'F16': return (at) => halfToFloat(view.getUint16(at, true));
    // bfloat16 is the top half of a float32.
    case 'BF16': {
      const f = new Float32Array(1);
      const u = new Uint32Array(f.buffer);
      return (at) => ((u[0] = view.getUint16(at, true) << 16), f[0]);
    }
    default: throw new Error(`no float reader for ${dtype}`);
  }
}
