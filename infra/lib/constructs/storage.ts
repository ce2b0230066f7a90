/**
 * Where bytes and records live: the source (upload) bucket, the output bucket CloudFront
 * serves, the access-log bucket both write to, and the asset table.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Key prefix of every output object; each asset lives under `<prefix><assetId>/`. */
export const OUTPUT_PREFIX = 'assets/';
/** Each asset's DASH manifest (`OUTPUT_BASENAME` + `.mpd` in crates/vod-core/src/job.rs). */
export const DASH_MANIFEST = 'stream.mpd';

export interface StorageProps {
  /** Transition sources to Glacier after this many days; undefined keeps them in Standard. */
  readonly sourceGlacierDays?: number;
  readonly accessLogRetentionDays: number;
}

export class Storage extends Construct {
  readonly sourceBucket: s3.Bucket;
  readonly outputBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);

    // CloudFront standard logs are delivered with ACLs, so this bucket keeps them enabled
    // (BucketOwnerPreferred); S3 server access logs use the bucket policy CDK writes.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{
        id: 'expire-logs',
        expiration: Duration.days(props.accessLogRetentionDays),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.sourceBucket = new s3.Bucket(this, 'Source', {
      eventBridgeEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 's3/source/',
      lifecycleRules: [{
        id: 'sources',
        abortIncompleteMultipartUploadAfter: Duration.days(7),
        transitions: props.sourceGlacierDays === undefined ? undefined : [{
          storageClass: s3.StorageClass.GLACIER,
          transitionAfter: Duration.days(props.sourceGlacierDays),
        }],
      }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Private: the only reader is CloudFront through Origin Access Control (see Delivery).
    this.outputBucket = new s3.Bucket(this, 'Output', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 's3/output/',
      lifecycleRules: [{
        id: 'abort-multipart',
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table = new dynamodb.Table(this, 'Assets', {
      partitionKey: { name: 'assetId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // `vod list --status X` pages newest first with ScanIndexForward=false on createdAt.
    this.table.addGlobalSecondaryIndex({
      indexName: 'byStatus',
      partitionKey: { name: 'status', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: 'bySourceKey',
      partitionKey: { name: 'sourceKey', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }

  /** ARN pattern of every output object (`<bucket>/assets/*`). */
  outputObjectsArn(): string {
    return this.outputBucket.arnForObjects(`${OUTPUT_PREFIX}*`);
  }

  /** Every asset's DASH manifest, and no other output. */
  dashManifestsArn(): string {
    return this.outputBucket.arnForObjects(`${OUTPUT_PREFIX}*/${DASH_MANIFEST}`);
  }
}
