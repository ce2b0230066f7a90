/**
 * The processing path: five Rust Lambdas (one binary each from `vod-functions`), the
 * MediaConvert service role, the state machine from `statemachine/vod-pipeline.asl.json`, the
 * two EventBridge rules that start it and answer its task tokens, the schedule that keeps
 * queued jobs' tasks alive and the one that runs the reconciler.
 *
 * Each function's environment is exactly what `docs/contracts/lambdas.json` lists for it, and
 * each role holds only the actions that function's adapters call.
 */
import { readFileSync } from 'node:fs';
import { ArnFormat, Duration, Stack, Tags } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';
import { VodConfig } from '../config';
import {
  ASL_FILE, CARGO_MANIFEST, constructIdFor, FUNCTION_NAMES, FunctionName, LambdasContract, MEDIACONVERT_PATTERN_FILE,
  S3_PATTERN_FILE, lambdaContract, loadEventPattern, placeholdersIn,
} from '../contracts';
import { OUTPUT_PREFIX, Storage } from './storage';

/** Tag on each function naming its `binaryName`, so tests and operators can find it. */
export const FUNCTION_TAG = 'vod:function';

/**
 * What each stage does, for the console. Memory and timeout come from the contract
 * (`vod_core::contracts`), where the local twin reads the same timeout for its in-process calls.
 */
const DESCRIPTIONS: Record<FunctionName, string> = {
  'ingest-probe': 'Claims an uploaded object as an asset and probes it with ranged reads',
  'job-submit': 'Creates the MediaConvert job for a probed asset and stores the task token',
  'completion-handler': 'Turns MediaConvert job events into record updates and task-token answers',
  'notifier': 'Publishes versioned asset lifecycle events to SNS',
  'reconciler': 'Finishes assets whose execution died or overran its bounds (scheduled)',
};

export interface PipelineProps {
  readonly contract: LambdasContract;
  readonly config: VodConfig;
  readonly storage: Storage;
  readonly topic: sns.ITopic;
  readonly topicKey: kms.IKey;
  /** `https://<distribution domain>`: playback URLs on the asset record start with it. */
  readonly cdnBaseUrl: string;
  /** `vodPipeline` UserMetadata value on this stack's MediaConvert jobs. */
  readonly pipelineName: string;
}

export class Pipeline extends Construct {
  readonly functions: Record<FunctionName, lambda.Function>;
  readonly mediaConvertRole: iam.Role;
  readonly stateMachine: sfn.StateMachine;
  readonly stateMachineLogGroup: logs.LogGroup;
  readonly objectCreatedRule: events.Rule;
  readonly jobStateChangeRule: events.Rule;
  /** Runs the completion handler's queue keeper (heartbeats for jobs waiting in the queue). */
  readonly queueKeeperRule: events.Rule;
  /** Runs the reconciler (crates/vod-functions/src/reconciler.rs). */
  readonly reconcilerRule: events.Rule;
  /** Events EventBridge (or async Lambda) could not deliver after retries. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id);
    const { storage, config } = props;
    const stack = Stack.of(this);

    this.mediaConvertRole = new iam.Role(this, 'MediaConvertRole', {
      description: 'Assumed by MediaConvert to read sources and write renditions',
      assumedBy: new iam.ServicePrincipal('mediaconvert.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    this.mediaConvertRole.addToPolicy(new iam.PolicyStatement({
      sid: 'ReadSources',
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: [storage.sourceBucket.arnForObjects('*')],
    }));
    this.mediaConvertRole.addToPolicy(new iam.PolicyStatement({
      sid: 'WriteRenditions',
      actions: ['s3:PutObject'],
      resources: [storage.outputObjectsArn()],
    }));

    this.deadLetterQueue = new sqs.Queue(this, 'EventsDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    // Values for every env var infra knows; each function receives only the names the
    // contract lists for it (required or optional), so nothing undocumented leaks in.
    const envValues: Record<string, string | undefined> = {
      VOD_ASSET_TABLE: storage.table.tableName,
      VOD_OUTPUT_BUCKET: storage.outputBucket.bucketName,
      VOD_OUTPUT_PREFIX: OUTPUT_PREFIX,
      VOD_TOPIC_ARN: props.topic.topicArn,
      VOD_MEDIACONVERT_ROLE_ARN: this.mediaConvertRole.roleArn,
      VOD_MEDIACONVERT_QUEUE_ARN: config.mediaConvertQueueArn,
      VOD_MEDIACONVERT_ACCELERATION: config.mediaConvertAcceleration,
      VOD_CDN_BASE_URL: props.cdnBaseUrl,
      // Stamped on each job as UserMetadata.vodPipeline; the job-state rule matches it.
      VOD_PIPELINE_NAME: props.pipelineName,
    };

    const make = (name: FunctionName): lambda.Function => {
      const entry = lambdaContract(props.contract, name);
      const environment: Record<string, string> = {};
      for (const envName of entry.requiredEnv) {
        const value = envValues[envName];
        if (value === undefined) {
          throw new Error(`${name} requires ${envName} (docs/contracts/lambdas.json) but infra has no value for it`);
        }
        environment[envName] = value;
      }
      for (const envName of entry.optionalEnv) {
        const value = envValues[envName];
        if (value !== undefined) environment[envName] = value;
      }
      const constructId = constructIdFor(name);
      const logGroup = new logs.LogGroup(this, `${constructId}Logs`, {
        retention: logs.RetentionDays.ONE_MONTH,
      });
      // Own role instead of AWSLambdaBasicExecutionRole: logs go to this function's group only.
      const role = new iam.Role(this, `${constructId}Role`, {
        description: `Execution role of the ${name} Lambda`,
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });
      role.addToPolicy(new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }));
      const fn = new RustFunction(this, constructId, {
        manifestPath: CARGO_MANIFEST,
        binaryName: entry.binaryName,
        runtime: 'provided.al2023',
        architecture: lambda.Architecture.ARM_64,
        description: DESCRIPTIONS[name],
        memorySize: entry.memoryMb,
        timeout: Duration.seconds(entry.timeoutSeconds),
        environment,
        role,
        tracing: lambda.Tracing.ACTIVE,
        loggingFormat: lambda.LoggingFormat.JSON,
        applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
        systemLogLevelV2: lambda.SystemLogLevel.WARN,
        logGroup,
        // Only the completion handler is invoked asynchronously (by EventBridge): keep the
        // job events it failed on after Lambda's own retries.
        ...(name === 'completion-handler'
          ? { deadLetterQueue: this.deadLetterQueue, retryAttempts: 2 }
          : {}),
      });
      Tags.of(fn).add(FUNCTION_TAG, entry.binaryName);
      return fn;
    };
    this.functions = Object.fromEntries(FUNCTION_NAMES.map((name) => [name, make(name)])) as
      Record<FunctionName, lambda.Function>;
    const fns = this.functions;

    // Every handler reads its asset's record (GetItem, consistent) and writes it back with a
    // condition (PutItem): `DynamoAssetStore` makes no other call. Only the reconciler queries
    // an index (byStatus, below); `vod list` does with the operator's own credentials.
    const recordStatement = new iam.PolicyStatement({
      sid: 'AssetRecords',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      resources: [storage.table.tableArn],
    });
    for (const fn of Object.values(fns)) fn.addToRolePolicy(recordStatement);

    // HeadObject, then ranged GetObjects pinned to the version the HEAD found: If-Match on the
    // ETag always, plus versionId when the bucket answers with one. This stack's bucket is not
    // versioned, but one that is turned versioned later must not deny every probe, so the
    // versioned read (s3:GetObjectVersion) is granted beside the plain one.
    fns['ingest-probe'].addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadUploads',
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: [storage.sourceBucket.arnForObjects('*')],
    }));
    // Without s3:ListBucket, S3 answers a HEAD of a missing key with 403, not 404, and the
    // probe cannot tell "deleted after upload" from "not allowed". S3 decides that 404 by
    // evaluating ListBucket with `s3:prefix` = the requested key, so the grant is limited to
    // non-empty prefixes: the whole bucket cannot be listed from its root. Uploads may use any
    // key (the start rule matches the whole bucket), so no narrower prefix fits.
    fns['ingest-probe'].addToRolePolicy(new iam.PolicyStatement({
      sid: 'TellMissingUploads',
      actions: ['s3:ListBucket'],
      resources: [storage.sourceBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': '?*' } },
    }));
    // The notifier's ingest-failure path identifies the upload as ingest-probe did, by where
    // its object is found (crates/vod-functions/src/identity.rs): HEADs only, and the same
    // ListBucket so a missing object is a 404.
    fns.notifier.addToRolePolicy(new iam.PolicyStatement({
      sid: 'FindFailedUploads',
      actions: ['s3:GetObject'],
      resources: [storage.sourceBucket.arnForObjects('*')],
    }));
    fns.notifier.addToRolePolicy(new iam.PolicyStatement({
      sid: 'TellMissingUploads',
      actions: ['s3:ListBucket'],
      resources: [storage.sourceBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': '?*' } },
    }));

    const queueArn = config.mediaConvertQueueArn ?? stack.formatArn({
      service: 'mediaconvert', resource: 'queues', resourceName: 'Default',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    // The SDK sends CreateJob to the regional endpoint; the deprecated DescribeEndpoints
    // (account endpoints) is never called, so it is not granted.
    fns['job-submit'].addToRolePolicy(new iam.PolicyStatement({
      sid: 'CreateJobsOnQueue',
      actions: ['mediaconvert:CreateJob'],
      resources: [queueArn],
    }));
    fns['job-submit'].addToRolePolicy(new iam.PolicyStatement({
      sid: 'PassRoleToMediaConvert',
      actions: ['iam:PassRole'],
      resources: [this.mediaConvertRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'mediaconvert.amazonaws.com' } },
    }));

    // Jobs are cancelled wherever an asset can end without its job (issue #17): job-submit
    // cancels a job its record can no longer take, the notifier the job of a failed asset,
    // the completion handler a job no record waits on. The adapter asks GetJob when
    // MediaConvert refuses a cancel (already finished?). Job ids are known only at run time.
    const jobsArn = stack.formatArn({
      service: 'mediaconvert', resource: 'jobs', resourceName: '*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    for (const name of ['job-submit', 'completion-handler', 'notifier'] as const) {
      fns[name].addToRolePolicy(new iam.PolicyStatement({
        sid: 'CancelJobsNoRecordTakes',
        actions: ['mediaconvert:CancelJob', 'mediaconvert:GetJob'],
        resources: [jobsArn],
      }));
    }
    // A retried submission looks for the job its lost first attempt created (ListJobs, which
    // takes no resource-level permission).
    fns['job-submit'].addToRolePolicy(new iam.PolicyStatement({
      sid: 'FindEarlierAttemptsJob',
      actions: ['mediaconvert:ListJobs'],
      resources: ['*'],
    }));

    // The queue keeper lists this pipeline's jobs still waiting in the queue (they send no
    // events). ListJobs takes no resource-level permission.
    fns['completion-handler'].addToRolePolicy(new iam.PolicyStatement({
      sid: 'ListQueuedJobs',
      actions: ['mediaconvert:ListJobs'],
      resources: ['*'],
    }));

    fns['completion-handler'].addToRolePolicy(new iam.PolicyStatement({
      sid: 'WriteStoryboard',
      actions: ['s3:PutObject'],
      resources: [storage.outputObjectsArn()],
    }));
    // The storyboard's sprites are named only by the DASH manifest the job wrote (MediaConvert
    // does not document its tile file names): the handler reads that manifest, nothing else.
    // The reconciler completes a job whose events were lost with the completion handler's
    // rules, the sprite storyboard included.
    for (const reader of [fns['completion-handler'], fns.reconciler]) {
      reader.addToRolePolicy(new iam.PolicyStatement({
        sid: 'ReadDashManifests',
        actions: ['s3:GetObject'],
        resources: [storage.dashManifestsArn()],
      }));
    }

    // The notifier, and the reconciler when it runs the notifier's rules for an asset whose
    // execution is gone.
    for (const publisher of [fns.notifier, fns.reconciler]) {
      publisher.addToRolePolicy(new iam.PolicyStatement({
        sid: 'PublishEvents',
        actions: ['sns:Publish'],
        resources: [props.topic.topicArn],
      }));
      // Publishing to an SSE topic encrypts with its key on the publisher's behalf.
      publisher.addToRolePolicy(new iam.PolicyStatement({
        sid: 'EncryptEvents',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.topicKey.keyArn],
      }));
    }

    // The reconciler pages through the byStatus index (Query, nothing else on it)...
    fns.reconciler.addToRolePolicy(new iam.PolicyStatement({
      sid: 'FindUnfinishedAssets',
      actions: ['dynamodb:Query'],
      resources: [`${storage.table.tableArn}/index/byStatus`],
    }));
    // ...reads and cancels this pipeline's jobs (GetJob, CancelJob take a job ARN; ListJobs,
    // which finds a job a lost submission created, takes no resource)...
    fns.reconciler.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadAndCancelJobs',
      actions: ['mediaconvert:GetJob', 'mediaconvert:CancelJob'],
      resources: [stack.formatArn({
        service: 'mediaconvert', resource: 'jobs', resourceName: '*',
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      })],
    }));
    fns.reconciler.addToRolePolicy(new iam.PolicyStatement({
      sid: 'FindAssetJobs',
      actions: ['mediaconvert:ListJobs'],
      resources: ['*'],
    }));
    // ...lists a completed job's outputs (only under assets/) and writes its storyboard, as
    // the completion handler would have.
    fns.reconciler.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ListOutputs',
      actions: ['s3:ListBucket'],
      resources: [storage.outputBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': `${OUTPUT_PREFIX}*` } },
    }));
    fns.reconciler.addToRolePolicy(new iam.PolicyStatement({
      sid: 'WriteStoryboard',
      actions: ['s3:PutObject'],
      resources: [storage.outputObjectsArn()],
    }));

    // --- state machine -------------------------------------------------------------------
    const asl = readFileSync(ASL_FILE, 'utf8');
    const definitionSubstitutions: Record<string, string> = {};
    for (const entry of props.contract.lambdas) {
      if (entry.aslPlaceholder) {
        definitionSubstitutions[entry.aslPlaceholder] = fns[entry.binaryName as FunctionName].functionArn;
      }
    }
    const unfilled = placeholdersIn(asl).filter((p) => !(p in definitionSubstitutions));
    if (unfilled.length > 0) {
      throw new Error(`${ASL_FILE}: no substitution for placeholders ${unfilled.join(', ')}`);
    }

    this.stateMachineLogGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      // The vendedlogs prefix keeps the CloudWatch Logs resource policy small.
      logGroupName: `/aws/vendedlogs/states/${stack.stackName}-pipeline`,
      retention: logs.RetentionDays.THREE_MONTHS,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromString(asl),
      definitionSubstitutions,
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: {
        destination: this.stateMachineLogGroup,
        level: sfn.LogLevel.ALL,
        includeExecutionData: config.sfnIncludeExecutionData,
      },
    });
    // The definition is a string, so CDK cannot infer which functions it calls.
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({
      sid: 'InvokePipelineFunctions',
      actions: ['lambda:InvokeFunction'],
      resources: props.contract.lambdas
        .filter((entry) => entry.aslPlaceholder)
        .map((entry) => fns[entry.binaryName as FunctionName].functionArn),
    }));

    fns['completion-handler'].addToRolePolicy(new iam.PolicyStatement({
      sid: 'AnswerTaskTokens',
      actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
      resources: [this.stateMachine.stateMachineArn],
    }));
    // The reconciler answers a task still waiting on a finished job (it never heartbeats) and
    // asks what became of this state machine's executions.
    fns.reconciler.addToRolePolicy(new iam.PolicyStatement({
      sid: 'AnswerTaskTokens',
      actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
      resources: [this.stateMachine.stateMachineArn],
    }));
    fns.reconciler.addToRolePolicy(new iam.PolicyStatement({
      sid: 'DescribeExecutions',
      actions: ['states:DescribeExecution'],
      resources: [stack.formatArn({
        service: 'states', resource: 'execution',
        resourceName: `${this.stateMachine.stateMachineName}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })],
    }));

    // --- event rules ---------------------------------------------------------------------
    this.objectCreatedRule = new events.Rule(this, 'ObjectCreatedRule', {
      description: 'Starts one pipeline execution per object created in the source bucket',
      eventPattern: toEventPattern(loadEventPattern(S3_PATTERN_FILE, {
        SourceBucketName: storage.sourceBucket.bucketName,
      })),
      targets: [new targets.SfnStateMachine(this.stateMachine, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 10,
        maxEventAge: Duration.hours(24),
      })],
    });

    this.jobStateChangeRule = new events.Rule(this, 'JobStateChangeRule', {
      description: "Sends this pipeline's MediaConvert job events to the completion handler",
      eventPattern: toEventPattern(loadEventPattern(MEDIACONVERT_PATTERN_FILE, {
        PipelineName: props.pipelineName,
      })),
      targets: [new targets.LambdaFunction(fns['completion-handler'], {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 10,
        maxEventAge: Duration.hours(6),
      })],
    });

    // A job waiting in MediaConvert's queue sends no event, so nothing would heartbeat the
    // Transcode state while it waits: on this schedule the completion handler heartbeats the
    // tasks of this pipeline's queued jobs (crates/vod-functions/src/queue_keeper.rs). A missed
    // tick is harmless (the next one comes well inside the heartbeat), so no retries.
    this.queueKeeperRule = new events.Rule(this, 'QueueKeeperRule', {
      description: 'Heartbeats the Transcode tasks of jobs still waiting in the MediaConvert queue',
      schedule: events.Schedule.rate(Duration.seconds(props.contract.queueKeeperPeriodSeconds)),
      targets: [new targets.LambdaFunction(fns['completion-handler'], {
        retryAttempts: 0,
        maxEventAge: Duration.seconds(props.contract.queueKeeperPeriodSeconds),
      })],
    });

    // Its bounds are tens of minutes (ingest) to hours (transcode), so every five minutes
    // finishes a stuck asset soon after its bound without a DescribeExecution per in-flight
    // asset every minute. A missed run is harmless (the next one sees the same records), so no
    // retries; one run at a time is enough, and a run that overlaps the next changes nothing
    // twice (the rules are idempotent).
    this.reconcilerRule = new events.Rule(this, 'ReconcilerRule', {
      description: 'Finishes assets whose execution died or overran its bounds',
      schedule: events.Schedule.rate(Duration.seconds(props.contract.reconcilerPeriodSeconds)),
      targets: [new targets.LambdaFunction(fns.reconciler, {
        retryAttempts: 0,
        maxEventAge: Duration.seconds(props.contract.reconcilerPeriodSeconds),
      })],
    });
  }
}

/** Maps a pattern file's wire names onto CDK's `EventPattern` (which renders them back). */
export function toEventPattern(pattern: Record<string, unknown>): events.EventPattern {
  const fields: Record<string, keyof events.EventPattern> = {
    'version': 'version', 'id': 'id', 'detail-type': 'detailType', 'source': 'source',
    'account': 'account', 'time': 'time', 'region': 'region', 'resources': 'resources',
    'detail': 'detail',
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pattern)) {
    const field = fields[key];
    if (!field) throw new Error(`event pattern field '${key}' is not an EventBridge envelope field`);
    out[field] = value;
  }
  return out as events.EventPattern;
}
