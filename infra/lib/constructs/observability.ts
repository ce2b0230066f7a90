/**
 * What an operator watches: alarms on failed/timed-out/slow executions, per-function errors
 * and throttles, undeliverable events, and one dashboard with the same signals.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FunctionName, constructIdFor } from '../contracts';

export interface ObservabilityProps {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<FunctionName, lambda.IFunction>;
  readonly deadLetterQueue: sqs.IQueue;
  readonly slowExecutionAlarmMinutes: number;
  /** Receives ALARM and OK transitions when given. */
  readonly alarmTopic?: sns.ITopic;
}

export class Observability extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const sm = props.stateMachine;

    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string, threshold = 1) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (props.alarmTopic) {
        created.addAlarmAction(new actions.SnsAction(props.alarmTopic));
        created.addOkAction(new actions.SnsAction(props.alarmTopic));
      }
      this.alarms.push(created);
      return created;
    };

    alarm('ExecutionsFailed', sm.metricFailed({ period, statistic: 'Sum' }),
      'Pipeline executions failed: the asset records say why (status FAILED, error).');
    alarm('ExecutionsTimedOut', sm.metricTimedOut({ period, statistic: 'Sum' }),
      'A pipeline execution hit its timeout: a transcode never reported back.');
    alarm('ExecutionsSlow',
      sm.metric('ExecutionTime', { period: Duration.minutes(15), statistic: 'Maximum' }),
      `An execution ran longer than ${props.slowExecutionAlarmMinutes} minutes (approximate execution age).`,
      props.slowExecutionAlarmMinutes * 60_000);
    alarm('UndeliveredEvents',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      'EventBridge or Lambda could not deliver pipeline events; inspect the dead-letter queue.');

    for (const [name, fn] of Object.entries(props.functions) as Array<[FunctionName, lambda.IFunction]>) {
      const base = constructIdFor(name);
      alarm(`${base}Errors`, fn.metricErrors({ period, statistic: 'Sum' }), `${name} returned errors.`);
      alarm(`${base}Throttles`, fn.metricThrottles({ period, statistic: 'Sum' }), `${name} was throttled.`);
    }

    const fns = Object.entries(props.functions);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(24),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Executions',
            width: 12,
            left: [
              sm.metricStarted({ period }), sm.metricSucceeded({ period }),
              sm.metricFailed({ period }), sm.metricTimedOut({ period }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Execution time (max)',
            width: 12,
            left: [sm.metric('ExecutionTime', { period, statistic: 'Maximum' })],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Lambda errors and throttles',
            width: 12,
            left: fns.map(([name, fn]) => fn.metricErrors({ period, label: `${name} errors` })),
            right: fns.map(([name, fn]) => fn.metricThrottles({ period, label: `${name} throttles` })),
          }),
          new cloudwatch.GraphWidget({
            title: 'Lambda duration (p99)',
            width: 12,
            left: fns.map(([name, fn]) => fn.metricDuration({ period, statistic: 'p99', label: name })),
          }),
        ],
        [
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms }),
        ],
      ],
    });
  }
}
