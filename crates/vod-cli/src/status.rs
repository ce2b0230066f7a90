//! `vod status ID`: one asset record, in words or as JSON.

use crate::error::CliResult;
use crate::records;
use crate::settings::Resources;
use crate::{exit, print_json};
use clap::Args;

#[derive(Debug, Args)]
pub struct StatusArgs {
    pub id: String,
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: StatusArgs, resources: &Resources) -> CliResult<u8> {
    let id = records::parse_id(&args.id)?;
    let store = records::open_store(resources).await?;
    let record = records::get_existing(&store, &id).await?;
    if args.json {
        print_json(&record)?;
    } else {
        print!("{}", records::describe(&record));
    }
    Ok(exit::OK)
}
