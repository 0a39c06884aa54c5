/**
 * deploy/kubernetes/*.yaml: valid Kubernetes objects (schemas from the `kubernetes-models` npm
 * package, offline), the security and probe settings we promise, and configs that phi-proxy
 * itself accepts with the rule packs the volumes project.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { main } from '../../src/cli/main';
import { loadConfig } from '../../src/config/load';
import { compilePlan } from '../../src/engine/compile';
import { tempDir } from '../helpers';

const ROOT = path.resolve(__dirname, '../..');
const DIR = path.join(ROOT, 'deploy', 'kubernetes');
const FILES = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(DIR, f));
const VALIDATOR = path.join(__dirname, 'validate-kubernetes.mjs');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type K8s = any;

function objectsOf(file: string): K8s[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS()).filter((o) => o !== null && o !== undefined);
}

interface Validation { file: string; index: number; kind: string; name: string; errors: string[] }

async function validate(files: string[]): Promise<Validation[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [VALIDATOR, ...files], { cwd: ROOT });
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as Validation);
}

/** Every pod spec in a file: Pods and the templates of workload objects. */
function podSpecs(objects: K8s[]): { owner: string; spec: K8s }[] {
  return objects.flatMap((o) => {
    if (o.kind === 'Pod') return [{ owner: `Pod/${o.metadata.name}`, spec: o.spec }];
    if (o.spec?.template?.spec) return [{ owner: `${o.kind}/${o.metadata.name}`, spec: o.spec.template.spec }];
    return [];
  });
}

function proxyContainer(spec: K8s): K8s {
  const all = [...(spec.initContainers ?? []), ...spec.containers];
  const found = all.find((c: K8s) => c.name === 'phi-proxy');
  expect(found).toBeDefined();
  return found;
}

describe('deploy/kubernetes manifests', () => {
  it('are valid Kubernetes objects (kubernetes-models schemas)', async () => {
    const results = await validate(FILES);
    expect(results.filter((r) => r.errors.length > 0)).toEqual([]);
    const kinds = (file: string) => results.filter((r) => r.file.endsWith(file)).map((r) => r.kind).sort();
    expect(kinds('deployment.yaml')).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service']);
    expect(kinds('deployment-safe-harbor.yaml')).toEqual(['ConfigMap', 'Deployment', 'PersistentVolumeClaim', 'Service']);
    expect(kinds('sidecar-pod.yaml')).toEqual(['ConfigMap', 'Pod']);
  });

  it('the validator does reject invalid objects (so the check above means something)', async () => {
    const file = path.join(tempDir(), 'bad.yaml');
    fs.writeFileSync(file, stringify({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' },
      spec: { replicas: 'two', selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: '8080' }] }] } } },
    }) + '---\napiVersion: policy/v1\nkind: PodDisruptionBudgetz\nmetadata: { name: y }\n');
    const results = await validate([file]);
    expect(results.map((r) => r.errors)).toEqual([
      ['/spec/replicas must be integer', '/spec/template/spec/containers/0/ports/0/containerPort must be integer'],
      ['unknown apiVersion/kind policy/v1/PodDisruptionBudgetz'],
    ]);
  });

  it.each(FILES.map((f) => [path.basename(f), f]))('%s: non-root UID 10001, read-only root filesystem, no privileges, probes', (_name, file) => {
    for (const { spec } of podSpecs(objectsOf(file))) {
      const c = proxyContainer(spec);
      const security = { ...spec.securityContext, ...c.securityContext };
      expect(security).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(c.env).toEqual(expect.arrayContaining([{ name: 'PHI_PROXY_CONFIG', value: '/etc/phi-proxy/config.yaml' }]));
      const mounts = c.volumeMounts as K8s[];
      expect(mounts.find((m) => m.mountPath === '/etc/phi-proxy')?.readOnly).toBe(true);
      expect(mounts.find((m) => m.mountPath === '/var/lib/phi-proxy')?.readOnly).not.toBe(true);
    }
  });

  it.each(['deployment.yaml', 'deployment-safe-harbor.yaml'])('%s: readiness on /readyz; Service, HPA and PDB point at the pods', (name) => {
    const objects = objectsOf(path.join(DIR, name));
    const deployment = objects.find((o) => o.kind === 'Deployment');
    const labels = deployment.spec.template.metadata.labels;
    expect(deployment.spec.selector.matchLabels).toEqual(labels);
    const c = proxyContainer(deployment.spec.template.spec);
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.startupProbe.httpGet.path).toBe('/healthz');
    expect(c.resources.requests.cpu).toBeDefined();
    const service = objects.find((o) => o.kind === 'Service');
    expect(service.spec.selector).toEqual(labels);
    expect(c.ports.map((p: K8s) => p.name)).toContain(service.spec.ports[0].targetPort);
    for (const o of objects.filter((x) => x.kind === 'PodDisruptionBudget')) expect(o.spec.selector.matchLabels).toEqual(labels);
    for (const o of objects.filter((x) => x.kind === 'HorizontalPodAutoscaler')) {
      expect(o.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
      expect(o.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(deployment.spec.replicas).toBeUndefined(); // the HPA owns the count
    }
  });

  it('Safe Harbor mode runs one replica (per-pod vaults would split pseudonyms); multi-replica uses HMAC', () => {
    for (const file of FILES) {
      const objects = objectsOf(file);
      const config = parseYaml(objects.find((o) => o.kind === 'ConfigMap').data['config.yaml']);
      const deployment = objects.find((o) => o.kind === 'Deployment');
      if (deployment === undefined) continue;
      const scales = objects.some((o) => o.kind === 'HorizontalPodAutoscaler') || (deployment.spec.replicas ?? 1) > 1;
      if ((config.mode ?? 'safe_harbor') === 'safe_harbor') {
        expect({ file, scales }).toEqual({ file, scales: false });
        expect(deployment.spec.strategy.type).toBe('Recreate');
      } else {
        expect(config.hmac.key_file).toBeDefined();
      }
    }
  });

  it('the HMAC key and TLS files come from Secrets', () => {
    const objects = objectsOf(path.join(DIR, 'deployment.yaml'));
    const spec = objects.find((o) => o.kind === 'Deployment').spec.template.spec;
    const c = proxyContainer(spec);
    const config = parseYaml(objects.find((o) => o.kind === 'ConfigMap').data['config.yaml']);
    const secretMount = (secretName: string) => {
      const volume = spec.volumes.find((v: K8s) => v.secret?.secretName === secretName);
      expect(volume).toBeDefined();
      return c.volumeMounts.find((m: K8s) => m.name === volume.name);
    };
    const hmac = secretMount('phi-proxy-hmac');
    expect(config.hmac.key_file.startsWith(`${hmac.mountPath}/`)).toBe(true);
    expect(hmac.readOnly).toBe(true);
    expect(secretMount('phi-proxy-tls').readOnly).toBe(true);
  });

  /** Builds /etc/phi-proxy as the projected volume would, in a temp dir, from the file's ConfigMaps and the repo's rules/. */
  function materialise(file: string): { configFile: string; objects: K8s[]; dir: string } {
    const objects = objectsOf(file);
    const spec = podSpecs(objects)[0]!.spec;
    const c = proxyContainer(spec);
    const mount = c.volumeMounts.find((m: K8s) => m.mountPath === '/etc/phi-proxy');
    const volume = spec.volumes.find((v: K8s) => v.name === mount.name);
    const dir = tempDir();
    for (const source of volume.projected.sources) {
      const name = source.configMap.name;
      const inFile = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
      for (const item of source.configMap.items) {
        // phi-proxy-rules is created from the repository's rules/ (kubectl create configmap --from-file).
        const text = inFile ? inFile.data[item.key] : fs.readFileSync(path.join(ROOT, 'rules', item.key), 'utf8');
        expect(text).toBeDefined();
        fs.mkdirSync(path.dirname(path.join(dir, item.path)), { recursive: true });
        fs.writeFileSync(path.join(dir, item.path), text);
      }
    }
    const configFile = path.join(dir, 'config.yaml');
    const config = parseYaml(fs.readFileSync(configFile, 'utf8'));
    if (config.hmac?.key_file) {
      // The Secret, as mounted: a test key instead of the real one.
      fs.writeFileSync(path.join(dir, 'hmac-key'), 'k'.repeat(48));
      config.hmac.key_file = path.join(dir, 'hmac-key');
    }
    // The vault must live on the writable volume; compile keeps it in memory here.
    expect(config.vault.path.startsWith('/var/lib/phi-proxy/')).toBe(true);
    fs.writeFileSync(configFile, stringify(config));
    return { configFile, objects, dir };
  }

  it.each(FILES.map((f) => [path.basename(f), f]))('%s: the embedded config and rule packs are accepted by phi-proxy (`check`)', (_name, file) => {
    const { configFile } = materialise(file);
    const plan = compilePlan(loadConfig(configFile), { inMemoryVault: true });
    expect(plan.rules.length).toBeGreaterThan(20);
  });

  it('the multi-replica config passes the shipped rule tests, with HMAC pseudonyms', async () => {
    const { configFile } = materialise(path.join(DIR, 'deployment.yaml'));
    let stdout = '';
    const out = new Writable({ write(chunk, _enc, cb) { stdout += String(chunk); cb(); } });
    const code = await main(['test', '--quiet', '--config', configFile, path.join(ROOT, 'rules', 'tests')], { stdin: process.stdin, stdout: out, stderr: out });
    expect(stdout).toMatch(/^\d+ passed, 0 failed\n$/);
    expect(code).toBe(0);
    const plan = compilePlan(loadConfig(configFile), { inMemoryVault: true });
    expect(plan.mode).toBe('expert_determination');
  });
});
