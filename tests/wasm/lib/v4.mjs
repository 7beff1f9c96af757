// corp-relay-v4 frames (design.md §2), written independently of core/ so the tests cross-check it.
export const Tag = { CONNECT_SUCCESS: 1, RECONNECT_SUCCESS: 2, DATA: 4, ACK: 7 };
export const MAX_DATA = 16384;

export function encodeData(payload) {
  const b = Buffer.alloc(6 + payload.length);
  b.writeUInt16BE(Tag.DATA, 0);
  b.writeUInt32BE(payload.length, 2);
  Buffer.from(payload.buffer, payload.byteOffset, payload.length).copy(b, 6);
  return b;
}

function encodeU64(tag, n) {
  const b = Buffer.alloc(10);
  b.writeUInt16BE(tag, 0);
  b.writeBigUInt64BE(BigInt(n), 2);
  return b;
}
export const encodeAck = (n) => encodeU64(Tag.ACK, n);
export const encodeReconnectSuccess = (n) => encodeU64(Tag.RECONNECT_SUCCESS, n);

export function encodeConnectSuccess(sid) {
  const id = Buffer.from(sid, 'ascii');
  const b = Buffer.alloc(6 + id.length);
  b.writeUInt16BE(Tag.CONNECT_SUCCESS, 0);
  b.writeUInt32BE(id.length, 2);
  id.copy(b, 6);
  return b;
}

// One whole message -> {tag, payload | ack | sid}; throws on anything malformed.
export function decode(message) {
  const b = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  if (b.length < 2) throw new Error(`v4 message of ${b.length} bytes`);
  const tag = b.readUInt16BE(0);
  if (tag === Tag.DATA || tag === Tag.CONNECT_SUCCESS) {
    if (b.length < 6) throw new Error('short v4 header');
    const len = b.readUInt32BE(2);
    if (b.length !== 6 + len) throw new Error(`v4 length ${len} but ${b.length - 6} bytes follow`);
    if (tag === Tag.DATA) return { tag, payload: b.subarray(6) };
    return { tag, sid: b.subarray(6).toString('ascii') };
  }
  if (tag === Tag.ACK || tag === Tag.RECONNECT_SUCCESS) {
    if (b.length !== 10) throw new Error(`v4 tag ${tag} with ${b.length} bytes`);
    return { tag, ack: Number(b.readBigUInt64BE(2)) };
  }
  return { tag };
}
