/**
 * cdk-nag (AwsSolutions) findings this design accepts, each with its reason. Wildcard
 * findings are acknowledged one by one (`appliesTo`), so a new wildcard still fails the check.
 * A finding whose reason would be untrue in some configuration is suppressed only in the
 * configurations where it is true: CFR1 (no geo restriction) only when playback is signed.
 */
import { Stack, Token } from 'aws-cdk-lib';
import { NagPackSuppression, NagSuppressions } from 'cdk-nag';
import type { VodStack } from './vod-stack';

const XRAY: NagPackSuppression = {
  id: 'AwsSolutions-IAM5',
  reason: 'xray:PutTraceSegments/PutTelemetryRecords support no resource-level permissions (active tracing).',
  appliesTo: ['Resource::*'],
};

function arnRef(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return `<${stack.getLogicalId(construct.node.defaultChild as never)}.Arn>`;
}

/** `arn:<partition>:<service>:<region>:<account>:` as cdk-nag writes it for this stack. */
function arnStart(stack: Stack, service: string): string {
  const literal = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
  return `arn:${literal(stack.partition, 'Partition')}:${service}:${literal(stack.region, 'Region')}:`
    + `${literal(stack.account, 'AccountId')}:`;
}

export function applyNagSuppressions(stack: VodStack): void {
  const { storage, pipeline, delivery, config } = stack;
  const sourceObjects = `Resource::${arnRef(stack, storage.sourceBucket)}/*`;
  const outputObjects = `Resource::${arnRef(stack, storage.outputBucket)}/assets/*`;
  const dashManifests = `Resource::${arnRef(stack, storage.outputBucket)}/assets/*/stream.mpd`;
  const fns = pipeline.functions;

  NagSuppressions.addResourceSuppressions(fns['ingest-probe'].role!, [
    XRAY,
    {
      id: 'AwsSolutions-IAM5',
      reason: 'Uploads may use any object key; the probe reads whichever object the event names.',
      appliesTo: [sourceObjects],
    },
  ], true);
  // Cancel/GetJob of a job whose id is known only at run time (its ARN ends in the job id).
  const jobs = {
    id: 'AwsSolutions-IAM5',
    reason: 'CancelJob/GetJob act on jobs whose ids are known only at run time '
      + '(arn:...:jobs/<jobId>): a job no record takes, or the job of a failed asset.',
    // The ARN is concrete or tokenised depending on the stack's environment.
    appliesTo: [{ regex: '/^Resource::arn:[^:]+:mediaconvert:[^:]+:[^:]+:jobs\\/\\*$/g' }],
  };
  NagSuppressions.addResourceSuppressions(fns['job-submit'].role!, [
    XRAY,
    jobs,
    {
      id: 'AwsSolutions-IAM5',
      reason: 'mediaconvert:ListJobs (finding the job of a lost submission attempt) supports no '
        + 'resource-level permissions; it only reads job listings.',
      appliesTo: ['Resource::*'],
    },
  ], true);
  NagSuppressions.addResourceSuppressions(fns['completion-handler'].role!, [
    XRAY,
    jobs,
    {
      id: 'AwsSolutions-IAM5',
      reason: 'The storyboard is written under assets/<assetId>/, an id known only at run time.',
      appliesTo: [outputObjects],
    },
    {
      id: 'AwsSolutions-IAM5',
      reason: 'The storyboard reads the DASH manifest of assets/<assetId>/ (its thumbnail track names '
        + 'the sprites), an id known only at run time; no other output object.',
      appliesTo: [dashManifests],
    },
    {
      id: 'AwsSolutions-IAM5',
      reason: 'mediaconvert:ListJobs (the queue keeper) supports no resource-level permissions; '
        + 'it only reads job listings.',
      appliesTo: ['Resource::*'],
    },
  ], true);
  NagSuppressions.addResourceSuppressions(fns.notifier.role!, [
    XRAY,
    jobs,
    {
      id: 'AwsSolutions-IAM5',
      reason: 'An ingest failure identifies its upload by HEAD of the key the event names, which may be any key.',
      appliesTo: [sourceObjects],
    },
  ], true);
  NagSuppressions.addResourceSuppressions(fns.reconciler.role!, [
    XRAY,
    {
      id: 'AwsSolutions-IAM5',
      reason: 'The storyboard of a completed job is written under assets/<assetId>/, an id known only at run time.',
      appliesTo: [outputObjects],
    },
    {
      id: 'AwsSolutions-IAM5',
      reason: 'Completing a job whose events were lost reads its DASH manifest (the sprite storyboard) '
        + 'under assets/<assetId>/, an id known only at run time; no other output object.',
      appliesTo: [dashManifests],
    },
    {
      id: 'AwsSolutions-IAM5',
      reason: 'mediaconvert:ListJobs supports no resource-level permissions; GetJob/CancelJob take any job id '
        + 'the asset records name (jobs/*), and the reconciler cancels only jobs its records own.',
      appliesTo: ['Resource::*', `Resource::${arnStart(stack, 'mediaconvert')}jobs/*`],
    },
    {
      id: 'AwsSolutions-IAM5',
      reason: "DescribeExecution on this state machine's executions, whose names are chosen by EventBridge.",
      appliesTo: [`Resource::${arnStart(stack, 'states')}execution:`
        + `<${stack.getLogicalId(pipeline.stateMachine.node.defaultChild as never)}.Name>:*`],
    },
  ], true);

  NagSuppressions.addResourceSuppressions(pipeline.mediaConvertRole, [{
    id: 'AwsSolutions-IAM5',
    reason: 'MediaConvert reads the uploaded object (any key) and writes renditions under assets/<assetId>/.',
    appliesTo: [sourceObjects, outputObjects],
  }], true);

  NagSuppressions.addResourceSuppressions(pipeline.stateMachine, [{
    id: 'AwsSolutions-IAM5',
    reason: 'CloudWatch Logs delivery (logs:*LogDelivery, DescribeLogGroups...) and X-Ray actions '
      + 'support no resource-level permissions.',
    appliesTo: ['Resource::*'],
  }], true);

  // eventBridgeEnabled is applied by a CDK-managed custom resource (one per stack).
  NagSuppressions.addResourceSuppressionsByPath(stack,
    `/${stack.node.id}/BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Role/Resource`, [
      {
        id: 'AwsSolutions-IAM4',
        reason: 'CDK-managed handler that turns on S3 EventBridge notifications; it only writes logs.',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: 'CDK-managed handler: s3:PutBucketNotification on the buckets it configures.',
        appliesTo: ['Resource::*'],
      },
    ]);

  const distributionFindings: NagPackSuppression[] = [];
  // Only a trusted key group gates playback. Without one the CDN is public (README.md says so)
  // and CFR1 stays a visible warning instead of a suppression with a reason that is not true.
  if (delivery.publicKey) {
    distributionFindings.push({
      id: 'AwsSolutions-CFR1',
      reason: 'Who may watch is decided by the signer: every behaviour trusts only the configured key group, '
        + 'so playback needs signed URLs/cookies; geography is not the control.',
    });
  }
  if (!config.certificateArn) {
    distributionFindings.push({
      id: 'AwsSolutions-CFR4',
      reason: 'Without a custom domain the *.cloudfront.net default certificate is used, whose TLS policy '
        + 'CloudFront fixes; deploy with domainName + certificateArn to enforce TLSv1.2_2021.',
    });
  }
  if (!config.webAclArn) {
    distributionFindings.push({
      id: 'AwsSolutions-CFR2',
      reason: 'WAF is optional (context webAclArn): the origin is static, private (OAC) and read-only.',
    });
  }
  if (distributionFindings.length > 0) {
    NagSuppressions.addResourceSuppressions(delivery.distribution, distributionFindings, true);
  }
}
