// A small reader of Git packfiles (PACK v2/v3), enough for an SSH-Web site (docs/sshweb.md): every
// object inflated (pako's zlib, vendored at build time), offset and reference deltas applied, object
// ids computed, the pack's trailing SHA-1 checked, and — when the pack carries a commit or trees, as
// sshwebd's do — the files named by walking the tree. sshttpd's packs hold bare blobs: they come back
// unnamed, in pack order.
import { ZStream, Z_FINISH, Z_STREAM_END, zlibInflate, zlibInflateEnd, zlibInflateInit } from '../vendor/pako/pako.mjs';

const TYPES = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag', 6: 'ofs-delta', 7: 'ref-delta' };
// Bounds a hostile pack cannot push past: objects, the size one object may claim, and delta depth.
const MAX_OBJECTS = 100000;
const MAX_OBJECT_SIZE = 256 * 1024 * 1024;
const MAX_DELTA_DEPTH = 64;

export class PackError extends Error {
  name = 'PackError';
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

async function sha1(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-1', bytes));
}

// One zlib stream starting at `offset`, whose output is `size` bytes: the data and where the stream
// ended (a pack does not say how long the compressed form is).
function inflateAt(bytes, offset, size) {
  const strm = new ZStream();
  zlibInflateInit(strm);
  strm.input = bytes;
  strm.next_in = offset;
  strm.avail_in = bytes.length - offset;
  strm.output = new Uint8Array(size + 1);  // one spare byte: an object longer than declared is caught
  strm.next_out = 0;
  strm.avail_out = size + 1;
  const status = zlibInflate(strm, Z_FINISH);
  zlibInflateEnd(strm);
  if (status !== Z_STREAM_END) throw new PackError(`object at byte ${offset}: corrupt zlib data${strm.msg ? ` (${strm.msg})` : ''}`);
  if (strm.next_out !== size) throw new PackError(`object at byte ${offset}: ${strm.next_out} bytes where ${size} were declared`);
  return { data: strm.output.subarray(0, size), end: strm.next_in };
}

// Git's delta format: source size, result size, then copy (from the base) and insert instructions.
export function applyDelta(base, delta) {
  let pos = 0;
  const varint = () => {
    let value = 0;
    let shift = 0;
    let byte;
    do {
      if (pos >= delta.length) throw new PackError('delta ends inside a size');
      byte = delta[pos++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const sourceSize = varint();
  const resultSize = varint();
  if (sourceSize !== base.length) throw new PackError(`delta expects a ${sourceSize}-byte base, found ${base.length}`);
  if (resultSize > MAX_OBJECT_SIZE) throw new PackError(`delta result of ${resultSize} bytes is too large`);
  const out = new Uint8Array(resultSize);
  let written = 0;
  while (pos < delta.length) {
    const op = delta[pos++];
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let i = 0; i < 4; i++) if (op & (1 << i)) offset += delta[pos++] * 2 ** (8 * i);
      for (let i = 0; i < 3; i++) if (op & (0x10 << i)) size += delta[pos++] * 2 ** (8 * i);
      if (size === 0) size = 0x10000;
      if (offset + size > base.length || written + size > resultSize) throw new PackError('delta copies outside its base or result');
      out.set(base.subarray(offset, offset + size), written);
      written += size;
    } else if (op !== 0) {
      if (pos + op > delta.length || written + op > resultSize) throw new PackError('delta inserts past its end');
      out.set(delta.subarray(pos, pos + op), written);
      pos += op;
      written += op;
    } else {
      throw new PackError('delta has a reserved instruction (0)');
    }
  }
  if (written !== resultSize) throw new PackError(`delta produced ${written} of ${resultSize} bytes`);
  return out;
}

// The raw entries of a pack, in order: {offset, type, data} or, for deltas, {offset, type, delta,
// baseOffset | baseId}.
function readEntries(bytes) {
  if (bytes.length < 32) throw new PackError(`${bytes.length} bytes is too short for a pack`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'PACK') throw new PackError('not a Git pack (no "PACK" signature)');
  const version = view.getUint32(4);
  if (version !== 2 && version !== 3) throw new PackError(`pack version ${version} is not supported`);
  const count = view.getUint32(8);
  if (count > MAX_OBJECTS) throw new PackError(`${count} objects is more than this reader takes`);
  const end = bytes.length - 20;
  const entries = [];
  let pos = 12;
  for (let i = 0; i < count; i++) {
    const offset = pos;
    if (pos >= end) throw new PackError(`pack ends after ${i} of ${count} objects`);
    let byte = bytes[pos++];
    const typeCode = (byte >> 4) & 7;
    let size = byte & 0x0f;
    let shift = 4;
    while (byte & 0x80) {
      if (pos >= end) throw new PackError(`object at byte ${offset}: header runs past the end`);
      byte = bytes[pos++];
      size += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    }
    const type = TYPES[typeCode];
    if (!type) throw new PackError(`object at byte ${offset}: unknown type ${typeCode}`);
    if (size > MAX_OBJECT_SIZE) throw new PackError(`object at byte ${offset}: ${size} bytes is too large`);
    const entry = { offset, type };
    if (type === 'ofs-delta') {
      byte = bytes[pos++];
      let back = byte & 0x7f;
      while (byte & 0x80) {
        byte = bytes[pos++];
        back = (back + 1) * 128 + (byte & 0x7f);
      }
      entry.baseOffset = offset - back;
    } else if (type === 'ref-delta') {
      entry.baseId = hex(bytes.subarray(pos, pos + 20));
      pos += 20;
    }
    const { data, end: next } = inflateAt(bytes, pos, size);
    if (type.endsWith('-delta')) entry.delta = data; else entry.data = data;
    pos = next;
    entries.push(entry);
  }
  if (pos !== end) throw new PackError(`${end - pos} unexpected bytes after the last object`);
  return entries;
}

// Every object of the pack, deltas resolved: Map id → {type, data}, and the ids in pack order.
export async function readPack(packBytes) {
  const bytes = packBytes instanceof Uint8Array ? packBytes : new Uint8Array(packBytes);
  const trailer = hex(bytes.subarray(bytes.length - 20));
  if (hex(await sha1(bytes.subarray(0, bytes.length - 20))) !== trailer) throw new PackError('the pack checksum does not match its contents');
  const entries = readEntries(bytes);
  const byOffset = new Map(entries.map((e) => [e.offset, e]));
  const objects = new Map();
  const order = [];
  const idOf = new Map();  // offset → id

  const store = async (entry, type, data) => {
    const header = new TextEncoder().encode(`${type} ${data.length}\0`);
    const whole = new Uint8Array(header.length + data.length);
    whole.set(header);
    whole.set(data, header.length);
    const id = hex(await sha1(whole));
    objects.set(id, { type, data });
    idOf.set(entry.offset, id);
    order.push(id);
  };
  const resolved = (entry) => {  // the base's {type, data}, or null when not known yet
    if (entry.type === 'ofs-delta') {
      const id = idOf.get(entry.baseOffset);
      if (!byOffset.has(entry.baseOffset)) throw new PackError(`delta at byte ${entry.offset}: no object at its base offset`);
      return id ? objects.get(id) : null;
    }
    return objects.get(entry.baseId) ?? null;
  };

  for (const entry of entries) if (entry.data) await store(entry, entry.type, entry.data);
  // Deltas may stack (a delta on a delta): resolve in rounds, each needing one more level.
  let pending = entries.filter((e) => e.delta);
  for (let depth = 0; pending.length && depth < MAX_DELTA_DEPTH; depth++) {
    const next = [];
    for (const entry of pending) {
      const base = resolved(entry);
      if (base) await store(entry, base.type, applyDelta(base.data, entry.delta)); else next.push(entry);
    }
    if (next.length === pending.length) break;
    pending = next;
  }
  if (pending.length) {
    const e = pending[0];
    throw new PackError(`${pending.length} delta(s) without their base in this pack (first at byte ${e.offset}${e.baseId ? `, base ${e.baseId}` : ''})`);
  }
  return { objects, order };
}

// A tree's entries: {mode, name, id}.
export function parseTree(data) {
  const entries = [];
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const nul = data.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 21 > data.length) throw new PackError('a tree object is malformed');
    const mode = new TextDecoder().decode(data.subarray(pos, space));
    const name = new TextDecoder().decode(data.subarray(space + 1, nul));
    entries.push({ mode, name, id: hex(data.subarray(nul + 1, nul + 21)) });
    pos = nul + 21;
  }
  return entries;
}

// The site's files: {files: Map path → bytes (paths without a leading '/'), commit?, blobs: the bytes
// of unnamed blobs (a pack without trees)}.
export async function siteFiles(packBytes) {
  const { objects, order } = await readPack(packBytes);
  const files = new Map();
  let root = null;
  let commit = null;
  for (const id of order) {
    const o = objects.get(id);
    if (o.type === 'commit') {
      const match = /^tree ([0-9a-f]{40})$/m.exec(new TextDecoder().decode(o.data));
      if (match) { root = match[1]; commit = id; break; }
    }
  }
  if (!root) {
    // No commit: the tree no other tree names.
    const named = new Set();
    const trees = order.filter((id) => objects.get(id).type === 'tree');
    for (const id of trees) for (const e of parseTree(objects.get(id).data)) named.add(e.id);
    root = trees.find((id) => !named.has(id)) ?? null;
  }
  const walk = (treeId, prefix, depth) => {
    const tree = objects.get(treeId);
    if (!tree || tree.type !== 'tree') throw new PackError(`tree ${treeId} is not in the pack`);
    if (depth > 64) throw new PackError('the site\'s folders nest too deep');
    for (const e of parseTree(tree.data)) {
      const path = prefix + e.name;
      if (e.mode === '40000' || e.mode === '040000') walk(e.id, `${path}/`, depth + 1);
      else if (e.mode.startsWith('100') && objects.get(e.id)?.type === 'blob') files.set(path, objects.get(e.id).data);
    }
  };
  if (root) walk(root, '', 0);
  const blobs = root ? [] : order.filter((id) => objects.get(id).type === 'blob').map((id) => objects.get(id).data);
  return { files, commit, blobs, objects: objects.size };
}
