/**
 * The files shared with the Rust workspace and the local twin are honoured by the synthesized
 * template: env vars per Lambda, ASL placeholders, EventBridge patterns, the asset table, the
 * CDN's CORS and security headers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  ASL_FILE, ASSET_TABLE_CONTRACT_FILE, CDN_RESPONSE_HEADERS_CONTRACT_FILE, CdnResponseHeadersContract,
  LAMBDAS_CONTRACT_FILE, LambdasContract, MEDIACONVERT_PATTERN_FILE, S3_PATTERN_FILE,
} from '../lib/contracts';
import { defaults, functionId, functionProps, logicalIdOf, resourcesOfType } from './helpers';

const { stack, json } = defaults();
const contract: LambdasContract = JSON.parse(readFileSync(LAMBDAS_CONTRACT_FILE, 'utf8'));
const knownEnv = new Set(contract.envVars.map((v) => v.name));
const envOf = (binaryName: string): Record<string, unknown> =>
  functionProps(json, binaryName).Environment?.Variables ?? {};

test('one function per Lambda in lambdas.json, and no other (besides CDK\'s own handler)', () => {
  for (const lambda of contract.lambdas) functionId(json, lambda.binaryName);
  const tagged = resourcesOfType(json, 'AWS::Lambda::Function')
    .filter(([, r]) => (r.Properties.Tags ?? []).some((t: any) => t.Key === 'vod:function'));
  assert.equal(tagged.length, contract.lambdas.length);
});

for (const lambda of contract.lambdas) {
  test(`${lambda.binaryName}: every requiredEnv is set`, () => {
    const env = envOf(lambda.binaryName);
    for (const name of lambda.requiredEnv) assert.ok(name in env, `${lambda.binaryName} lacks ${name}`);
  });

  test(`${lambda.binaryName}: sets no env var lambdas.json does not list for it`, () => {
    const allowed = new Set([...lambda.requiredEnv, ...lambda.optionalEnv]);
    for (const name of Object.keys(envOf(lambda.binaryName))) {
      assert.ok(knownEnv.has(name), `${name} is not in lambdas.json envVars`);
      assert.ok(allowed.has(name), `${name} is not required or optional for ${lambda.binaryName}`);
    }
  });
}

test('env values: names resolve to this stack\'s resources', () => {
  const { storage, notifications, delivery, pipeline } = stack;
  const id = (c: { node: { defaultChild?: unknown } }) => logicalIdOf(stack, c);
  const expected: Record<string, unknown> = {
    VOD_ASSET_TABLE: { Ref: id(storage.table) },
    VOD_OUTPUT_BUCKET: { Ref: id(storage.outputBucket) },
    VOD_OUTPUT_PREFIX: 'assets/',
    VOD_TOPIC_ARN: { Ref: id(notifications.topic) },
    VOD_MEDIACONVERT_ROLE_ARN: { 'Fn::GetAtt': [id(pipeline.mediaConvertRole), 'Arn'] },
    VOD_PIPELINE_NAME: 'vod-test',
    VOD_CDN_BASE_URL: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [id(delivery.distribution), 'DomainName'] }]] },
  };
  for (const lambda of contract.lambdas) {
    for (const [name, value] of Object.entries(envOf(lambda.binaryName))) {
      assert.deepEqual(value, expected[name], `${lambda.binaryName} ${name}`);
    }
  }
});

test('every ${...} in the ASL has a substitution and every substitution a ${...}', () => {
  const asl = readFileSync(ASL_FILE, 'utf8');
  const inAsl = new Set([...asl.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]));
  const sm = resourcesOfType(json, 'AWS::StepFunctions::StateMachine');
  assert.equal(sm.length, 1);
  const substitutions = sm[0][1].Properties.DefinitionSubstitutions;
  assert.deepEqual(new Set(Object.keys(substitutions)), inAsl);
  assert.ok(inAsl.size > 0);
});

test('each ASL placeholder is the ARN of the Lambda lambdas.json assigns it to', () => {
  const substitutions = resourcesOfType(json, 'AWS::StepFunctions::StateMachine')[0][1].Properties.DefinitionSubstitutions;
  for (const lambda of contract.lambdas.filter((l) => l.aslPlaceholder)) {
    assert.deepEqual(substitutions[lambda.aslPlaceholder!], { 'Fn::GetAtt': [functionId(json, lambda.binaryName), 'Arn'] });
  }
});

/** The pattern file's text with each `"${Name}"` replaced by the JSON of a CloudFormation value. */
function expectedPattern(file: string, values: Record<string, unknown>): unknown {
  let text = readFileSync(file, 'utf8');
  for (const [name, value] of Object.entries(values)) {
    text = text.split(`"\${${name}}"`).join(JSON.stringify(value));
  }
  assert.doesNotMatch(text, /\$\{/, `${file} has a placeholder the test does not know`);
  return JSON.parse(text);
}

test('S3 rule pattern = s3-object-created.json with ${SourceBucketName} = the source bucket', () => {
  const rule = json.Resources[logicalIdOf(stack, stack.pipeline.objectCreatedRule)].Properties;
  assert.deepEqual(rule.EventPattern, expectedPattern(S3_PATTERN_FILE, {
    SourceBucketName: { Ref: logicalIdOf(stack, stack.storage.sourceBucket) },
  }));
});

test('MediaConvert rule pattern = mediaconvert-job-state-change.json with ${PipelineName} = the stack name', () => {
  const rule = json.Resources[logicalIdOf(stack, stack.pipeline.jobStateChangeRule)].Properties;
  assert.deepEqual(rule.EventPattern, expectedPattern(MEDIACONVERT_PATTERN_FILE, { PipelineName: 'vod-test' }));
});

test('job-submit stamps the pipeline name the job-state rule matches', (t) => {
  if (!knownEnv.has('VOD_PIPELINE_NAME')) {
    t.skip('lambdas.json has no VOD_PIPELINE_NAME yet');
    return;
  }
  const rule = json.Resources[logicalIdOf(stack, stack.pipeline.jobStateChangeRule)].Properties;
  assert.deepEqual(rule.EventPattern.detail.userMetadata.vodPipeline, [envOf('job-submit').VOD_PIPELINE_NAME]);
});

test('asset table keys and indexes = asset-table.json (what the twin and the Rust tests create)', () => {
  const contract = JSON.parse(readFileSync(ASSET_TABLE_CONTRACT_FILE, 'utf8'));
  const tables = resourcesOfType(json, 'AWS::DynamoDB::Table');
  assert.equal(tables.length, 1);
  const props = tables[0][1].Properties;
  const byName = (key: string) => (a: any, b: any) => String(a[key]).localeCompare(String(b[key]));
  assert.deepEqual(props.KeySchema, contract.KeySchema);
  assert.deepEqual([...props.AttributeDefinitions].sort(byName('AttributeName')), contract.AttributeDefinitions);
  const indexes = props.GlobalSecondaryIndexes
    .map((i: any) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: { ProjectionType: i.Projection.ProjectionType } }))
    .sort(byName('IndexName'));
  assert.deepEqual(indexes, contract.GlobalSecondaryIndexes);
});

test('every response headers policy = cdn-response-headers.json (what the local CDN sends): CORS * without credentials, nosniff, HSTS', () => {
  const contract: CdnResponseHeadersContract = JSON.parse(readFileSync(CDN_RESPONSE_HEADERS_CONTRACT_FILE, 'utf8'));
  const { cors, security } = contract;
  assert.deepEqual(cors.allowOrigins, ['*'], 'the twin and CloudFront answer every origin alike');
  assert.equal(cors.allowCredentials, false);
  assert.equal(security.contentTypeOptions, true, 'X-Content-Type-Options: nosniff');
  const policies = resourcesOfType(json, 'AWS::CloudFront::ResponseHeadersPolicy');
  assert.equal(policies.length, 2, 'manifests and segments');
  for (const [id, policy] of policies) {
    const config = policy.Properties.ResponseHeadersPolicyConfig;
    assert.deepEqual(config.CorsConfig, {
      AccessControlAllowOrigins: { Items: cors.allowOrigins },
      AccessControlAllowMethods: { Items: cors.allowMethods },
      AccessControlAllowHeaders: { Items: cors.allowHeaders },
      AccessControlExposeHeaders: { Items: cors.exposeHeaders },
      AccessControlAllowCredentials: cors.allowCredentials,
      AccessControlMaxAgeSec: cors.maxAgeSeconds,
      OriginOverride: cors.originOverride,
    }, id);
    assert.deepEqual(config.SecurityHeadersConfig, {
      ContentTypeOptions: { Override: true },
      StrictTransportSecurity: {
        AccessControlMaxAgeSec: security.strictTransportSecurity.maxAgeSeconds,
        IncludeSubdomains: security.strictTransportSecurity.includeSubdomains,
        Override: true,
      },
    }, id);
  }
  // Every behaviour uses one of them.
  const distribution = resourcesOfType(json, 'AWS::CloudFront::Distribution')[0][1].Properties.DistributionConfig;
  const ids = new Set(policies.map(([id]) => id));
  for (const behaviour of [distribution.DefaultCacheBehavior, ...distribution.CacheBehaviors]) {
    assert.ok(ids.has(behaviour.ResponseHeadersPolicyId.Ref), JSON.stringify(behaviour.ResponseHeadersPolicyId));
  }
});
