// An emulated network link for the browser tests: a TCP proxy on loopback
// that paces the bytes it forwards to a given rate, shared by every
// connection through it (as an access link is), and delays them by a fixed
// one-way latency. Unlike DevTools' Network.emulateNetworkConditions, which
// throttles each of a page's requests inside Chromium (not a service
// worker's, and at about 70 % of the rate it is given, e2e/firstvisit.mjs),
// it slows everything the browser fetches through it, the way a real link
// would.
import net from 'node:net';

const CHUNK = 4096; // bytes forwarded at a time

// startLink listens on a free loopback port and forwards to target (a URL
// whose host and port are used): down bytes/s towards the browser, up
// bytes/s towards the server, each byte delayed by delay ms on top of its
// turn on the link. It resolves to { url, close }, url being target's
// scheme with the proxy's host and port.
export function startLink(target, { down = 1_250_000, up = 625_000, delay = 20 } = {}) {
  const pacer = (rate) => {
    let free = 0; // when the link has sent everything queued so far (ms, performance.now)
    return (bytes) => {
      free = Math.max(free, performance.now()) + (bytes * 1000) / rate;
      return free + delay;
    };
  };
  const downLink = pacer(down);
  const upLink = pacer(up);
  // forward sends from's bytes to to in order, each chunk when its turn
  // on the link has come (one timer per direction of a connection, so
  // that no chunk overtakes another).
  const forward = (from, to, link) => {
    const queue = [];
    let timer = null;
    const pump = () => {
      timer = null;
      while (queue.length > 0 && queue[0].at <= performance.now()) {
        const { chunk } = queue.shift();
        if (to.destroyed) return;
        if (chunk) to.write(chunk); else to.end();
      }
      if (queue.length > 0) timer = setTimeout(pump, queue[0].at - performance.now());
    };
    const send = (chunk, bytes) => {
      queue.push({ at: link(bytes), chunk });
      if (timer === null) timer = setTimeout(pump, queue[0].at - performance.now());
    };
    from.on('data', (buf) => {
      for (let i = 0; i < buf.length; i += CHUNK) send(buf.subarray(i, i + CHUNK), Math.min(CHUNK, buf.length - i));
    });
    from.on('end', () => send(null, 0));
    from.on('error', () => to.destroy());
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    forward(client, upstream, upLink);
    forward(upstream, client, downLink);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({
      url: `${target.protocol}//127.0.0.1:${server.address().port}`,
      close: () => new Promise((r) => server.close(r)),
    }));
  });
}
