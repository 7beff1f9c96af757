// A small corp-relay-v4 server for the tests (design.md §2), independent of core/: one TCP connection
// to the target per session, DATA both ways, ACKs, and resume after a dropped link with replay of every
// unacknowledged byte. It is strict about what the client sends and records every violation in
// `violations`, so a test can assert the client kept the protocol.
import net from 'node:net';
import crypto from 'node:crypto';
import { EmuLink } from './links.mjs';
import * as v4 from './v4.mjs';

class EmuSession {
  constructor(relay, sid, target) {
    this.relay = relay;
    this.sid = sid;
    this.target = target;
    this.link = null;
    this.sent = 0;          // payload bytes ever sent to the client
    this.acked = 0;         // ... of which the client acknowledged
    this.replay = [];       // [{offset, bytes}] unacknowledged, in order
    this.received = 0;      // payload bytes received from the client
    this.acksFromClient = 0;  // ACK messages the client sent
    this.targetEnded = false;
    this.targetReady = false;
    this.pendingToTarget = [];
    target.on('connect', () => {
      this.targetReady = true;
      for (const b of this.pendingToTarget) target.write(b);
      this.pendingToTarget = [];
    });
    target.on('data', (d) => this.fromTarget(d));
    target.on('end', () => {
      this.targetEnded = true;
      this.link?.serverClose();
    });
    target.on('error', () => {});
  }

  violation(what) { this.relay.violations.push(`${this.sid}: ${what}`); }

  fromTarget(data) {
    for (let i = 0; i < data.length; i += v4.MAX_DATA) {
      const chunk = Buffer.from(data.subarray(i, i + v4.MAX_DATA));
      this.replay.push({ offset: this.sent, bytes: chunk });
      this.sent += chunk.length;
      this.link?.serverSend(v4.encodeData(chunk));
    }
  }

  trim(ack) {
    while (this.replay.length && this.replay[0].offset + this.replay[0].bytes.length <= ack) this.replay.shift();
    this.acked = ack;
  }

  attach(link) {
    this.link = link;
    link.server.onmessage = (m) => this.fromClient(link, m);
    link.server.onclose = (clean) => {
      if (this.link !== link) return;
      this.link = null;
      if (clean) this.target.end();  // the client is done; a drop keeps the session for a resume
    };
  }

  fromClient(link, message) {
    let f;
    try {
      f = v4.decode(message);
    } catch (e) {
      this.violation(`malformed message: ${e.message}`);
      return;
    }
    if (f.tag === v4.Tag.DATA) {
      if (f.payload.length === 0) this.violation('empty DATA');
      if (f.payload.length > v4.MAX_DATA) this.violation(`DATA of ${f.payload.length} bytes`);
      this.received += f.payload.length;
      const payload = Buffer.from(f.payload);
      if (this.targetReady) this.target.write(payload); else this.pendingToTarget.push(payload);
      link.serverSend(v4.encodeAck(this.received));
    } else if (f.tag === v4.Tag.ACK) {
      this.acksFromClient++;
      if (f.ack < this.acked) this.violation(`ACK ${f.ack} goes back from ${this.acked}`);
      if (f.ack > this.sent) this.violation(`ACK ${f.ack} exceeds the ${this.sent} bytes sent`);
      this.trim(Math.min(f.ack, this.sent));
    } else {
      this.violation(`client sent tag ${f.tag}`);
    }
  }
}

export class V4RelayEmu {
  constructor({ targetPort, targetHost = '127.0.0.1' }) {
    this.targetPort = targetPort;
    this.targetHost = targetHost;
    this.sessions = new Map();
    this.violations = [];
    this.links = [];
  }

  // /v4/connect: dials the target at once (client bytes are buffered until it answers).
  connect() {
    const sid = crypto.randomBytes(12).toString('base64url');
    const target = net.connect({ port: this.targetPort, host: this.targetHost });
    target.setNoDelay(true);
    const session = new EmuSession(this, sid, target);
    this.sessions.set(sid, session);
    const link = new EmuLink();
    this.links.push(link);
    session.attach(link);
    link.serverSend(v4.encodeConnectSuccess(sid));
    return link;
  }

  // /v4/reconnect?sid=&ack=
  reconnect(sid, ack) {
    const s = this.sessions.get(sid);
    if (!s) throw new Error(`unknown session ${sid}`);
    if (ack < s.acked || ack > s.sent) {
      this.violations.push(`${sid}: reconnect ack ${ack} outside [${s.acked}, ${s.sent}]`);
      throw new Error('bad reconnect ack');
    }
    s.link?.drop();
    s.trim(ack);
    const link = new EmuLink();
    this.links.push(link);
    s.attach(link);
    link.serverSend(v4.encodeReconnectSuccess(s.received));
    for (const { offset, bytes } of s.replay) {
      const from = Math.max(0, ack - offset);
      if (from < bytes.length) link.serverSend(v4.encodeData(bytes.subarray(from)));
    }
    if (s.targetEnded) link.serverClose();
    return link;
  }

  // The link a session currently uses (to drop it from a test).
  currentLink(sid) { return this.sessions.get(sid)?.link ?? null; }

  close() {
    for (const s of this.sessions.values()) s.target.destroy();
  }
}
