//! [`AssetStore`] on DynamoDB, items mapped with serde_dynamo.
//!
//! Besides the record's own attributes, each item carries `sourceKey` (`bucket/key`) for the
//! "by source key" index; `status` and `createdAt` are already top-level for "by status".

use crate::sdk_error::port_error;
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use vod_core::AssetId;
use vod_core::limits;
use vod_core::ports::{AssetStore, Claim, PortError, PortResult, RecordPage, StatusIndex};
use vod_core::record::AssetRecord;

/// Attribute holding `bucket/key` (the key the object was found under), the partition key of the `bySourceKey` index.
pub const SOURCE_KEY_ATTRIBUTE: &str = "sourceKey";
/// Index names, shared with the CDK app and the local bootstrap.
pub const INDEX_BY_STATUS: &str = "byStatus";
pub const INDEX_BY_SOURCE_KEY: &str = "bySourceKey";

/// Where a paged listing continues: DynamoDB's `LastEvaluatedKey`.
pub type PageCursor = HashMap<String, AttributeValue>;

/// Creates the asset table with the shape `infra/` deploys (key `assetId`; `byStatus` =
/// `status` + `createdAt`, `bySourceKey` = [`SOURCE_KEY_ATTRIBUTE`], both projecting all
/// attributes; on-demand billing). An existing table is left as it is. For the local twin and
/// tests: on AWS the CDK stack owns the table.
pub async fn ensure_asset_table(client: &Client, table: &str) -> PortResult<()> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType,
    };
    if client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    let invalid = |e: aws_sdk_dynamodb::error::BuildError| {
        PortError::permanent("the asset table definition is invalid").with_source(e)
    };
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(invalid)
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(invalid)
    };
    let all = Projection::builder()
        .projection_type(ProjectionType::All)
        .build();
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("assetId")?)
        .attribute_definitions(attribute("status")?)
        .attribute_definitions(attribute("createdAt")?)
        .attribute_definitions(attribute(SOURCE_KEY_ATTRIBUTE)?)
        .key_schema(key("assetId", KeyType::Hash)?)
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(INDEX_BY_STATUS)
                .key_schema(key("status", KeyType::Hash)?)
                .key_schema(key("createdAt", KeyType::Range)?)
                .projection(all.clone())
                .build()
                .map_err(invalid)?,
        )
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(INDEX_BY_SOURCE_KEY)
                .key_schema(key(SOURCE_KEY_ATTRIBUTE, KeyType::Hash)?)
                .projection(all)
                .build()
                .map_err(invalid)?,
        )
        .send()
        .await;
    match created {
        Ok(_) => Ok(()),
        // Created meanwhile by someone else (two twins bootstrapping one moto).
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(port_error("creating the asset table", e)),
    }
}

#[derive(Debug, Clone)]
pub struct DynamoAssetStore {
    client: Client,
    table: String,
}

impl DynamoAssetStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The item for `record`, refused before any request when DynamoDB would refuse its size.
    fn item(record: &AssetRecord) -> PortResult<HashMap<String, AttributeValue>> {
        let source_key = format!("{}/{}", record.source.bucket, record.source.object_key());
        limits::check_record(record, &[(SOURCE_KEY_ATTRIBUTE, &source_key)])
            .map_err(PortError::too_large)?;
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(record).map_err(|e| {
                PortError::permanent("the asset record cannot be stored").with_source(e)
            })?;
        item.insert(
            SOURCE_KEY_ATTRIBUTE.to_owned(),
            AttributeValue::S(source_key),
        );
        Ok(item)
    }

    /// Records with `status`, newest first (the `byStatus` index), at most `limit`.
    pub async fn list_by_status(&self, status: &str, limit: i32) -> PortResult<Vec<AssetRecord>> {
        Ok(self.list_by_status_page(status, limit, None).await?.0)
    }

    /// One page of [`Self::list_by_status`] starting after `start`, and where the next page
    /// starts (DynamoDB's `LastEvaluatedKey`; `None` after the last page). A query page also
    /// ends at 1 MB, so a caller that needs every record must follow the cursor.
    pub async fn list_by_status_page(
        &self,
        status: &str,
        limit: i32,
        start: Option<PageCursor>,
    ) -> PortResult<(Vec<AssetRecord>, Option<PageCursor>)> {
        self.query_by_status(status, None, limit, start).await
    }

    /// [`Self::list_by_status_page`] of the records created at or after `since` (the index's
    /// sort key; RFC 3339 in UTC, so text order is time order to the second).
    async fn query_by_status(
        &self,
        status: &str,
        since: Option<chrono::DateTime<chrono::Utc>>,
        limit: i32,
        start: Option<PageCursor>,
    ) -> PortResult<(Vec<AssetRecord>, Option<PageCursor>)> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(INDEX_BY_STATUS)
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":s", AttributeValue::S(status.to_owned()));
        query = match since {
            Some(since) => query
                .key_condition_expression("#s = :s AND createdAt >= :since")
                .expression_attribute_values(
                    ":since",
                    AttributeValue::S(since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                ),
            None => query.key_condition_expression("#s = :s"),
        };
        let out = query
            .scan_index_forward(false)
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| port_error("listing assets by status", e))?;
        let records = out
            .items()
            .iter()
            .map(|item| {
                serde_dynamo::from_item(item.clone()).map_err(|e| {
                    PortError::permanent("a stored record does not parse").with_source(e)
                })
            })
            .collect::<PortResult<Vec<AssetRecord>>>()?;
        Ok((records, out.last_evaluated_key.filter(|k| !k.is_empty())))
    }
}

/// Records read per `byStatus` page by [`StatusIndex::page`].
pub const STATUS_PAGE_SIZE: i32 = 100;

/// The index's `LastEvaluatedKey` (string attributes only: `assetId`, `status`, `createdAt`)
/// as the port's opaque cursor, and back.
fn encode_cursor(key: &PageCursor) -> PortResult<vod_core::ports::PageCursor> {
    let mut fields = std::collections::BTreeMap::new();
    for (name, value) in key {
        let AttributeValue::S(text) = value else {
            return Err(PortError::permanent(format!(
                "the byStatus page key {name} is not a string"
            )));
        };
        fields.insert(name.clone(), text.clone());
    }
    serde_json::to_string(&fields)
        .map(vod_core::ports::PageCursor)
        .map_err(|e| PortError::permanent("encoding a page cursor").with_source(e))
}

fn decode_cursor(cursor: &vod_core::ports::PageCursor) -> PortResult<PageCursor> {
    let fields: HashMap<String, String> = serde_json::from_str(&cursor.0)
        .map_err(|e| PortError::invalid("not a byStatus page cursor").with_source(e))?;
    Ok(fields
        .into_iter()
        .map(|(k, v)| (k, AttributeValue::S(v)))
        .collect())
}

#[async_trait]
impl StatusIndex for DynamoAssetStore {
    async fn page(
        &self,
        status: vod_core::AssetStatus,
        created_since: Option<chrono::DateTime<chrono::Utc>>,
        start: Option<vod_core::ports::PageCursor>,
    ) -> PortResult<RecordPage> {
        let start = start.as_ref().map(decode_cursor).transpose()?;
        let (records, next) = self
            .query_by_status(status.as_str(), created_since, STATUS_PAGE_SIZE, start)
            .await?;
        Ok((records, next.as_ref().map(encode_cursor).transpose()?))
    }
}

#[async_trait]
impl AssetStore for DynamoAssetStore {
    async fn claim(&self, record: &AssetRecord) -> PortResult<Claim> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(record)?))
            .condition_expression("attribute_not_exists(assetId)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Claimed),
            Err(e) => {
                let err = port_error("claiming the asset", e);
                if err.kind != vod_core::ports::PortErrorKind::Conflict {
                    return Err(err);
                }
                match self.get(&record.asset_id).await? {
                    Some(existing) => Ok(Claim::Duplicate(Box::new(existing))),
                    None => Err(PortError::transient(
                        "the claim lost a race with a record that has since disappeared",
                    )),
                }
            }
        }
    }

    async fn get(&self, id: &AssetId) -> PortResult<Option<AssetRecord>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("assetId", AttributeValue::S(id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| port_error("reading the asset record", e))?;
        out.item
            .map(|item| {
                serde_dynamo::from_item(item).map_err(|e| {
                    PortError::permanent(format!("the stored record of {id} does not parse"))
                        .with_source(e)
                })
            })
            .transpose()
    }

    async fn update(&self, record: &AssetRecord) -> PortResult<()> {
        let previous = record.revision.saturating_sub(1);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(record)?))
            .condition_expression("revision = :previous")
            .expression_attribute_values(":previous", AttributeValue::N(previous.to_string()))
            .send()
            .await
            .map_err(|e| port_error("updating the asset record", e))?;
        Ok(())
    }
}
