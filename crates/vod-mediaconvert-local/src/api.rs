//! MediaConvert's REST-JSON API (2017-08-29) over axum.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::job::{JobRecord, JobStatus, new_job_id};
use crate::plan::{CreateJobRequest, JobPlan};
use crate::twin::JobManager;

pub(crate) fn router(manager: Arc<JobManager>) -> Router {
    Router::new()
        .route("/2017-08-29/jobs", post(create_job).get(list_jobs))
        .route("/2017-08-29/jobs/{id}", get(get_job).delete(cancel_job))
        .route("/2017-08-29/endpoints", post(describe_endpoints))
        .fallback(unsupported)
        .with_state(manager)
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn create_job(
    State(twin): State<Arc<JobManager>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))?;
    let request = CreateJobRequest::from_wire(&value)?;
    let plan = JobPlan::from_request(&request)?;

    // clientRequestToken makes CreateJob idempotent, as in MediaConvert.
    if let Some(token) = &request.client_request_token {
        let existing = twin
            .lock()
            .values()
            .find(|e| e.record.client_request_token.as_deref() == Some(token.as_str()))
            .map(|e| e.record.to_wire());
        if let Some(job) = existing {
            return Ok(json_response(StatusCode::CREATED, json!({ "job": job })));
        }
    }

    let now = chrono::Utc::now();
    let id = new_job_id(now.timestamp_millis());
    twin.state
        .save_request(&id, &body)
        .map_err(|e| ApiError::internal(format!("storing the request body: {e}")))?;
    let record = JobRecord {
        arn: twin.job_arn(&id),
        id: id.clone(),
        queue: twin.queue_arn(request.queue.as_deref()),
        role: request.role.clone(),
        status: JobStatus::Submitted,
        created_at: now.timestamp(),
        start_time: None,
        finish_time: None,
        settings: request.settings.clone(),
        user_metadata: request.user_metadata.clone(),
        status_update_interval: request.status_update_interval.clone(),
        priority: request.priority,
        client_request_token: request.client_request_token.clone(),
        acceleration_settings: value.get("accelerationSettings").cloned(),
        billing_tags_source: value
            .get("billingTagsSource")
            .and_then(Value::as_str)
            .map(str::to_owned),
        job_percent_complete: None,
        current_phase: None,
        error_code: None,
        error_message: None,
        output_group_details: None,
        warning_messages: plan.warnings.clone(),
    };
    for w in &plan.warnings {
        tracing::warn!(job = %id, warning = %w, "accepted with a warning");
    }
    tracing::info!(job = %id, input = %plan.input.uri(), "job submitted");
    let wire = record.to_wire();
    twin.enqueue(record, plan);
    Ok(json_response(StatusCode::CREATED, json!({ "job": wire })))
}

async fn get_job(
    State(twin): State<Arc<JobManager>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let record = twin
        .record(&id)
        .ok_or_else(|| ApiError::not_found(format!("The job {id} was not found")))?;
    Ok(json_response(
        StatusCode::OK,
        json!({ "job": record.to_wire() }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    status: Option<String>,
    order: Option<String>,
    max_results: Option<usize>,
    next_token: Option<String>,
    queue: Option<String>,
}

async fn list_jobs(
    State(twin): State<Arc<JobManager>>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let status =
        match q.status.as_deref() {
            None | Some("") => None,
            Some(s) => Some(JobStatus::parse(s).ok_or_else(|| {
                ApiError::bad_request(format!("/status: unknown job status {s:?}"))
            })?),
        };
    let queue = q.queue.as_deref().map(|q| twin.queue_arn(Some(q)));
    let mut jobs: Vec<JobRecord> = twin
        .lock()
        .values()
        .map(|e| e.record.clone())
        .filter(|r| status.is_none_or(|s| r.status == s))
        .filter(|r| queue.as_ref().is_none_or(|q| &r.queue == q))
        .collect();
    // Ids start with the creation time in ms, so they order like createdAt, finer.
    jobs.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    match q.order.as_deref() {
        None | Some("DESCENDING") => jobs.reverse(),
        Some("ASCENDING") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "/order: must be ASCENDING or DESCENDING, got {other:?}"
            )));
        }
    }
    let max = q.max_results.unwrap_or(20).clamp(1, 20);
    let start = match q.next_token.as_deref() {
        None | Some("") => 0,
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| ApiError::bad_request("/nextToken: invalid token"))?,
    };
    let page: Vec<Value> = jobs
        .iter()
        .skip(start)
        .take(max)
        .map(JobRecord::to_wire)
        .collect();
    let mut body = json!({ "jobs": page });
    if start + max < jobs.len() {
        body["nextToken"] = json!((start + max).to_string());
    }
    Ok(json_response(StatusCode::OK, body))
}

async fn cancel_job(
    State(twin): State<Arc<JobManager>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    match twin.cancel(&id) {
        Ok(Some(())) => Ok(json_response(StatusCode::ACCEPTED, json!({}))),
        Ok(None) => Err(ApiError::not_found(format!("The job {id} was not found"))),
        Err(status) => Err(ApiError::conflict(format!(
            "The job {id} is {} and cannot be canceled",
            status.as_str()
        ))),
    }
}

async fn describe_endpoints(headers: HeaderMap) -> Response {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    json_response(
        StatusCode::OK,
        json!({ "endpoints": [ { "url": format!("http://{host}") } ] }),
    )
}

async fn unsupported(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::bad_request(format!(
        "{method} {} is not supported by the local MediaConvert twin (it serves CreateJob, GetJob, ListJobs, CancelJob, DescribeEndpoints)",
        uri.path()
    ))
}
