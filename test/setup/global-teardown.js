const fs = require('node:fs');
module.exports = async () => {
  const root = process.env.PHI_PROXY_TEST_TMP;
  if (root && root.includes('phi-proxy-run-')) fs.rmSync(root, { recursive: true, force: true });
};
