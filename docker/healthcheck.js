'use strict';
// Container HEALTHCHECK: GET /healthz on the proxy's own port (slim images have no curl).
// Exit 0 when it answers 200 within 4 s, 1 otherwise. With `admin` or `tls` set, point it at the
// right listener: PHI_PROXY_HEALTHCHECK_URL=http://127.0.0.1:9090/healthz (or https://…; the
// certificate is not checked, this only asks the local process whether it is alive).
const http = require('node:http');
const https = require('node:https');

const port = Number(process.env.PHI_PROXY_PORT || 8080);
const url = new URL(process.env.PHI_PROXY_HEALTHCHECK_URL || `http://127.0.0.1:${port}/healthz`);
const fail = () => process.exit(1);
const timer = setTimeout(fail, 4000);
const client = url.protocol === 'https:' ? https : http;
const req = client.get(url, { agent: false, rejectUnauthorized: false }, (res) => {
  res.resume();
  clearTimeout(timer);
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('error', fail);
