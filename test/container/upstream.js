'use strict';
// A stand-in for the analytics vendor on 127.0.0.1: records every request (body gunzipped) as one
// JSON line in RECORD_FILE and answers {"status":1}. Prints its port to stdout once listening.
// Usage: node upstream.js RECORD_FILE
const fs = require('node:fs');
const http = require('node:http');
const zlib = require('node:zlib');

const recordFile = process.argv[2];
if (!recordFile) {
  process.stderr.write('usage: node upstream.js RECORD_FILE\n');
  process.exit(2);
}
fs.writeFileSync(recordFile, '', { mode: 0o600 });

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body = Buffer.concat(chunks);
    let gzip = false;
    try {
      if (req.headers['content-encoding'] === 'gzip' || (body[0] === 0x1f && body[1] === 0x8b)) {
        body = zlib.gunzipSync(body);
        gzip = true;
      }
    } catch {
      /* keep the raw bytes */
    }
    fs.appendFileSync(recordFile, JSON.stringify({ method: req.method, url: req.url, gzip, headers: req.headers, body: body.toString('utf8') }) + '\n');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":1}');
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
