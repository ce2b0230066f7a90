#!/usr/bin/env node
/**
 * CDK app entry: one VOD pipeline stack, checked by cdk-nag's AWS Solutions rules on every
 * synth. Stack name (= pipeline name on MediaConvert jobs) from context `stackName`.
 */
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { VodStack } from '../lib/vod-stack';

const app = new App();
const stackName: string = app.node.tryGetContext('stackName') ?? 'vod-pipeline';
new VodStack(app, 'VodPipeline', {
  stackName,
  description: 'Serverless VOD pipeline: S3 -> Step Functions -> Rust Lambdas -> MediaConvert -> CloudFront',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
