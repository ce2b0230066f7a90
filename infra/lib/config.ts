/**
 * Deployment settings read from CDK context (`-c key=value` or `cdk.json`). Every key is
 * optional; README.md lists them. Values are validated here so a typo fails at synth, not
 * at 3 a.m. in a Lambda.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Node } from 'constructs';

export const MEDIACONVERT_ACCELERATION_MODES = ['DISABLED', 'ENABLED', 'PREFERRED'] as const;
export type MediaConvertAcceleration = (typeof MEDIACONVERT_ACCELERATION_MODES)[number];

export interface VodConfig {
  /** Move sources to S3 Glacier Flexible Retrieval after this many days; undefined = never. */
  readonly sourceGlacierDays?: number;
  /** Log state input/output in execution logs (may contain object keys): off by default. */
  readonly sfnIncludeExecutionData: boolean;
  /** MediaConvert queue for jobs; the account's Default queue when unset. */
  readonly mediaConvertQueueArn?: string;
  readonly mediaConvertAcceleration?: MediaConvertAcceleration;
  /** PEM of the CloudFront public key whose private half signs URLs/cookies. */
  readonly signingPublicKeyPem?: string;
  /** Custom playback host name; needs `certificateArn` (ACM, us-east-1) covering it. */
  readonly domainName?: string;
  readonly certificateArn?: string;
  /** AWS WAF web ACL (CLOUDFRONT scope, us-east-1) attached to the distribution. */
  readonly webAclArn?: string;
  /** Existing SNS topic that receives alarm state changes. */
  readonly alarmTopicArn?: string;
  /**
   * Alarm when an execution took longer than this (Step Functions `ExecutionTime`, published
   * when an execution closes); executions that never close are caught by `ExecutionsTimedOut`.
   */
  readonly slowExecutionAlarmMinutes: number;
  /** Days the access-log bucket keeps S3 and CloudFront logs. */
  readonly accessLogRetentionDays: number;
}

export const CONTEXT_KEYS = [
  'sourceGlacierDays',
  'sfnIncludeExecutionData',
  'mediaConvertQueueArn',
  'mediaConvertAcceleration',
  'signingPublicKeyPem',
  'signingPublicKeyFile',
  'domainName',
  'certificateArn',
  'webAclArn',
  'alarmTopicArn',
  'slowExecutionAlarmMinutes',
  'accessLogRetentionDays',
] as const;

function optionalString(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`context '${key}' must be a string`);
  return value;
}

function optionalPositiveInt(node: Node, key: string): number | undefined {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '' || raw === false || raw === 'off') return undefined;
  const value = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`context '${key}' must be a positive whole number, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function flag(node: Node, key: string): boolean {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === null) return false;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new Error(`context '${key}' must be true or false, got ${JSON.stringify(raw)}`);
}

export function readConfig(node: Node): VodConfig {
  const acceleration = optionalString(node, 'mediaConvertAcceleration');
  if (acceleration !== undefined
    && !(MEDIACONVERT_ACCELERATION_MODES as readonly string[]).includes(acceleration)) {
    throw new Error(
      `context 'mediaConvertAcceleration' must be one of ${MEDIACONVERT_ACCELERATION_MODES.join(', ')}`,
    );
  }
  const queueArn = optionalString(node, 'mediaConvertQueueArn');
  if (queueArn !== undefined && !/^arn:aws[a-z-]*:mediaconvert:[a-z0-9-]+:\d{12}:queues\/.+$/.test(queueArn)) {
    throw new Error(`context 'mediaConvertQueueArn' is not a MediaConvert queue ARN: ${queueArn}`);
  }

  const pem = optionalString(node, 'signingPublicKeyPem');
  const pemFile = optionalString(node, 'signingPublicKeyFile');
  if (pem !== undefined && pemFile !== undefined) {
    throw new Error("give either 'signingPublicKeyPem' or 'signingPublicKeyFile', not both");
  }
  const signingPublicKeyPem = pem ?? (pemFile ? readFileSync(path.resolve(pemFile), 'utf8') : undefined);
  if (signingPublicKeyPem !== undefined && !signingPublicKeyPem.includes('-----BEGIN PUBLIC KEY-----')) {
    throw new Error('the signing public key must be a PEM "BEGIN PUBLIC KEY" block (SubjectPublicKeyInfo)');
  }

  const domainName = optionalString(node, 'domainName');
  const certificateArn = optionalString(node, 'certificateArn');
  if ((domainName === undefined) !== (certificateArn === undefined)) {
    throw new Error("context 'domainName' and 'certificateArn' go together: give both or neither");
  }
  if (certificateArn !== undefined && !/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/.+$/.test(certificateArn)) {
    throw new Error(`context 'certificateArn' must be an ACM certificate in us-east-1, got ${certificateArn}`);
  }

  return {
    domainName,
    certificateArn,
    webAclArn: optionalString(node, 'webAclArn'),
    sourceGlacierDays: optionalPositiveInt(node, 'sourceGlacierDays'),
    sfnIncludeExecutionData: flag(node, 'sfnIncludeExecutionData'),
    mediaConvertQueueArn: queueArn,
    mediaConvertAcceleration: acceleration as MediaConvertAcceleration | undefined,
    signingPublicKeyPem: signingPublicKeyPem?.trim(),
    alarmTopicArn: optionalString(node, 'alarmTopicArn'),
    slowExecutionAlarmMinutes: optionalPositiveInt(node, 'slowExecutionAlarmMinutes') ?? 360,
    accessLogRetentionDays: optionalPositiveInt(node, 'accessLogRetentionDays') ?? 90,
  };
}
