// A TCP proxy between Chromium and sshrelayd that can cut its connections the hard way (both sockets
// destroyed, no WebSocket close frame), like a network drop. cutAfter(n) cuts each open connection once
// it has carried n more bytes from the relay to the browser, so the cut lands in the middle of output
// (and in the middle of a WebSocket frame).
import net from 'node:net';

export async function startCuttingProxy(targetPort) {
  const conns = new Set();
  let cuts = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    const conn = { down: 0, cutAt: null };
    conn.cut = () => {
      if (!conns.delete(conn)) return;
      cuts++;
      client.destroy();
      upstream.destroy();
    };
    conns.add(conn);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (conn.cutAt !== null && conn.down + d.length >= conn.cutAt) {
        client.write(d.subarray(0, conn.cutAt - conn.down));
        conn.cut();
        return;
      }
      conn.down += d.length;
      client.write(d);
    });
    const closed = () => {
      if (!conns.delete(conn)) return;
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', closed);
      s.on('close', closed);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    get cuts() { return cuts; },
    get openConnections() { return conns.size; },
    cutAll() { for (const c of [...conns]) c.cut(); },
    cutAfter(n) { for (const c of conns) c.cutAt = c.down + n; },
    close() {
      for (const c of [...conns]) c.cut();
      server.close();
    },
  };
}
