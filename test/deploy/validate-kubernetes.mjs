// Validates Kubernetes manifests against the API schemas shipped in the `kubernetes-models` npm
// package (offline, no cluster). An ES module because kubernetes-models is one; the jest test
// (kubernetes.test.ts) runs it as a child process.
//
//   node test/deploy/validate-kubernetes.mjs FILE...   prints one JSON line per document
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const [index, doc] of docs.entries()) {
    const result = { file, index, apiVersion: undefined, kind: undefined, name: undefined, errors: [] };
    if (doc.errors.length > 0) {
      result.errors = doc.errors.map((e) => e.message);
      console.log(JSON.stringify(result));
      continue;
    }
    const object = doc.toJS();
    if (object === null || object === undefined) continue;
    Object.assign(result, { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata?.name });
    let Model;
    try {
      // `apps/v1` -> kubernetes-models/apps/v1, `v1` -> kubernetes-models/v1
      Model = (await import(`kubernetes-models/${object.apiVersion}`))[object.kind];
    } catch {
      Model = undefined;
    }
    if (Model === undefined) {
      result.errors = [`unknown apiVersion/kind ${object.apiVersion}/${object.kind}`];
    } else {
      try {
        new Model(object).validate();
      } catch (err) {
        result.errors = (err.errors ?? [err]).map((e) => (e.instancePath !== undefined ? `${e.instancePath || '/'} ${e.message}` : String(e.message ?? e)));
      }
    }
    console.log(JSON.stringify(result));
  }
}
