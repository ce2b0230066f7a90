//! What only the reconciler asks of the simulated account: the `byStatus` index (a page of
//! records by status), Step Functions' `DescribeExecution` (the engine's own answer) and S3's
//! `ListObjectsV2` over the output bucket.

use super::{Effect, SimPorts};
use crate::scenario::Service;
use crate::sim::Call;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use vod_core::AssetStatus;
use vod_core::ports::{
    Executions, OutputListing, PageCursor, PortError, PortResult, RecordPage, StatusIndex,
};
use vod_core::reconcile::ExecutionState;
use vod_core::record::AssetRecord;
use vod_states::ExecutionStatus;

/// Records per index page (DynamoDB's page ends at 1 MB; small here so runs cross pages).
pub const PAGE_SIZE: usize = 3;

#[async_trait]
impl StatusIndex for SimPorts {
    async fn page(
        &self,
        status: AssetStatus,
        created_since: Option<DateTime<Utc>>,
        start: Option<PageCursor>,
    ) -> PortResult<RecordPage> {
        let from = match &start {
            Some(PageCursor(text)) => text
                .parse::<usize>()
                .map_err(|_| PortError::invalid("not a page cursor"))?,
            None => 0,
        };
        let op = format!("dynamodb.query(byStatus {status}, from {from})");
        let effect: Effect<'_, RecordPage> = Box::new(move |sim| {
            let world = sim.world();
            let mut matching: Vec<&AssetRecord> = world
                .table
                .values()
                .filter(|r| r.status == status && created_since.is_none_or(|t| r.created_at >= t))
                .collect();
            matching.sort_by_key(|r| std::cmp::Reverse(r.created_at));
            let page: Vec<AssetRecord> = matching
                .iter()
                .skip(from)
                .take(PAGE_SIZE)
                .map(|r| (*r).clone())
                .collect();
            let next = from + page.len();
            let cursor = (next < matching.len()).then(|| PageCursor(next.to_string()));
            let text = format!("{} record(s)", page.len());
            (Ok((page, cursor)), text)
        });
        self.call(Service::DynamoDb, Call::Read, op, effect).await
    }
}

/// The engine's status in the port's terms.
pub fn execution_state(status: ExecutionStatus) -> ExecutionState {
    match status {
        ExecutionStatus::Running => ExecutionState::Running,
        ExecutionStatus::Succeeded => ExecutionState::Succeeded,
        ExecutionStatus::Failed => ExecutionState::Failed,
        ExecutionStatus::TimedOut => ExecutionState::TimedOut,
        ExecutionStatus::Aborted => ExecutionState::Aborted,
    }
}

#[async_trait]
impl Executions for SimPorts {
    async fn status(&self, execution_arn: &str) -> PortResult<Option<ExecutionState>> {
        let arn = execution_arn.to_owned();
        let name = {
            let world = self.sim.world();
            Self::exec_name(&world, &arn)
        };
        let op = format!("sfn.DescribeExecution({name})");
        let effect: Effect<'_, Option<ExecutionState>> = Box::new(move |sim| {
            let state = sim
                .engine
                .describe(&arn)
                .ok()
                .map(|d| execution_state(d.status))
                .filter(|_| !sim.mutant.is_some_and(|m| m.executions_unknown()));
            let text = state.map_or("ExecutionDoesNotExist", ExecutionState::as_str);
            (Ok(state), text.to_owned())
        });
        self.call(Service::StepFunctions, Call::Read, op, effect)
            .await
    }
}

#[async_trait]
impl OutputListing for SimPorts {
    async fn keys(&self, bucket: &str, prefix: &str) -> PortResult<Vec<String>> {
        let op = format!("s3.list({prefix})");
        let base = format!("s3://{bucket}/");
        let wanted = format!("{base}{prefix}");
        let effect: Effect<'_, Vec<String>> = Box::new(move |sim| {
            let keys: Vec<String> = sim
                .world()
                .outputs
                .keys()
                .filter(|k| k.starts_with(&wanted))
                .filter_map(|k| k.strip_prefix(&base).map(str::to_owned))
                .collect();
            let text = format!("{} key(s)", keys.len());
            (Ok(keys), text)
        });
        self.call(Service::S3, Call::Read, op, effect).await
    }
}
