'use strict';
/**
 * The minimal upstream of the proxy benches, in its own process: reads each request body and
 * answers {"status":1} like PostHog. It keeps the last POST (GET /__last returns it, for the
 * benches' check of what the proxy forwarded). Prints its port on the first line of stdout.
 */
const http = require('node:http');

let last = null;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/__last') {
      const text = JSON.stringify(last);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    if (req.method === 'POST') last = { url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('base64') };
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 12 });
    res.end('{"status":1}');
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
