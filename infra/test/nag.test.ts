/** cdk-nag AwsSolutions: nothing unsuppressed, and every suppression is narrow and explained. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { defaults, logicalIdOf } from './helpers';

const { stack, json } = defaults();

test('no unsuppressed AwsSolutions errors', () => {
  const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
  assert.deepEqual(errors.map((e) => `${e.id}: ${e.entry.data}`), []);
});

test('no unsuppressed AwsSolutions warnings but CFR1: without a signing key the CDN is public, and says so', () => {
  const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
  const distributionPath = `/${stack.delivery.distribution.node.path}/Resource`;
  assert.deepEqual(warnings.map((w) => `${w.id}: ${String(w.entry.data).split(':')[0]}`),
    [`${distributionPath}: AwsSolutions-CFR1`]);
  const suppressed = json.Resources[logicalIdOf(stack, stack.delivery.distribution)].Metadata?.cdk_nag?.rules_to_suppress ?? [];
  assert.ok(!suppressed.some((s: any) => s.id === 'AwsSolutions-CFR1'), 'CFR1 is suppressed only when playback is signed');
});

test('no warnings from CDK itself', () => {
  const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue())
    .filter((w) => !String(w.entry.data).startsWith('AwsSolutions-'));
  assert.deepEqual(warnings.map((w) => `${w.id}: ${w.entry.data}`), []);
});

test('every wildcard (IAM5) suppression names the exact findings it accepts, with a reason', () => {
  const suppressions = Object.values(json.Resources as Record<string, any>)
    .flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);
  assert.ok(suppressions.length > 0);
  for (const s of suppressions) {
    assert.ok(s.reason.length >= 30, `${s.id} needs a real reason`);
    if (s.id === 'AwsSolutions-IAM5' || s.id === 'AwsSolutions-IAM4') {
      assert.ok(Array.isArray(s.applies_to) && s.applies_to.length > 0, `${s.id} suppressed without appliesTo`);
    }
  }
});
