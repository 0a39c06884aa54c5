// One temp root per test run, so scratch directories (vaults, configs) never pile up in /tmp.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
module.exports = async () => {
  process.env.PHI_PROXY_TEST_TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'phi-proxy-run-'));
};
