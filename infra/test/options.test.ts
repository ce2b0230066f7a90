/** Context options change what they say and nothing else; bad values fail at synth. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { buildApp } from '../lib/app';
import { functionProps, functionStatements, logicalIdOf, resourcesOfType, statementsFor, synth } from './helpers';

const publicKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .publicKey.export({ type: 'spki', format: 'pem' }).toString();
const keyDir = mkdtempSync(path.join(tmpdir(), 'vod-infra-'));
const keyFile = path.join(keyDir, 'public.pem');
writeFileSync(keyFile, publicKeyPem);

const QUEUE = 'arn:aws:mediaconvert:eu-west-1:123456789012:queues/vod';
const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const WEB_ACL = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/vod/abc';
const ALARMS = 'arn:aws:sns:eu-west-1:123456789012:ops-alarms';

const { stack, template, json } = synth({
  sourceGlacierDays: 30,
  sfnIncludeExecutionData: true,
  mediaConvertQueueArn: QUEUE,
  mediaConvertAcceleration: 'PREFERRED',
  signingPublicKeyFile: keyFile,
  domainName: 'video.example.com',
  certificateArn: CERT,
  webAclArn: WEB_ACL,
  alarmTopicArn: ALARMS,
});
const distribution = () => json.Resources[logicalIdOf(stack, stack.delivery.distribution)].Properties.DistributionConfig;

describe('with every option set', () => {
  test('sourceGlacierDays moves sources to Glacier after that many days', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 30 }] })] },
    });
  });

  test('sfnIncludeExecutionData turns execution data on in the logs', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
  });

  test('MediaConvert queue and acceleration reach job-submit, and CreateJob is allowed on that queue only', () => {
    const env = functionProps(json, 'job-submit').Environment.Variables;
    assert.equal(env.VOD_MEDIACONVERT_QUEUE_ARN, QUEUE);
    assert.equal(env.VOD_MEDIACONVERT_ACCELERATION, 'PREFERRED');
    assert.equal(statementsFor(functionStatements(json, 'job-submit'), 'mediaconvert:CreateJob')[0].Resource, QUEUE);
  });

  test('a signing key adds a public key and key group trusted by every behaviour, and outputs its id', () => {
    const [[keyId, key]] = resourcesOfType(json, 'AWS::CloudFront::PublicKey');
    assert.equal(key.Properties.PublicKeyConfig.EncodedKey, publicKeyPem.trim());
    const [[groupId, group]] = resourcesOfType(json, 'AWS::CloudFront::KeyGroup');
    assert.deepEqual(group.Properties.KeyGroupConfig.Items, [{ Ref: keyId }]);
    for (const b of [distribution().DefaultCacheBehavior, ...distribution().CacheBehaviors]) {
      assert.deepEqual(b.TrustedKeyGroups, [{ Ref: groupId }]);
    }
    assert.deepEqual(json.Outputs.SigningPublicKeyId.Value, { Ref: keyId });
  });

  test('a custom domain brings its certificate, TLS 1.2 minimum and the CDN base URL', () => {
    assert.deepEqual(distribution().Aliases, ['video.example.com']);
    assert.deepEqual(distribution().ViewerCertificate, {
      AcmCertificateArn: CERT, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only',
    });
    assert.equal(functionProps(json, 'completion-handler').Environment.Variables.VOD_CDN_BASE_URL,
      'https://video.example.com');
  });

  test('a web ACL is attached to the distribution', () => {
    assert.equal(distribution().WebACLId, WEB_ACL);
  });

  test('an alarm topic receives every alarm', () => {
    const alarms = resourcesOfType(json, 'AWS::CloudWatch::Alarm');
    assert.ok(alarms.length >= 12);
    for (const [, a] of alarms) assert.deepEqual(a.Properties.AlarmActions, [ALARMS]);
  });

  test('still no unsuppressed AwsSolutions findings (and CFR2/CFR4 are no longer suppressed)', () => {
    assert.deepEqual(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')), []);
    assert.deepEqual(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')), []);
    const suppressed = JSON.stringify(json.Resources[logicalIdOf(stack, stack.delivery.distribution)].Metadata);
    assert.doesNotMatch(suppressed, /CFR4|CFR2/);
  });

  test('a signing key is what lets CFR1 (no geo restriction) be suppressed: playback is signed', () => {
    const rules = json.Resources[logicalIdOf(stack, stack.delivery.distribution)].Metadata.cdk_nag.rules_to_suppress;
    const [cfr1] = rules.filter((r: any) => r.id === 'AwsSolutions-CFR1');
    assert.match(cfr1.reason, /signed URLs\/cookies/);
  });
});

describe('bad context fails at synth', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['acceleration outside DISABLED/ENABLED/PREFERRED', { mediaConvertAcceleration: 'FAST' }, /mediaConvertAcceleration/],
    ['a queue ARN that is not a MediaConvert queue', { mediaConvertQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:q' }, /mediaConvertQueueArn/],
    ['a non-numeric Glacier delay', { sourceGlacierDays: 'soon' }, /sourceGlacierDays/],
    ['a domain without a certificate', { domainName: 'video.example.com' }, /certificateArn/],
    ['a private key instead of a public one', { signingPublicKeyPem: '-----BEGIN PRIVATE KEY-----' }, /PUBLIC KEY/],
    ['both key options', { signingPublicKeyPem: publicKeyPem, signingPublicKeyFile: keyFile }, /either/],
  ];
  for (const [what, context, message] of cases) {
    test(what, () => assert.throws(() => buildApp({ context }), message));
  }
});
