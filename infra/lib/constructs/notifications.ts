/**
 * The lifecycle-event topic subscribers consume (`asset.ingested`, `asset.completed`, ...),
 * encrypted with its own KMS key. Message attributes `eventType` and `status` make filter
 * policies possible (see README.md).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export class Notifications extends Construct {
  readonly key: kms.Key;
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the VOD lifecycle-event topic',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.topic = new sns.Topic(this, 'Events', {
      displayName: 'VOD asset lifecycle events',
      masterKey: this.key,
      enforceSSL: true,
    });
  }
}
