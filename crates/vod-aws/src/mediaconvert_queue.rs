//! [`JobQueue`] on MediaConvert `ListJobs`: this pipeline's jobs still SUBMITTED (waiting for a
//! transcode slot) on its queue, oldest first. MediaConvert sends no event for a job until it
//! starts, so this listing is the only way to see them.

use crate::sdk_error::port_error;
use async_trait::async_trait;
use aws_sdk_mediaconvert::Client;
use aws_sdk_mediaconvert::types::{JobStatus, Order};
use vod_core::job::{USER_METADATA_ASSET_ID, USER_METADATA_PIPELINE};
use vod_core::ports::{JobQueue, PortResult, QueuedJob};

/// Pages of 20 jobs read per listing: 1000 queued jobs, far beyond what one queue holds in
/// practice, and well inside the completion handler's timeout.
pub const MAX_PAGES: usize = 50;

#[derive(Debug, Clone)]
pub struct MediaConvertJobQueue {
    client: Client,
    /// Queue name or ARN; `None`: every queue of the account (as job-submit's default queue).
    queue: Option<String>,
    pipeline_name: String,
}

impl MediaConvertJobQueue {
    pub fn new(client: Client, queue: Option<String>, pipeline_name: impl Into<String>) -> Self {
        Self {
            client,
            queue,
            pipeline_name: pipeline_name.into(),
        }
    }
}

#[async_trait]
impl JobQueue for MediaConvertJobQueue {
    async fn queued_jobs(&self) -> PortResult<Vec<QueuedJob>> {
        let mut queued = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let out = self
                .client
                .list_jobs()
                .status(JobStatus::Submitted)
                .order(Order::Ascending)
                .max_results(20)
                .set_queue(self.queue.clone())
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| port_error("listing queued MediaConvert jobs", e))?;
            for job in out.jobs() {
                let metadata = job.user_metadata();
                let ours = metadata
                    .and_then(|m| m.get(USER_METADATA_PIPELINE))
                    .is_some_and(|p| *p == self.pipeline_name);
                if let (true, Some(id)) = (ours, job.id()) {
                    queued.push(QueuedJob {
                        job_id: id.to_owned(),
                        asset_id: metadata
                            .and_then(|m| m.get(USER_METADATA_ASSET_ID))
                            .cloned(),
                    });
                }
            }
            next = out
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if next.is_none() {
                break;
            }
        }
        Ok(queued)
    }
}
