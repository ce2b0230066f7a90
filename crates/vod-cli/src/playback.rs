//! `vod playback ID`: an asset's HLS and DASH URLs plus signed cookies covering
//! `<cdn>/<prefix><id>/*`, so a player can fetch every segment.

use crate::error::{CliError, CliResult};
use crate::settings::Resources;
use crate::sign::{KeyArgs, set_cookie_lines};
use crate::{exit, print_json, records};
use chrono::Utc;
use clap::Args;
use vod_core::AssetStatus;

#[derive(Debug, Args)]
pub struct PlaybackArgs {
    pub id: String,
    #[command(flatten)]
    pub key: KeyArgs,
    /// How long the viewer may play.
    #[arg(long = "for", default_value = "2h")]
    pub valid_for: String,
    /// Restrict the cookies to a viewer IP or CIDR.
    #[arg(long)]
    pub ip: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// Reads the record (warning when it is not COMPLETE yet) and signs a session for its outputs:
/// the manifests the record names, else the pipeline's default names.
pub async fn run(args: PlaybackArgs, resources: &Resources) -> CliResult<u8> {
    let id = records::parse_id(&args.id)?;
    let cdn = resources.cdn()?.to_owned();
    let signing_key = args.key.load()?;
    let valid_for =
        vod_signing::parse_duration(&args.valid_for).map_err(CliError::flag("--for"))?;
    let store = records::open_store(resources).await?;
    let record = records::get_existing(&store, &id).await?;
    if record.status != AssetStatus::Complete {
        eprintln!(
            "warning: {id} is {}, not COMPLETE: the URLs will not play until it is",
            record.status.as_str()
        );
    }
    let prefix = vod_core::job::asset_prefix(&resources.output_prefix, &id);
    let base = format!("{cdn}/{prefix}");
    let relative = |url: Option<&String>, default: &'static str| -> String {
        url.and_then(|u| u.strip_prefix(&base))
            .map(str::to_owned)
            .unwrap_or_else(|| default.to_owned())
    };
    let pb = record.playback.as_ref();
    let hls = relative(pb.and_then(|p| p.hls_url.as_ref()), "stream.m3u8");
    let dash = relative(pb.and_then(|p| p.dash_url.as_ref()), "stream.mpd");
    let now = Utc::now();
    let session = vod_signing::playback(
        &signing_key,
        &vod_signing::PlaybackRequest {
            cdn_base_url: &cdn,
            asset_prefix: &prefix,
            hls_manifest: Some(&hls),
            dash_manifest: Some(&dash),
            valid_for,
            now,
            client_ip: args.ip.as_deref(),
        },
    )
    .map_err(CliError::Playback)?;
    if args.json {
        print_json(&serde_json::json!({
            "assetId": id,
            "status": record.status,
            "hlsUrl": session.hls_url,
            "dashUrl": session.dash_url,
            "resource": session.resource,
            "cookiePath": session.cookie_path,
            "expiresAt": session.expires_at,
            "cookies": session.cookies,
            "cookieHeader": session.cookies.cookie_header(),
        }))?;
    } else {
        println!("HLS   {}", session.hls_url.unwrap_or_default());
        println!("DASH  {}", session.dash_url.unwrap_or_default());
        for line in set_cookie_lines(
            &session.cookies,
            &session.cookie_path,
            session.expires_at,
            now,
        )? {
            println!("{line}");
        }
        eprintln!(
            "cookies cover {} until {}; e.g. curl -H 'Cookie: {}' …",
            session.resource,
            session.expires_at,
            session.cookies.cookie_header()
        );
    }
    Ok(exit::OK)
}
