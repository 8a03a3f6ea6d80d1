import { Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { objectStoreFromEnv } from '../connect';
import { print } from '../output';

/** `assay models ...`: the model registry in the object store (models/<name>/<version>/). */
export function modelsCommand(): Command {
  const models = new Command('models');
  models
    .command('push <dir>')
    .description('upload a model directory as a new version: Optimum layout (model.onnx, config.json, tokenizer.json, ...) or transformers.js layout (onnx/model*.onnx)')
    .requiredOption('--name <name>', 'model name (lowercase, [a-z0-9._-])')
    .option('--version <version>', 'version id (default: a sortable timestamp)')
    .option('--json', 'one JSON object')
    .action(async (dir: string, o: { name: string; version?: string; json?: boolean }) => {
      const { registry } = objectStoreFromEnv();
      const reportFile = path.join(dir, 'training-report.json');
      const trainingReport = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : undefined;
      const manifest = await registry.push(dir, { name: o.name, version: o.version, provenance: { kind: trainingReport ? 'forged' : 'uploaded', ...(trainingReport ? { trainingReport } : {}) } });
      print(manifest, Boolean(o.json), (m) => `pushed ${m.name}@${m.version} (${m.files.length} files, ${m.files.reduce((n: number, f: { size: number }) => n + f.size, 0)} bytes)`);
    });
  models
    .command('list')
    .description('registered models with their latest version')
    .option('--json', 'one JSON object')
    .action(async (o: { json?: boolean }) => {
      const { registry } = objectStoreFromEnv();
      const list = await registry.list();
      print({ models: list }, Boolean(o.json), (v) => (v.models.length ? v.models.map((m: { name: string; latestVersion: string; versionCount: number }) => `${m.name.padEnd(28)} ${m.latestVersion.padEnd(26)} ${m.versionCount} version(s)`).join('\n') : 'no models registered (try: npx assay demo)'));
    });
  models
    .command('show <name>')
    .description('manifest of a model version (files, checksums, provenance, training report)')
    .option('--version <version>', 'version (default: latest)')
    .option('--json', 'one JSON object')
    .action(async (name: string, o: { version?: string; json?: boolean }) => {
      const { registry } = objectStoreFromEnv();
      const [base, atVersion] = name.split('@');
      print(await registry.show(base, o.version ?? atVersion), Boolean(o.json));
    });
  models
    .command('sign [name]')
    .description('sign models pushed before the platform had a signing key (or under a retired key) with ASSAY_SIGNING_KEY; only for versions you trust as they are')
    .option('--version <version>', 'one version (default: every version; also name@version)')
    .option('--prefix <prefix>', 'also sign every other object under this prefix (e.g. reports/), checked against its recorded sha256')
    .option('--json', 'one JSON object')
    .action(async (name: string | undefined, o: { version?: string; prefix?: string; json?: boolean }) => {
      const { registry, store } = objectStoreFromEnv();
      const [base, atVersion] = (name ?? '').split('@');
      const names = base ? [base] : (await registry.list()).map((m) => m.name);
      const signed: string[] = [];
      for (const model of names) {
        const version = o.version ?? atVersion;
        for (const v of version ? [version] : await registry.versions(model)) {
          const manifest = await registry.sign(model, v);
          signed.push(`${manifest.name}@${manifest.version}`);
        }
      }
      const objects: string[] = [];
      if (o.prefix !== undefined) {
        for (const { key } of (await store.list(o.prefix, { recursive: true })).objects) {
          if (key.startsWith('models/')) continue; // models are signed with their manifests above
          await store.resign(key);
          objects.push(key);
        }
      }
      print({ models: signed, objects, keyId: store.signer?.keyId }, Boolean(o.json), (r) =>
        [`signed ${r.models.length} model version(s)${r.models.length ? ': ' + r.models.join(', ') : ''}`, ...(o.prefix !== undefined ? [`signed ${r.objects.length} object(s) under ${o.prefix || '(the whole bucket)'}`] : [])].join('\n'),
      );
    });
  models
    .command('prepare <dir>')
    .description(
      'add the final-norm hidden states (output "hidden_states") that hiddenStates, returnHiddenStates and the heads need to a decoder export, ' +
        'in place, for every weight variant; each graph is checked against its own LM head',
    )
    .option('--json', 'one JSON object')
    .action(async (dir: string, o: { json?: boolean }) => {
      // Loaded here: the runtime (onnxruntime) is only needed by this command.
      const { prepareModelDir } = await import('@assay/runtime');
      const report = await prepareModelDir(dir);
      print(report, Boolean(o.json), (r: Awaited<ReturnType<typeof prepareModelDir>>) =>
        [
          ...r.graphs.map(
            (g) =>
              `${g.file}: ${g.alreadyPrepared ? 'already had' : 'added'} "${r.output}" (${g.elemType}) from ${g.sources.map((s) => `${s.tensor} (${s.producedBy})`).join(' and ')}; ` +
              `LM head check max |Δlogit| ${g.check.maxAbsDiff.toExponential(1)}`,
          ),
          r.configUpdated ? `config.json: assay.hidden_states_output = "${r.output}"` : 'config.json already names the output',
        ].join('\n'),
      );
    });
  return models;
}
