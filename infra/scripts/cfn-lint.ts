/**
 * Synthesizes the stack with bundling skipped (no cargo needed), writes the template to
 * build/vod-pipeline.template.json and runs cfn-lint on it; exits non-zero on any error.
 *
 *   npm run lint:cfn                     # cfn-lint from ../.venv (the Makefile creates it)
 *   CFN_LINT=/tmp/cfnlint/bin/cfn-lint npm run lint:cfn
 *   npm run lint:cfn -- --template-only  # just write the template
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../lib/app';

const infraDir = path.resolve(__dirname, '..');
const outFile = path.join(infraDir, 'build', 'vod-pipeline.template.json');

const { stack } = buildApp();
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(Template.fromStack(stack).toJSON(), null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), outFile)}`);

if (!process.argv.includes('--template-only')) {
  const cfnLint = process.env.CFN_LINT ?? path.join(infraDir, '..', '.venv', 'bin', 'cfn-lint');
  const run = spawnSync(cfnLint, [
    '--non-zero-exit-code', 'error',
    // W3005: CDK adds DependsOn on roles that a GetAtt already implies; harmless.
    '--ignore-checks', 'W3005',
    '--', outFile,
  ], { stdio: 'inherit' });
  if (run.error) {
    console.error(`cannot run cfn-lint at ${cfnLint} (set CFN_LINT): ${run.error.message}`);
    process.exit(2);
  }
  if (run.status === 0) console.log('cfn-lint: no errors');
  process.exit(run.status ?? 1);
}
