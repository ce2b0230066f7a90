/**
 * Builds the app the way `cdk synth` would (feature flags from cdk.json, cdk-nag on) but in
 * process, for tests and the cfn-lint script. Bundling is skipped by default, so neither cargo
 * nor Docker is needed.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { VodStack } from './vod-stack';

export interface BuildOptions {
  /** Extra context (the same keys as `-c key=value`). */
  readonly context?: Record<string, unknown>;
  /** Run cargo-lambda bundling (slow, needs cargo-lambda + zig + the aarch64 target). */
  readonly bundle?: boolean;
  readonly outdir?: string;
}

export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'));
  return cdkJson.context ?? {};
}

export function buildApp(options: BuildOptions = {}): { app: App; stack: VodStack } {
  const app = new App({
    outdir: options.outdir,
    context: {
      ...cdkJsonContext(),
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
  const stack = new VodStack(app, 'VodPipeline', {
    stackName: 'vod-test',
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { app, stack };
}
