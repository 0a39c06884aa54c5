'use strict';
// Container HEALTHCHECK: GET /healthz on the proxy's own port (slim images have no curl).
// Exit 0 when it answers 200 within 4 s, 1 otherwise.
const http = require('node:http');

const port = Number(process.env.PHI_PROXY_PORT || 8080);
const fail = () => process.exit(1);
const timer = setTimeout(fail, 4000);
const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
  res.resume();
  clearTimeout(timer);
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('error', fail);
