// A minimal WebSocket client (RFC 6455) over node's net: node 20 has no WebSocket client and the tests
// take no npm dependency. Binary messages only, client frames masked, pings answered, fragmented
// messages joined. Offers a subprotocol (`ssh` for corp-relay-v4, `binary` for /relay) and requires the
// server to echo it (design.md §2).
import crypto from 'node:crypto';
import net from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function frame(opcode, payload) {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const b = Buffer.alloc(head + 4 + len);
  b[0] = 0x80 | opcode;
  if (len < 126) b[1] = 0x80 | len;
  else if (len < 65536) { b[1] = 0x80 | 126; b.writeUInt16BE(len, 2); }
  else { b[1] = 0x80 | 127; b.writeBigUInt64BE(BigInt(len), 2); }
  const mask = crypto.randomBytes(4);
  mask.copy(b, head);
  for (let i = 0; i < len; i++) b[head + 4 + i] = payload[i] ^ mask[i & 3];
  return b;
}

// Resolves with a link once the upgrade succeeded; rejects with the HTTP status line otherwise.
// The upgrade's bound is generous (an ASan relay on a loaded machine is slow); it only costs time when the
// relay never answers.
export function openWebSocket({ host, port, path, origin, subprotocol = 'ssh', timeoutMs = 30000 }) {
  return new Promise((resolve, reject) => {
    const key = crypto.randomBytes(16).toString('base64');
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    let open = false;
    let closed = false;
    let fragments = [];
    let closeSent = false;
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`upgrade of ${path} timed out`)); }, timeoutMs);

    const link = {
      onmessage: null,
      onclose: null,
      closeCode: null,
      closeReason: '',
      send(bytes) {
        if (!closed) socket.write(frame(0x2, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
      },
      close(code = 1000, reason = '') {
        if (closed || closeSent) return;
        closeSent = true;
        const r = Buffer.from(reason);
        const p = Buffer.alloc(2 + r.length);
        p.writeUInt16BE(code, 0);
        r.copy(p, 2);
        socket.write(frame(0x8, p));
        setTimeout(() => socket.destroy(), 10000).unref();
      },
      drop() { socket.destroy(); },  // an unclean end: no close handshake
    };
    const finish = (clean) => {
      if (closed) return;
      closed = true;
      if (open) link.onclose?.(clean);
    };

    socket.once('connect', () => {
      socket.write([
        `GET ${path} HTTP/1.1`, `Host: ${host}:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Protocol: ${subprotocol}`,
        ...(origin ? [`Origin: ${origin}`] : []), '', ''].join('\r\n'));
    });
    socket.on('error', (e) => {
      if (!open) { clearTimeout(timer); reject(e); }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (!open) reject(new Error(`connection closed during the upgrade of ${path}`));
      finish(link.closeCode !== null);
    });
    socket.on('data', (data) => {
      buffer = Buffer.concat([buffer, data]);
      if (!open) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString('latin1').split('\r\n');
        buffer = buffer.subarray(end + 4);
        clearTimeout(timer);
        const headers = Object.fromEntries(head.slice(1).map((l) => {
          const i = l.indexOf(':');
          return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
        }));
        const accept = crypto.createHash('sha1').update(key + GUID).digest('base64');
        if (!/^HTTP\/1\.1 101/.test(head[0])) { socket.destroy(); return reject(new Error(head[0])); }
        if (headers['sec-websocket-accept'] !== accept) { socket.destroy(); return reject(new Error('bad Sec-WebSocket-Accept')); }
        if (headers['sec-websocket-protocol'] !== subprotocol) { socket.destroy(); return reject(new Error(`subprotocol ${subprotocol} not echoed`)); }
        open = true;
        resolve(link);
      }
      parseFrames();
    });

    function parseFrames() {
      // Frames that came with the 101 wait until the caller attached its handler (a browser, too,
      // fires onopen before any message).
      if (!link.onmessage && !closed) {
        setImmediate(parseFrames);
        return;
      }
      for (;;) {
        if (buffer.length < 2) return;
        const fin = (buffer[0] & 0x80) !== 0;
        const opcode = buffer[0] & 0x0f;
        const masked = (buffer[1] & 0x80) !== 0;
        let len = buffer[1] & 0x7f;
        let off = 2;
        if (len === 126) { if (buffer.length < 4) return; len = buffer.readUInt16BE(2); off = 4; }
        else if (len === 127) { if (buffer.length < 10) return; len = Number(buffer.readBigUInt64BE(2)); off = 10; }
        const maskOff = off;
        if (masked) off += 4;
        if (buffer.length < off + len) return;
        let payload = Buffer.from(buffer.subarray(off, off + len));
        if (masked) for (let i = 0; i < len; i++) payload[i] ^= buffer[maskOff + (i & 3)];
        buffer = buffer.subarray(off + len);
        if (opcode === 0x9) { if (!closed) socket.write(frame(0xA, payload)); continue; }
        if (opcode === 0xA) continue;
        if (opcode === 0x8) {
          link.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
          link.closeReason = payload.subarray(2).toString('utf8');
          if (!closeSent) { closeSent = true; socket.write(frame(0x8, payload.subarray(0, 2))); }
          socket.end();
          finish(true);
          continue;
        }
        if (opcode === 0x1) { link.textMessage = true; continue; }  // both shapes are binary only
        fragments.push(payload);
        if (!fin) continue;
        const message = fragments.length === 1 ? fragments[0] : Buffer.concat(fragments);
        fragments = [];
        if (!closed) link.onmessage?.(message);
      }
    }
  });
}
