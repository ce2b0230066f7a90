//! `vod list`: assets newest first, one line each or as JSON.

use crate::error::CliResult;
use crate::records;
use crate::settings::Resources;
use crate::{exit, print_json};
use clap::Args;
use vod_core::AssetStatus;

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_parser = records::parse_status)]
    pub status: Option<AssetStatus>,
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: ListArgs, resources: &Resources) -> CliResult<u8> {
    let status = args.status;
    let store = records::open_store(resources).await?;
    let list = records::list(&store, status, args.limit).await?;
    if args.json {
        print_json(&list)?;
    } else if list.is_empty() {
        eprintln!(
            "no assets{}",
            status
                .map(|s| format!(" with status {}", s.as_str()))
                .unwrap_or_default()
        );
    } else {
        for record in &list {
            println!("{}", records::list_line(record));
        }
    }
    Ok(exit::OK)
}
