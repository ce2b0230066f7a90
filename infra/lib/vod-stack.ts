/**
 * One VOD pipeline: storage, notifications, delivery, the processing pipeline and its
 * observability, composed from constructs that each do one job.
 */
import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { VodConfig, readConfig } from './config';
import { loadLambdasContract } from './contracts';
import { Delivery } from './constructs/delivery';
import { Notifications } from './constructs/notifications';
import { Observability } from './constructs/observability';
import { Pipeline } from './constructs/pipeline';
import { Storage } from './constructs/storage';
import { applyNagSuppressions } from './nag';

export class VodStack extends Stack {
  readonly config: VodConfig;
  readonly storage: Storage;
  readonly notifications: Notifications;
  readonly delivery: Delivery;
  readonly pipeline: Pipeline;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.config = readConfig(this.node);
    const config = this.config;

    this.storage = new Storage(this, 'Storage', {
      sourceGlacierDays: config.sourceGlacierDays,
      accessLogRetentionDays: config.accessLogRetentionDays,
    });
    this.notifications = new Notifications(this, 'Notifications');
    this.delivery = new Delivery(this, 'Delivery', {
      outputBucket: this.storage.outputBucket,
      logBucket: this.storage.accessLogsBucket,
      signingPublicKeyPem: config.signingPublicKeyPem,
      domainName: config.domainName,
      certificateArn: config.certificateArn,
      webAclArn: config.webAclArn,
    });
    this.pipeline = new Pipeline(this, 'Pipeline', {
      contract: loadLambdasContract(),
      config,
      storage: this.storage,
      topic: this.notifications.topic,
      topicKey: this.notifications.key,
      cdnBaseUrl: this.delivery.baseUrl,
      // The stack name tells this pipeline's MediaConvert jobs apart from others in the account.
      pipelineName: this.stackName,
    });
    this.observability = new Observability(this, 'Observability', {
      stateMachine: this.pipeline.stateMachine,
      functions: this.pipeline.functions,
      deadLetterQueue: this.pipeline.deadLetterQueue,
      slowExecutionAlarmMinutes: config.slowExecutionAlarmMinutes,
      alarmTopic: config.alarmTopicArn
        ? sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn)
        : undefined,
    });

    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('SourceBucketName', this.storage.sourceBucket.bucketName, 'Upload videos here');
    output('OutputBucketName', this.storage.outputBucket.bucketName, 'Renditions (served by CloudFront)');
    output('AssetTableName', this.storage.table.tableName, 'One record per asset');
    output('EventsTopicArn', this.notifications.topic.topicArn, 'Subscribe here for asset lifecycle events');
    output('DistributionDomainName', this.delivery.distribution.distributionDomainName, 'Playback host');
    output('DistributionId', this.delivery.distribution.distributionId, 'For cache invalidations');
    output('StateMachineArn', this.pipeline.stateMachine.stateMachineArn, 'One execution per upload');
    output('DeadLetterQueueUrl', this.pipeline.deadLetterQueue.queueUrl, 'Events that could not be delivered');
    if (this.delivery.publicKey) {
      output('SigningPublicKeyId', this.delivery.publicKey.publicKeyId,
        'Key-Pair-Id for signed URLs/cookies (vod sign --key-pair-id)');
    }

    applyNagSuppressions(this);
  }
}
