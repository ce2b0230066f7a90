/**
 * What the default stack deploys, one requirement per test (bundling skipped: no cargo).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { ASL_FILE, FunctionName, lambdaContract, loadLambdasContract } from '../lib/contracts';
import {
  asArray, defaults, functionId, functionProps, functionStatements, logicalIdOf,
  resourcesOfType, roleStatements, statementsFor,
} from './helpers';

const { stack, template, json } = defaults();
const id = (c: { node: { defaultChild?: unknown } }) => logicalIdOf(stack, c);
const arn = (c: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [id(c), 'Arn'] });

function tlsOnlyPolicy(bucketId: string) {
  template.hasResourceProperties('AWS::S3::BucketPolicy', {
    Bucket: { Ref: bucketId },
    PolicyDocument: {
      Statement: Match.arrayWith([Match.objectLike({
        Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      })]),
    },
  });
}

describe('storage', () => {
  const { sourceBucket, outputBucket, accessLogsBucket, table } = stack.storage;

  test('source bucket: EventBridge notifications, private, SSE, TLS only, access logs, multipart abort', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: id(sourceBucket) },
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
        },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: id(accessLogsBucket) }, LogFilePrefix: 's3/source/' },
        LifecycleConfiguration: { Rules: [Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } })] },
      },
      DeletionPolicy: 'Retain',
    });
    tlsOnlyPolicy(id(sourceBucket));
  });

  test('source bucket: no Glacier transition unless sourceGlacierDays is set', () => {
    const rules = json.Resources[id(sourceBucket)].Properties.LifecycleConfiguration.Rules;
    assert.ok(rules.every((r: any) => r.Transitions === undefined));
  });

  test('output bucket: private, TLS only, readable only by this distribution through OAC', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicPolicy: true, RestrictPublicBuckets: true }),
      LoggingConfiguration: { DestinationBucketName: { Ref: id(accessLogsBucket) }, LogFilePrefix: 's3/output/' },
    });
    tlsOnlyPolicy(id(outputBucket));
    const policy = resourcesOfType(json, 'AWS::S3::BucketPolicy')
      .find(([, p]) => p.Properties.Bucket.Ref === id(outputBucket))![1];
    const allows = policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Allow');
    assert.equal(allows.length, 1, 'only CloudFront may read');
    assert.deepEqual(allows[0].Principal, { Service: 'cloudfront.amazonaws.com' });
    assert.equal(allows[0].Action, 's3:GetObject');
    assert.match(JSON.stringify(allows[0].Condition), new RegExp(`distribution/".*${id(stack.delivery.distribution)}`));
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
  });

  test('access-log bucket: private, TLS only, expiring, accepts CloudFront logs (ACLs enabled)', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90 })] },
    });
    tlsOnlyPolicy(id(accessLogsBucket));
  });

  test('asset table: assetId key, byStatus (newest-first sortable) and bySourceKey GSIs, on-demand, PITR, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'assetId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'assetId', AttributeType: 'S' },
          { AttributeName: 'status', AttributeType: 'S' },
          { AttributeName: 'createdAt', AttributeType: 'S' },
          { AttributeName: 'sourceKey', AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byStatus',
            KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }, { AttributeName: 'createdAt', KeyType: 'RANGE' }],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: 'bySourceKey',
            KeySchema: [{ AttributeName: 'sourceKey', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    assert.ok(id(table));
  });
});

describe('notifications', () => {
  test('topic: encrypted with a rotating KMS key, TLS-only publishing', () => {
    const { key, topic } = stack.notifications;
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arn(key) });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: id(topic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })]),
      },
    });
  });
});

describe('functions', () => {
  // The contract is the one place for memory and timeout (the twin's in-process timeout too);
  // these are the figures it holds today, so a change to either side shows here.
  const sizing: Record<string, [number, number]> = {
    'ingest-probe': [512, 60], 'job-submit': [256, 30], 'completion-handler': [256, 30], 'notifier': [128, 15],
    'reconciler': [256, 300],
  };
  for (const [name, [memory, timeout]] of Object.entries(sizing)) {
    test(`${name}: arm64 provided.al2023, ${memory} MB / ${timeout} s from the contract, JSON logs, X-Ray active`, () => {
      const entry = lambdaContract(loadLambdasContract(), name as FunctionName);
      assert.deepEqual([entry.memoryMb, entry.timeoutSeconds], [memory, timeout]);
      const props = functionProps(json, name);
      assert.deepEqual(props.Architectures, ['arm64']);
      assert.equal(props.Runtime, 'provided.al2023');
      assert.equal(props.Handler, 'bootstrap');
      assert.equal(props.MemorySize, memory);
      assert.equal(props.Timeout, timeout);
      assert.equal(props.LoggingConfig.LogFormat, 'JSON');
      assert.ok(props.LoggingConfig.LogGroup.Ref, 'logs go to a log group with retention');
      assert.deepEqual(props.TracingConfig, { Mode: 'Active' });
    });
  }

  // Each function's full policy: test/iam.test.ts.

  test('each function writes logs only to its own log group', () => {
    for (const name of Object.keys(sizing)) {
      const [logs] = statementsFor(functionStatements(json, name), 'logs:PutLogEvents');
      assert.deepEqual(logs.Resource, { 'Fn::GetAtt': [functionProps(json, name).LoggingConfig.LogGroup.Ref, 'Arn'] });
    }
    template.resourcePropertiesCountIs('AWS::IAM::Role', {
      ManagedPolicyArns: Match.arrayWith([Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([
        Match.stringLikeRegexp('AWSLambdaBasicExecutionRole')])]) })]),
    }, 1); // only CDK's own bucket-notification handler
  });
});

describe('MediaConvert', () => {
  test('role: assumed by MediaConvert of this account (its policy: test/iam.test.ts)', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({
          Principal: { Service: 'mediaconvert.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        })],
      },
    });
  });
});

describe('state machine', () => {
  const sm = () => json.Resources[id(stack.pipeline.stateMachine)].Properties;

  test('definition is the shared ASL file, verbatim', () => {
    assert.equal(sm().DefinitionString, readFileSync(ASL_FILE, 'utf8'));
  });

  test('logs every event to CloudWatch without execution data by default, X-Ray on', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: arn(stack.pipeline.stateMachineLogGroup) } }],
      },
      TracingConfiguration: { Enabled: true },
    });
  });

  test('may invoke exactly the three functions the ASL calls', () => {
    const roleId = sm().RoleArn['Fn::GetAtt'][0];
    const [invoke] = statementsFor(roleStatements(json, roleId), 'lambda:InvokeFunction');
    assert.deepEqual(asArray(invoke.Resource), ['ingest-probe', 'job-submit', 'notifier']
      .map((name) => ({ 'Fn::GetAtt': [functionId(json, name), 'Arn'] })));
  });
});

describe('event rules', () => {
  const rule = (r: { node: { defaultChild?: unknown } }) => json.Resources[id(r)].Properties;

  test('object-created rule starts the state machine (with a role, retries and a DLQ)', () => {
    const [target] = rule(stack.pipeline.objectCreatedRule).Targets;
    assert.deepEqual(target.Arn, { Ref: id(stack.pipeline.stateMachine) });
    assert.ok(target.RoleArn['Fn::GetAtt'], 'EventBridge assumes a role to start executions');
    assert.deepEqual(target.DeadLetterConfig, { Arn: arn(stack.pipeline.deadLetterQueue) });
    assert.equal(target.RetryPolicy.MaximumRetryAttempts, 10);
    const [start] = statementsFor(roleStatements(json, target.RoleArn['Fn::GetAtt'][0]), 'states:StartExecution');
    assert.deepEqual(start.Resource, { Ref: id(stack.pipeline.stateMachine) });
  });

  test('job-state rule invokes the completion handler (retries and a DLQ)', () => {
    const [target] = rule(stack.pipeline.jobStateChangeRule).Targets;
    assert.deepEqual(target.Arn, { 'Fn::GetAtt': [functionId(json, 'completion-handler'), 'Arn'] });
    assert.deepEqual(target.DeadLetterConfig, { Arn: arn(stack.pipeline.deadLetterQueue) });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [functionId(json, 'completion-handler'), 'Arn'] },
      SourceArn: arn(stack.pipeline.jobStateChangeRule),
    });
  });

  test('the queue keeper runs the completion handler on the contract\'s schedule, without retries', () => {
    const props = rule(stack.pipeline.queueKeeperRule);
    const period = loadLambdasContract().queueKeeperPeriodSeconds;
    assert.equal(props.ScheduleExpression, `rate(${period / 60} minutes)`);
    const [target] = props.Targets;
    assert.deepEqual(target.Arn, { 'Fn::GetAtt': [functionId(json, 'completion-handler'), 'Arn'] });
    assert.equal(target.RetryPolicy.MaximumRetryAttempts, 0);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [functionId(json, 'completion-handler'), 'Arn'] },
      SourceArn: arn(stack.pipeline.queueKeeperRule),
    });
  });

  test('the reconciler runs on the contract\'s schedule (every 5 minutes), without retries', () => {
    const props = rule(stack.pipeline.reconcilerRule);
    const period = loadLambdasContract().reconcilerPeriodSeconds;
    assert.equal(period, 300);
    assert.equal(props.ScheduleExpression, 'rate(5 minutes)');
    const [target] = props.Targets;
    assert.deepEqual(target.Arn, { 'Fn::GetAtt': [functionId(json, 'reconciler'), 'Arn'] });
    assert.equal(target.RetryPolicy.MaximumRetryAttempts, 0);
    assert.equal(target.RetryPolicy.MaximumEventAgeInSeconds, period);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [functionId(json, 'reconciler'), 'Arn'] },
      SourceArn: arn(stack.pipeline.reconcilerRule),
    });
    // Nothing else invokes it: not the state machine, not the job-state rule.
    const targets = resourcesOfType(json, 'AWS::Events::Rule')
      .flatMap(([, r]) => r.Properties.Targets ?? [])
      .filter((t: any) => t.Arn?.['Fn::GetAtt']?.[0] === functionId(json, 'reconciler'));
    assert.equal(targets.length, 1);
  });

  test('dead-letter queue: encrypted, TLS only, 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      })]) },
    });
  });
});

describe('delivery', () => {
  const config = () => json.Resources[id(stack.delivery.distribution)].Properties.DistributionConfig;
  const policy = (p: { node: { defaultChild?: unknown } }) =>
    json.Resources[id(p)].Properties.CachePolicyConfig;

  test('manifests (*.m3u8, *.mpd) use the short-TTL cache policy, everything else the long one', () => {
    assert.deepEqual(config().CacheBehaviors.map((b: any) => b.PathPattern), ['*.m3u8', '*.mpd']);
    for (const b of config().CacheBehaviors) {
      assert.deepEqual(b.CachePolicyId, { Ref: id(stack.delivery.manifestCachePolicy) });
    }
    assert.deepEqual(config().DefaultCacheBehavior.CachePolicyId, { Ref: id(stack.delivery.segmentCachePolicy) });
    const manifest = policy(stack.delivery.manifestCachePolicy);
    assert.deepEqual([manifest.MinTTL, manifest.DefaultTTL, manifest.MaxTTL], [0, 5, 60]);
    const segment = policy(stack.delivery.segmentCachePolicy);
    assert.deepEqual([segment.MinTTL, segment.DefaultTTL, segment.MaxTTL], [86400, 31536000, 31536000]);
  });

  test('no cache key includes the signing query strings (Expires, Signature, Key-Pair-Id, Policy)', () => {
    const policies = resourcesOfType(json, 'AWS::CloudFront::CachePolicy');
    assert.equal(policies.length, 2);
    for (const [, p] of policies) {
      const qs = p.Properties.CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig;
      const keyed: string[] = qs.QueryStringBehavior === 'none' ? []
        : qs.QueryStringBehavior === 'whitelist' ? qs.QueryStrings : ['<all>'];
      for (const name of ['Expires', 'Signature', 'Key-Pair-Id', 'Policy', '<all>']) {
        assert.ok(!keyed.includes(name), `${name} is in a cache key`);
      }
    }
  });

  test('HTTPS only, GET/HEAD/OPTIONS, origin through OAC, logged', () => {
    const behaviours = [config().DefaultCacheBehavior, ...config().CacheBehaviors];
    for (const b of behaviours) {
      assert.equal(b.ViewerProtocolPolicy, 'redirect-to-https');
      assert.deepEqual(b.AllowedMethods, ['GET', 'HEAD', 'OPTIONS']);
      assert.equal(b.TrustedKeyGroups, undefined, 'no signing without a public key in context');
    }
    const [origin] = config().Origins;
    assert.ok(origin.OriginAccessControlId);
    assert.deepEqual(origin.S3OriginConfig, { OriginAccessIdentity: '' });
    assert.equal(config().Logging.Prefix, 'cloudfront/');
  });

  test('CORS response headers for web players, immutable Cache-Control on segments', () => {
    template.resourcePropertiesCountIs('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        CorsConfig: Match.objectLike({
          AccessControlAllowOrigins: { Items: ['*'] },
          AccessControlAllowMethods: { Items: ['GET', 'HEAD', 'OPTIONS'] },
          AccessControlExposeHeaders: Match.objectLike({ Items: Match.arrayWith(['Content-Range']) }),
        }),
      }),
    }, 2);
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        CustomHeadersConfig: { Items: [{ Header: 'Cache-Control', Value: 'public, max-age=31536000, immutable', Override: false }] },
      }),
    });
  });
});

describe('observability', () => {
  const alarmsOn = (metric: string) => resourcesOfType(json, 'AWS::CloudWatch::Alarm')
    .filter(([, a]) => a.Properties.MetricName === metric);

  test('alarms on failed, timed-out and slow executions', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionTime']) {
      const [alarm] = alarmsOn(metric);
      assert.ok(alarm, `alarm on ${metric}`);
      assert.deepEqual(alarm[1].Properties.Dimensions, [{ Name: 'StateMachineArn', Value: { Ref: id(stack.pipeline.stateMachine) } }]);
    }
    assert.equal(alarmsOn('ExecutionTime')[0][1].Properties.Threshold, 360 * 60_000);
  });

  test('alarms on errors and throttles of every function', () => {
    for (const name of ['ingest-probe', 'job-submit', 'completion-handler', 'notifier', 'reconciler']) {
      for (const metric of ['Errors', 'Throttles']) {
        assert.ok(alarmsOn(metric).some(([, a]) =>
          a.Properties.Dimensions[0].Value.Ref === functionId(json, name)), `${metric} alarm for ${name}`);
      }
    }
  });

  test('alarm on undeliverable events, a dashboard, no alarm actions unless asked', () => {
    assert.equal(alarmsOn('ApproximateNumberOfMessagesVisible').length, 1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    for (const [, a] of resourcesOfType(json, 'AWS::CloudWatch::Alarm')) {
      assert.equal(a.Properties.AlarmActions, undefined);
    }
  });
});

test('stack outputs name everything an operator or subscriber needs', () => {
  const outputs = Object.keys(json.Outputs);
  for (const name of ['SourceBucketName', 'OutputBucketName', 'AssetTableName', 'EventsTopicArn',
    'DistributionDomainName', 'StateMachineArn']) {
    assert.ok(outputs.includes(name), `output ${name}`);
  }
  assert.ok(!outputs.includes('SigningPublicKeyId'), 'no key id without a signing key');
});
