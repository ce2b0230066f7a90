/**
 * Each role may do exactly what its code (or service) calls: the full policy of every role,
 * statement by statement, not "contains". What each function calls is read from
 * `crates/vod-aws/src/*.rs` (the adapters) and `crates/vod-functions/src/host.rs` (which
 * adapters each function is wired with):
 *
 * | function | adapter calls |
 * | --- | --- |
 * | all five | `DynamoAssetStore`: GetItem (consistent), PutItem (conditional) |
 * | ingest-probe | `S3MediaReader`: HeadObject and ranged GetObject, both without a version id |
 * | job-submit | `MediaConvertTranscoder`: CreateJob (passing the MediaConvert role), ListJobs (an earlier attempt's job), CancelJob + GetJob; no DescribeEndpoints |
 * | completion-handler | `SfnTaskCallback`: SendTask{Success,Failure,Heartbeat}; `S3OutputWriter`: PutObject; `S3MediaReader`: ranged GetObject of the DASH manifest (no HEAD, no version id); `MediaConvertJobQueue`: ListJobs; `MediaConvertTranscoder::control_only`: CancelJob + GetJob |
 * | notifier | `SnsNotifier`: Publish to the KMS-encrypted topic; `MediaConvertTranscoder::control_only`: CancelJob + GetJob; `S3MediaReader`: HeadObject of an upload whose ingest failed |
 * | reconciler | `DynamoAssetStore` as `StatusIndex`: Query on byStatus; `SfnExecutions`: DescribeExecution; `SfnTaskCallback`: SendTask{Success,Failure}; `MediaConvertTranscoder`: GetJob, CancelJob, ListJobs (never CreateJob); `S3OutputListing`: ListObjectsV2 (s3:ListBucket) under assets/; `S3OutputWriter`: PutObject (storyboard); `S3MediaReader`: ranged GetObject of the DASH manifest; `SnsNotifier`: Publish |
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Statement, canonical, defaults, functionId, functionPolicy, functionProps, functionRoleId, logicalIdOf,
  resolveRefs, rolePolicy, synth,
} from './helpers';

const { stack, json } = defaults();
type Construct = { node: { defaultChild?: unknown } };
const id = (c: Construct) => logicalIdOf(stack, c);
const ref = (c: Construct) => `\${${id(c)}}`;
const arn = (c: Construct) => `\${${id(c)}.Arn}`;
const { sourceBucket, outputBucket, table } = stack.storage;
const { pipeline, notifications } = stack;

/** What every function's role holds besides its own work: its log group and X-Ray. */
function logsAndTracing(binaryName: string): Statement[] {
  const logGroupId = functionProps(json, binaryName).LoggingConfig.LogGroup.Ref;
  return [
    {
      Sid: 'WriteOwnLogs', Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [`\${${logGroupId}.Arn}`],
    },
    // Active tracing (CDK's own statement): these two actions take no resource.
    { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: ['*'] },
  ];
}

/** CancelJob (and GetJob when a cancel is refused) on any job: ids are known at run time. */
const CANCEL_JOBS: Statement = {
  Sid: 'CancelJobsNoRecordTakes', Effect: 'Allow',
  Action: ['mediaconvert:CancelJob', 'mediaconvert:GetJob'],
  Resource: ['arn:aws:mediaconvert:eu-west-1:123456789012:jobs/*'],
};

/** The record store's two calls, on the table alone (only the reconciler queries an index). */
const ASSET_RECORDS: Statement = {
  Sid: 'AssetRecords', Effect: 'Allow',
  Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
  Resource: [arn(table)],
};

describe('function roles', () => {
  test('ingest-probe: records; HEAD/GET (pinned to a version) of uploads; ListBucket only so a missing upload is a 404', () => {
    assert.deepEqual(functionPolicy(json, 'ingest-probe'), canonical([
      ...logsAndTracing('ingest-probe'),
      ASSET_RECORDS,
      {
        Sid: 'ReadUploads', Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: [`${arn(sourceBucket)}/*`],
      },
      {
        Sid: 'TellMissingUploads', Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [arn(sourceBucket)],
        Condition: { StringLike: { 's3:prefix': '?*' } },
      },
    ]));
  });

  test('job-submit: records; CreateJob on the Default queue; PassRole of the MediaConvert role to MediaConvert; finds and cancels its jobs', () => {
    assert.deepEqual(functionPolicy(json, 'job-submit'), canonical([
      ...logsAndTracing('job-submit'),
      ASSET_RECORDS,
      CANCEL_JOBS,
      // A retried submission's search for its earlier attempt's job; ListJobs takes no resource.
      { Sid: 'FindEarlierAttemptsJob', Effect: 'Allow', Action: ['mediaconvert:ListJobs'], Resource: ['*'] },
      {
        Sid: 'CreateJobsOnQueue', Effect: 'Allow',
        Action: ['mediaconvert:CreateJob'],
        Resource: ['arn:aws:mediaconvert:eu-west-1:123456789012:queues/Default'],
      },
      {
        Sid: 'PassRoleToMediaConvert', Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: [arn(pipeline.mediaConvertRole)],
        Condition: { StringEquals: { 'iam:PassedToService': 'mediaconvert.amazonaws.com' } },
      },
    ]));
  });

  test('completion-handler: records; task-token answers to this state machine; storyboard under assets/; DASH manifests read; queued jobs; DLQ', () => {
    assert.deepEqual(functionPolicy(json, 'completion-handler'), canonical([
      ...logsAndTracing('completion-handler'),
      ASSET_RECORDS,
      CANCEL_JOBS,
      // The queue keeper's listing; ListJobs takes no resource.
      { Sid: 'ListQueuedJobs', Effect: 'Allow', Action: ['mediaconvert:ListJobs'], Resource: ['*'] },
      {
        Sid: 'AnswerTaskTokens', Effect: 'Allow',
        Action: ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'],
        Resource: [ref(pipeline.stateMachine)],
      },
      {
        Sid: 'WriteStoryboard', Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [`${arn(outputBucket)}/assets/*`],
      },
      {
        Sid: 'ReadDashManifests', Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: [`${arn(outputBucket)}/assets/*/stream.mpd`],
      },
      // Lambda's own dead-letter queue for the asynchronous (EventBridge) invocations.
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [arn(pipeline.deadLetterQueue)] },
    ]));
  });

  test('notifier: records; Publish to the topic with its KMS key; cancels a failed asset\'s job', () => {
    assert.deepEqual(functionPolicy(json, 'notifier'), canonical([
      ...logsAndTracing('notifier'),
      ASSET_RECORDS,
      CANCEL_JOBS,
      // An ingest failure finds its upload as ingest-probe did: HEAD (and a 404 for a gone one).
      {
        Sid: 'FindFailedUploads', Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: [`${arn(sourceBucket)}/*`],
      },
      {
        Sid: 'TellMissingUploads', Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [arn(sourceBucket)],
        Condition: { StringLike: { 's3:prefix': '?*' } },
      },
      {
        Sid: 'PublishEvents', Effect: 'Allow',
        Action: ['sns:Publish'],
        Resource: [ref(notifications.topic)],
      },
      {
        Sid: 'EncryptEvents', Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: [arn(notifications.key)],
      },
    ]));
  });

  test('reconciler: records; Query on byStatus only; DescribeExecution of this state machine\'s executions; '
    + 'task answers without heartbeats; GetJob/CancelJob/ListJobs, never CreateJob; ListBucket under assets/; '
    + 'storyboard; Publish to the topic with its KMS key', () => {
    const stateMachineName = `\${${id(pipeline.stateMachine)}.Name}`;
    assert.deepEqual(functionPolicy(json, 'reconciler'), canonical([
      ...logsAndTracing('reconciler'),
      ASSET_RECORDS,
      {
        Sid: 'FindUnfinishedAssets', Effect: 'Allow',
        Action: ['dynamodb:Query'],
        Resource: [`${arn(table)}/index/byStatus`],
      },
      {
        Sid: 'AnswerTaskTokens', Effect: 'Allow',
        Action: ['states:SendTaskFailure', 'states:SendTaskSuccess'],
        Resource: [ref(pipeline.stateMachine)],
      },
      {
        Sid: 'DescribeExecutions', Effect: 'Allow',
        Action: ['states:DescribeExecution'],
        Resource: [`arn:aws:states:eu-west-1:123456789012:execution:${stateMachineName}:*`],
      },
      {
        Sid: 'ReadAndCancelJobs', Effect: 'Allow',
        Action: ['mediaconvert:CancelJob', 'mediaconvert:GetJob'],
        Resource: ['arn:aws:mediaconvert:eu-west-1:123456789012:jobs/*'],
      },
      { Sid: 'FindAssetJobs', Effect: 'Allow', Action: ['mediaconvert:ListJobs'], Resource: ['*'] },
      {
        Sid: 'ListOutputs', Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [arn(outputBucket)],
        Condition: { StringLike: { 's3:prefix': 'assets/*' } },
      },
      {
        Sid: 'WriteStoryboard', Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [`${arn(outputBucket)}/assets/*`],
      },
      {
        Sid: 'ReadDashManifests', Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: [`${arn(outputBucket)}/assets/*/stream.mpd`],
      },
      {
        Sid: 'PublishEvents', Effect: 'Allow',
        Action: ['sns:Publish'],
        Resource: [ref(notifications.topic)],
      },
      {
        Sid: 'EncryptEvents', Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: [arn(notifications.key)],
      },
    ]));
    const actions = functionPolicy(json, 'reconciler').flatMap((s) => s.Action);
    assert.ok(!actions.includes('mediaconvert:CreateJob') && !actions.includes('iam:PassRole'),
      'the reconciler never creates a job');
  });

  test('each function has a role of its own, assumable by Lambda only, with no managed policy', () => {
    const names = ['ingest-probe', 'job-submit', 'completion-handler', 'notifier', 'reconciler'];
    const roles = names.map((name) => functionRoleId(json, name));
    assert.equal(new Set(roles).size, names.length);
    for (const roleId of roles) {
      const props = json.Resources[roleId].Properties;
      assert.deepEqual(props.AssumeRolePolicyDocument.Statement, [{
        Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' },
      }]);
      assert.equal(props.ManagedPolicyArns, undefined);
    }
  });
});

describe('service roles', () => {
  test('MediaConvert: reads source objects, writes renditions under assets/', () => {
    assert.deepEqual(rolePolicy(json, id(pipeline.mediaConvertRole)), canonical([
      {
        Sid: 'ReadSources', Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: [`${arn(sourceBucket)}/*`],
      },
      {
        Sid: 'WriteRenditions', Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [`${arn(outputBucket)}/assets/*`],
      },
    ]));
  });

  test('state machine: invokes the three functions the ASL names; log delivery and X-Ray', () => {
    const roleId = json.Resources[id(pipeline.stateMachine)].Properties.RoleArn['Fn::GetAtt'][0];
    assert.deepEqual(rolePolicy(json, roleId), canonical([
      {
        Sid: 'InvokePipelineFunctions', Effect: 'Allow',
        Action: ['lambda:InvokeFunction'],
        Resource: ['ingest-probe', 'job-submit', 'notifier'].map((name) => `\${${functionId(json, name)}.Arn}`),
      },
      // CDK's statements for logging level ALL (CloudWatch Logs vended delivery) and tracing;
      // none of these actions takes a resource.
      {
        Effect: 'Allow',
        Action: [
          'logs:CreateLogDelivery', 'logs:DeleteLogDelivery', 'logs:DescribeLogGroups',
          'logs:DescribeResourcePolicies', 'logs:GetLogDelivery', 'logs:ListLogDeliveries',
          'logs:PutResourcePolicy', 'logs:UpdateLogDelivery',
          'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
        ],
        Resource: ['*'],
      },
    ]));
  });

  test('EventBridge: starts executions of this state machine only', () => {
    const [target] = json.Resources[id(pipeline.objectCreatedRule)].Properties.Targets;
    assert.deepEqual(rolePolicy(json, target.RoleArn['Fn::GetAtt'][0]), [
      { Effect: 'Allow', Action: ['states:StartExecution'], Resource: [ref(pipeline.stateMachine)] },
    ]);
  });
});

describe('with options', () => {
  test('a configured queue replaces the Default queue in job-submit\'s CreateJob, and nothing else changes', () => {
    const queue = 'arn:aws:mediaconvert:eu-west-1:123456789012:queues/vod';
    const other = synth({ mediaConvertQueueArn: queue }).json;
    const expected = functionPolicy(json, 'job-submit').map((s) => (s.Sid === 'CreateJobsOnQueue'
      ? { ...s, Resource: [queue] } : s));
    assert.deepEqual(functionPolicy(other, 'job-submit'), expected);
  });
});

test('resolveRefs writes intrinsics as the logical ids they name and refuses anything else', () => {
  assert.equal(resolveRefs({ Ref: 'Topic' }), '${Topic}');
  assert.equal(resolveRefs({ 'Fn::GetAtt': ['Table', 'Arn'] }), '${Table.Arn}');
  assert.equal(resolveRefs({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['B', 'Arn'] }, '/*']] }), '${B.Arn}/*');
  assert.throws(() => resolveRefs({ 'Fn::Sub': 'x' }), /cannot resolve/);
});
